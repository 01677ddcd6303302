import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface Case {
  label: string; bits?: number; groupSize?: number; mode?: mx.QuantizationMode; dequantizedFloat32?: EncodedArray;
  wq?: EncodedArray; scales?: EncodedArray; biases?: EncodedArray; dequantized?: EncodedArray; matmul?: EncodedArray; matmulNoTranspose?: EncodedArray;
}
const fixture = loadFixture<Case>('quantize') as unknown as { cases: Case[]; inputs: Record<string, EncodedArray> };

describe('quantize / dequantize / quantizedMatmul match Python MLX', () => {
  for (const c of fixture.cases.filter((x) => x.wq && !x.mode)) {
    it(c.label, () => {
      mx.tidy(() => {
        const w = fromFixture(fixture.inputs.w);
        const x = fromFixture(fixture.inputs.x);
        const [wq, scales, biases] = mx.quantize(w, c.groupSize, c.bits);
        expectMatches(wq, c.wq!, { atol: 0, rtol: 0, label: 'packed weights' });
        expectMatches(scales, c.scales!, { label: 'scales' });
        expectMatches(biases, c.biases!, { label: 'biases' });
        expectMatches(mx.dequantize(wq, scales, biases, c.groupSize, c.bits), c.dequantized!, { label: 'dequantized' });
        expectMatches(mx.quantizedMatmul(x, wq, scales, biases, true, c.groupSize, c.bits), c.matmul!, { atol: 1e-5, rtol: 1e-5, label: 'quantizedMatmul' });
      });
    });
  }

  for (const c of fixture.cases.filter((x) => x.mode)) {
    it(`${c.label}: two outputs, dequantized in bfloat16 or the dtype asked for`, () => {
      mx.tidy(() => {
        const w = mx.slice(fromFixture(fixture.inputs.w), [0, 0], [4, 64]);
        const out = mx.quantize(w, undefined, undefined, { mode: c.mode });
        expect(out).toHaveLength(2);
        const [wq, scales] = out;
        expectMatches(wq, c.wq!, { atol: 0, rtol: 0, label: 'packed weights' });
        expectMatches(scales, c.scales!, { atol: 0, rtol: 0, label: 'scales' });
        expectMatches(mx.dequantize(wq, scales, null, undefined, undefined, { mode: c.mode }), c.dequantized!, { atol: 0, rtol: 0, label: 'dequantized' });
        expectMatches(mx.dequantize(wq, scales, null, undefined, undefined, { mode: c.mode, dtype: 'float32' }), c.dequantizedFloat32!, { atol: 0, rtol: 0, label: 'float32' });
      });
    });
  }

  it('quantizedMatmul with transpose=false', () => {
    const c = fixture.cases.find((x) => x.matmulNoTranspose)!;
    mx.tidy(() => {
      const [wq, scales, biases] = mx.quantize(fromFixture(fixture.inputs.w), 64, 4);
      const out = mx.quantizedMatmul(fromFixture(fixture.inputs.xNoTranspose), wq, scales, biases, false, 64, 4);
      expectMatches(out, c.matmulNoTranspose!, { atol: 1e-5, rtol: 1e-5, label: 'transpose=false' });
    });
  });

  it('uses the affine defaults (group 64, 4 bits) when group size and bits are omitted', () => {
    const c = fixture.cases.find((x) => x.bits === 4 && x.groupSize === 64 && x.wq)!;
    mx.tidy(() => {
      const [wq, scales, biases] = mx.quantize(fromFixture(fixture.inputs.w));
      expectMatches(wq, c.wq!, { atol: 0, rtol: 0, label: 'default packing' });
      expectMatches(mx.dequantize(wq, scales, biases), c.dequantized!, { label: 'default dequantize' });
    });
  });
});

describe('quantization bad calls give clear errors', () => {
  const w = mx.ones([8, 128]);
  const bad: [string, () => unknown, RegExp][] = [
    ['unsupported bits', () => mx.quantize(w, 64, 7), /quantize.*bits/i],
    ['unsupported group size', () => mx.quantize(w, 48, 4), /quantize.*group/i],
    ['last axis not divisible by the group size', () => mx.quantize(mx.ones([8, 100]), 64, 4), /quantize.*(divisible|group)/i],
    ['1-D weights', () => mx.quantize(mx.ones([128]), 64, 4), /quantize.*(dim|2)/i],
    ['fractional group size', () => mx.quantize(w, 32.5, 4), /expected an integer for quantize groupSize/],
    ['unknown mode', () => mx.quantize(w, 64, 4, { mode: 'bogus' as 'affine' }), /quantize.*mode/i],
    ['dequantize with mismatched scales', () => { const [wq, , b] = mx.quantize(w, 64, 4); return mx.dequantize(wq, mx.ones([8, 3]), b, 64, 4); }, /dequantize.*(shape|scales)/i],
    ['quantizedMatmul with mismatched inner size', () => { const [wq, s, b] = mx.quantize(w, 64, 4); return mx.quantizedMatmul(mx.ones([2, 100]), wq, s, b); }, /quantized_?matmul/i],
  ];
  for (const [label, call, message] of bad) {
    it(label, () => {
      expect(() => { const out = call(); mx.eval(out as mx.Array); }).toThrow(message);
    });
  }
});
