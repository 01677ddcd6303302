import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../src/trainer/metrics.js';
import { confusionMatrixSpec, renderPng, rocCurveSpec, trainingCurvesSpec, writeRunPlots } from '../../src/trainer/plots.js';
import type { EvalRecord, StepRecord } from '../../src/trainer/summary.js';
import { loadFixture } from '../helpers/fixtures.js';

/** Width, height and the decoded pixel rows of an 8-bit RGB(A) PNG (filters undone). */
function decodePng(bytes: Buffer): { width: number; height: number; channels: number; pixels: Uint8Array } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9]];
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const paeth = () => {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const pred = [0, a, b, (a + b) >> 1, paeth()][filter];
      pixels[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Share of pixels that are not (near) white: the chart actually drew something. */
function inkShare(png: ReturnType<typeof decodePng>): number {
  let ink = 0;
  const n = png.width * png.height;
  for (let i = 0; i < n; i++) {
    const p = i * png.channels;
    if (png.pixels[p] < 230 || png.pixels[p + 1] < 230 || png.pixels[p + 2] < 230) ink++;
  }
  return ink / n;
}

function fakeRun(): { steps: StepRecord[]; evals: EvalRecord[] } {
  // A plausible run: loss decays with noise from a fixed sequence; evaluations every 20 steps.
  const steps: StepRecord[] = Array.from({ length: 100 }, (_, i) => ({
    step: i + 1, epoch: Math.floor(i / 50), loss: 0.7 * Math.exp(-i / 40) + 0.2 + 0.03 * Math.sin(i * 1.7), learningRate: i < 10 ? 5e-4 * ((i + 1) / 10) : 5e-4 * (1 - (i - 10) / 90), stepTimeMs: 40, samples: 32, tokens: 900,
  }));
  const metrics = classificationMetrics({ labels: [0, 1, 1, 0], probabilities: [0.8, 0.2, 0.3, 0.7, 0.6, 0.4, 0.9, 0.1], numClasses: 2 });
  const evals: EvalRecord[] = [20, 40, 60, 80, 100].map((step, k) => ({ step, epoch: 0, metrics: { ...metrics, loss: 0.6 - 0.05 * k, accuracy: 0.6 + 0.05 * k, f1: 0.5 + 0.06 * k } }));
  return { steps, evals };
}

describe('plots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-plots-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes readable training-curve, confusion-matrix and ROC PNGs', async () => {
    const c = loadFixture<{ name: string; labels: { data: number[] }; probabilities: { data: number[] }; numClasses: number }>('metrics').cases.find((x) => x.name === 'multiclass_ties')!;
    const m = classificationMetrics({ labels: c.labels.data, probabilities: c.probabilities.data, numClasses: 3 });
    const paths = await writeRunPlots(dir, {
      history: fakeRun(),
      evaluation: { metrics: m, labels: c.labels.data, probabilities: c.probabilities.data },
      classNames: ['cat', 'dog', 'bird'],
    });
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['training_curves.png', 'confusion_matrix.png', 'roc_curve.png']);
    for (const p of paths) {
      const png = decodePng(readFileSync(p));
      expect(png.width).toBeGreaterThan(400);
      expect(png.height).toBeGreaterThan(400);
      expect(inkShare(png)).toBeGreaterThan(0.02);
    }
  }, 60_000);

  it('renders at the requested scale', async () => {
    const spec = confusionMatrixSpec([[5, 1], [2, 7]], ['died', 'survived']);
    const one = decodePng(await renderPng(spec, { scale: 1 }));
    const two = decodePng(await renderPng(spec, { scale: 2 }));
    expect(Math.abs(two.width - 2 * one.width)).toBeLessThanOrEqual(1);
    expect(Math.abs(two.height - 2 * one.height)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('builds specs from the data and rejects data that cannot be drawn', () => {
    // The legend's AUC is sklearn's for the fixture case with tied scores.
    const c = loadFixture<{ name: string; labels: { data: number[] }; probabilities: { data: number[] }; rocAuc: number }>('metrics').cases.find((x) => x.name === 'binary_ties')!;
    const spec = rocCurveSpec(c.labels.data, c.probabilities.data, 2, ['died', 'survived']) as { layer: { data: { values: { series: string }[] } }[] };
    expect(spec.layer[1].data.values[0].series).toBe(`class survived (AUC ${c.rocAuc.toFixed(3)})`);
    expect(() => rocCurveSpec([0, 0], [0.5, 0.5, 0.5, 0.5], 2)).toThrow(/no curve is defined/);
    expect(() => confusionMatrixSpec([[1, 2], [3]])).toThrow(/square K × K/);
    expect(() => trainingCurvesSpec({ steps: [], evals: [] })).toThrow(/no steps and no evaluations/);
  });
});
