/**
 * The fused attention core (mx.fused.attention, one primitive each way): value and q/k/v gradients
 * against Python MLX's mx.fast.scaled_dot_product_attention (scripts/fixtures/attention_core.py), compiled
 * against uncompiled, MiniLM- and BERT-mini-sized heads against mx.fast, second order against the stock
 * op chain, the stock fallbacks, the switch, and flat memory over many steps.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { native } from '../../src/core/binding.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface Case {
  label: string;
  scale: number;
  inputs: Record<'q' | 'k' | 'v', EncodedArray> & { mask?: EncodedArray };
  cotangent: EncodedArray;
  out: EncodedArray;
  grads: Record<'q' | 'k' | 'v', EncodedArray>;
  /** Attention-probability dropout with an explicit key (the reference spells it out: mx.fast has none). */
  dropout?: number;
  key?: number[];
}
const fixture = loadFixture<Case>('attention-core');
const tol = { atol: 2e-5, rtol: 1e-5 };
const bits = (a: mx.Array) => Array.from(a.toTypedArray() as Float32Array);
const graph = (a: mx.Array) => native.fusedGraphPrimitives(a.handle);
const maxDiff = (a: mx.Array, b: mx.Array) => mx.max(mx.abs(mx.subtract(a, b))).item() as number;

afterEach(() => mx.setFusedKernelsEnabled(undefined));

function inputsOf(c: Case) {
  return { q: fromFixture(c.inputs.q), k: fromFixture(c.inputs.k), v: fromFixture(c.inputs.v), mask: c.inputs.mask ? fromFixture(c.inputs.mask) : null };
}
const dropoutOf = (c: Case) => (c.dropout ? { dropout: c.dropout, key: mx.array(Uint32Array.from(c.key!), { dtype: 'uint32' }) } : {});

describe('fused attention core matches Python MLX', () => {
  for (const c of fixture.cases) {
    it(c.label, () => {
      mx.tidy(() => {
        const { q, k, v, mask } = inputsOf(c);
        const fn = (a: mx.Array, b: mx.Array, d: mx.Array) => mx.fused.attention(a, b, d, c.scale, mask, dropoutOf(c));
        const out = fn(q, k, v);
        expect(graph(out)).toContain('FusedAttention');
        if (c.dropout) expect(graph(out)).toContain('FusedDropoutMask');
        expectMatches(out, c.out, { ...tol, label: `${c.label} value` });
        const [, grads] = mx.vjp(fn, [q, k, v], [fromFixture(c.cotangent)]);
        expect(graph(grads[0])).toContain('FusedAttentionGrad');
        (['q', 'k', 'v'] as const).forEach((n, i) => expectMatches(grads[i], c.grads[n], { ...tol, label: `${c.label} d${n}` }));
        // nn.scaledDotProductAttention takes the same kernel (its dropout draws from the global sequence).
        if (!c.dropout) expect(bits(nn.scaledDotProductAttention(q, k, v, c.scale, mask))).toEqual(bits(fn(q, k, v)));
      });
    });
  }

  it('a fully masked row: boolean masks give it no gradient (as mx.fast), additive ones a uniform row', () => {
    mx.tidy(() => {
      const c = fixture.cases.find((k) => k.label.includes('boolean mask with a fully masked row'))!;
      const { q, k, v, mask } = inputsOf(c);
      const dq = mx.grad((a: mx.Array) => mx.sum(mx.multiply(mx.fused.attention(a, k, v, c.scale, mask), fromFixture(c.cotangent))))(q);
      expect(bits(mx.index(dq, 0, 0, 3)).every((x) => x === 0)).toBe(true);
      const add = fixture.cases.find((k) => k.label.includes('additive mask with a fully masked row'))!;
      const i = inputsOf(add);
      const row = mx.index(mx.fused.attention(i.q, i.k, i.v, add.scale, i.mask), 0, 0, 1);
      expect(maxDiff(row, mx.mean(mx.index(i.v, 0, 0), 0))).toBeLessThan(1e-5);
    });
  });
});

describe('fused attention core, every matmul path', () => {
  // The widest micro-kernel the CPU has (AVX-512 or AVX2) runs everywhere above on x86; the narrower ones,
  // and the loops that Arm (and any CPU without AVX2/FMA) runs, are checked here in child processes whose
  // environment caps the path.
  const run = (env: Record<string, string>) => {
    const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const r = spawnSync(process.execPath, ['--import', join(repo, 'scripts', 'register-ts.mjs'), join(repo, 'test', 'helpers', 'attention-core-child.ts')],
      { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { path: string; results: { out: number[]; grads: number[][] }[] };
  };
  const cpuHas = (flag: string) => process.platform === 'linux' && readFileSync('/proc/cpuinfo', 'utf8').split(/\s+/).includes(flag);

  it('MLX_TRAIN_SMALL_GEMM=avx2 caps the AVX-512 micro-kernel, which gives the same bits (same products, same order)', () => {
    const widest = run({});
    const avx2 = run({ MLX_TRAIN_SMALL_GEMM: 'avx2' });
    expect(widest.path).toBe(mx.fused.smallGemmPath());
    if (cpuHas('avx512f')) expect(widest.path).toBe('avx512');
    if (cpuHas('avx2') && cpuHas('fma')) expect(avx2.path).toBe('avx2');
    expect(avx2.results).toEqual(widest.results);
  });

  it('MLX_TRAIN_SMALL_GEMM=portable gives the fixture values, by a different summation than the micro-kernel', () => {
    const { path, results: portable } = run({ MLX_TRAIN_SMALL_GEMM: 'portable' });
    expect(path).toBe('portable');
    const simd = run({}).results;
    let differs = false;
    fixture.cases.forEach((c, i) => {
      mx.tidy(() => {
        const shaped = (xs: number[], like: EncodedArray) => mx.array(Float32Array.from(xs), { shape: like.shape });
        expectMatches(shaped(portable[i].out, c.out), c.out, { ...tol, label: `${c.label} value (portable)` });
        (['q', 'k', 'v'] as const).forEach((n, j) => expectMatches(shaped(portable[i].grads[j], c.grads[n]), c.grads[n], { ...tol, label: `${c.label} d${n} (portable)` }));
      });
      differs ||= portable[i].out.some((x, j) => x !== simd[i].out[j]);
    });
    // On an AVX2/FMA CPU the switch must have changed the path (fused multiply-adds round differently).
    if (process.arch === 'x64') expect(differs).toBe(true);
  });
});

describe('fused attention core against mx.fast at model sizes', () => {
  // MiniLM (12 heads of 32, T = 64) and BERT-mini (4 heads of 64, T = 128), padded batches; enough heads
  // to be split over every thread.
  const shapes: [string, number[], number[]][] = [
    ['MiniLM [16,12,64,32]', [16, 12, 64, 32], [64, 40, 1, 17, 64, 64, 33, 2, 64, 50, 64, 64, 9, 64, 63, 64]],
    ['BERT-mini [8,4,128,64]', [8, 4, 128, 64], [128, 100, 64, 3, 128, 1, 77, 128]],
  ];
  it.each(shapes)('%s: value and gradients within 1e-5 of mx.fast.scaledDotProductAttention', (_, shape, lengths) => {
    mx.tidy(() => {
      const [b, , t, d] = shape;
      const [q, k, v, g] = [1, 2, 3, 4].map((s) => mx.random.normal(shape, { key: mx.random.key(s) }));
      const mask = mx.reshape(mx.less(mx.arange(t), mx.expandDims(mx.array(lengths), 1)), [b, 1, 1, t]);
      const scale = 1 / Math.sqrt(d);
      const loss = (f: (...a: mx.Array[]) => mx.Array) => (...a: mx.Array[]) => mx.sum(mx.multiply(f(...a), g));
      const fused = (a: mx.Array, bb: mx.Array, c: mx.Array) => mx.fused.attention(a, bb, c, scale, mask);
      const stock = (a: mx.Array, bb: mx.Array, c: mx.Array) => mx.fast.scaledDotProductAttention(a, bb, c, { scale, mask });
      expect(maxDiff(fused(q, k, v), stock(q, k, v))).toBeLessThan(1e-5);
      const gf = mx.grad(loss(fused), [0, 1, 2])(q, k, v) as mx.Array[];
      const gs = mx.grad(loss(stock), [0, 1, 2])(q, k, v) as mx.Array[];
      gf.forEach((x, i) => expect(maxDiff(x, gs[i])).toBeLessThan(1e-4));
    });
  });

  it('reads heads split off [B, T, H·D] rows in place, and writes its output and gradients in that layout', () => {
    mx.tidy(() => {
      const [b, h, t, d] = [3, 4, 40, 16];
      const rows = [1, 2, 3, 4].map((s) => mx.random.normal([b, t, h * d], { key: mx.random.key(s) }));
      mx.eval(...rows);
      const heads = (x: mx.Array) => mx.transpose(mx.reshape(x, [b, t, h, d]), [0, 2, 1, 3]);  // a view
      const merge = (x: mx.Array) => mx.reshape(mx.transpose(x, [0, 2, 1, 3]), [b, t, h * d]);
      const mask = mx.reshape(mx.less(mx.arange(t), mx.expandDims(mx.array([40, 7, 31]), 1)), [b, 1, 1, t]);
      const split = (fromRows: boolean) => (x: mx.Array) => (fromRows ? heads(x) : mx.reshape(mx.reshape(heads(x), [-1]), [b, h, t, d]));  // views / row-major copies
      const run = (fromRows: boolean) => {
        const f = (q: mx.Array, k: mx.Array, v: mx.Array) => mx.fused.attention(split(fromRows)(q), split(fromRows)(k), split(fromRows)(v), 0.25, mask, { dropout: 0.1, key: mx.random.key(9) });
        const out = f(rows[0], rows[1], rows[2]);
        const [, [dq, dk, dv]] = mx.vjp((q: mx.Array, k: mx.Array, v: mx.Array) => merge(f(q, k, v)), rows.slice(0, 3), [rows[3]]);
        return { out, dq, dk, dv };
      };
      const inPlace = run(true);
      const copied = run(false);
      for (const n of ['out', 'dq', 'dk', 'dv'] as const) expect(bits(inPlace[n])).toEqual(bits(copied[n]));
      // Token-major output: merging back is a view of it; row-major inputs get row-major outputs.
      expect(native.fusedStrides(inPlace.out.handle)).toEqual([t * h * d, d, h * d, 1]);
      expect(native.fusedStrides(copied.out.handle)).toEqual([h * t * d, t * d, d, 1]);
      // The gradient of the [B, T, H, D] rows the heads were transposed from is row-major, so reshaping it
      // into the projection's [B, T, H·D] gradient is a view, not a copy.
      const q4 = mx.reshape(rows[0], [b, t, h, d]);
      const at = (x: mx.Array) => mx.transpose(x, [0, 2, 1, 3]);
      const [, [g4]] = mx.vjp((x: mx.Array) => mx.fused.attention(at(x), heads(rows[1]), heads(rows[2]), 0.25, mask), [q4], [heads(rows[3])]);
      expect(graph(g4).slice(0, 2)).toEqual(['Transpose', 'FusedAttentionGrad']);
      expect(native.fusedStrides(g4.handle)).toEqual([t * h * d, h * d, d, 1]);
    });
  });

  it('compiled equals uncompiled, value and gradients, bit for bit', () => {
    mx.tidy(() => {
      for (const c of fixture.cases) {
        const { q, k, v, mask } = inputsOf(c);
        const cot = fromFixture(c.cotangent);
        const step = (a: mx.Array, b: mx.Array, d: mx.Array) => mx.valueAndGrad((x: mx.Array, y: mx.Array, z: mx.Array) => mx.sum(mx.multiply(mx.fused.attention(x, y, z, c.scale, mask, dropoutOf(c)), cot)), [0, 1, 2])(a, b, d);
        const [plainValue, plainGrads] = step(q, k, v);
        const compiled = mx.compile(step);
        for (let i = 0; i < 2; i++) {
          const [value, grads] = compiled(q, k, v);
          expect(value.item()).toBe(plainValue.item());
          (grads as mx.Array[]).forEach((gr, j) => expect(bits(gr)).toEqual(bits(plainGrads[j])));
        }
      }
    });
  });

  it('second order (grad of grad) equals the stock composition', () => {
    mx.tidy(() => {
      const c = fixture.cases[0];
      const { q, k, v, mask } = inputsOf(c);
      const cot = fromFixture(c.cotangent);
      const inner = (f: (a: mx.Array, b: mx.Array, d: mx.Array, s: number, m: mx.Array | null) => mx.Array) => (a: mx.Array) =>
        mx.sum(mx.square(mx.grad((x: mx.Array) => mx.sum(mx.multiply(f(x, k, v, c.scale, mask), cot)))(a)));
      const stockAttention = (a: mx.Array, b: mx.Array, d: mx.Array, s: number, m: mx.Array | null) => mx.fast.scaledDotProductAttention(a, b, d, { scale: s, mask: m });
      expect(maxDiff(mx.grad(inner((a, b, d, s, m) => mx.fused.attention(a, b, d, s, m)))(q), mx.grad(inner(stockAttention))(q))).toBeLessThan(1e-4);
    });
  });

  it('takes mx.fast for float16, unequal heads and a 3-D input, with its values', () => {
    mx.tidy(() => {
      const q = mx.random.normal([1, 4, 5, 8], { key: mx.random.key(9) });
      const kv = mx.random.normal([1, 2, 5, 8], { key: mx.random.key(10) });
      const gqa = mx.fused.attention(q, kv, kv, 0.3);
      expect(graph(gqa)).not.toContain('FusedAttention');
      expect(bits(gqa)).toEqual(bits(mx.fast.scaledDotProductAttention(q, kv, kv, { scale: 0.3 })));
      const half = mx.astype(q, 'float16');
      const h = mx.fused.attention(half, half, half, 0.3);
      expect(h.dtype).toBe('float16');
      expect(graph(h)).not.toContain('FusedAttention');
    });
  });

  it('keeps memory flat over many training-like steps', () => {
    const [q, k, v] = [1, 2, 3].map((s) => mx.random.normal([4, 4, 33, 32], { key: mx.random.key(s) }));
    const mask = mx.reshape(mx.less(mx.arange(33), mx.expandDims(mx.array([33, 20, 1, 30]), 1)), [4, 1, 1, 33]);
    const step = mx.compile((a: mx.Array, b: mx.Array, c: mx.Array) => mx.grad((x: mx.Array, y: mx.Array, z: mx.Array) => mx.sum(mx.fused.attention(x, y, z, 0.2, mask)), [0, 1, 2])(a, b, c));
    const run = (n: number) => { for (let i = 0; i < n; i++) mx.tidy(() => { mx.eval(...(step(q, k, v) as mx.Array[])); }); };
    run(20);
    const before = mx.getActiveMemory();
    run(200);
    expect(mx.getActiveMemory()).toBeLessThanOrEqual(before);
    for (const a of [q, k, v, mask]) a.dispose();
  });
});

describe('fused attention switch', () => {
  it('MLX_TRAIN_FUSED=0 sends nn.MultiHeadAttention to mx.fast (no FusedAttention in the graph)', () => {
    const saved = process.env.MLX_TRAIN_FUSED;
    try {
      mx.tidy(() => {
        const x = mx.random.normal([2, 5, 8], { key: mx.random.key(4) });
        const layer = new nn.MultiHeadAttention(8, 2);
        const build = () => layer.forward(x, x, x, { attentionMask: mx.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]) });
        delete process.env.MLX_TRAIN_FUSED;
        const fused = build();
        expect(graph(fused)).toContain('FusedAttention');
        process.env.MLX_TRAIN_FUSED = '0';
        const stock = build();
        expect(graph(stock).filter((n) => n.startsWith('Fused'))).toEqual([]);
        expect(maxDiff(fused, stock)).toBeLessThan(1e-5);
      });
    } finally {
      if (saved === undefined) delete process.env.MLX_TRAIN_FUSED;
      else process.env.MLX_TRAIN_FUSED = saved;
    }
  });

  it('doctor’s kernel list names the attention core', () => {
    expect(mx.fused.kernels.map((k) => k.name)).toContain('attention');
  });
});
