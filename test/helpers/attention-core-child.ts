// Child of test/core/fused-attention.test.ts: mx.fused.attention's value and q/k/v gradients for every
// case of test/fixtures/attention-core.json, and the matmul path that ran, as one JSON line, in a process
// whose environment the test chose (MLX_TRAIN_SMALL_GEMM=avx2 or =portable caps the micro-kernel).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mx } from '../../src/index.js';

interface Encoded { dtype: string; shape: number[]; data: (number | boolean)[] }
const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'attention-core.json');
const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: { scale: number; inputs: Record<string, Encoded>; cotangent: Encoded; dropout?: number; key?: number[] }[] };
const arr = (e: Encoded) => (e.dtype === 'bool'
  ? mx.array(Uint8Array.from(e.data, (v) => (v ? 1 : 0)), { dtype: 'bool', shape: e.shape })
  : mx.array(Float32Array.from(e.data as number[]), { shape: e.shape }));
const flat = (a: mx.Array) => Array.from(a.toTypedArray() as Float32Array);

const results = cases.map((c) => mx.tidy(() => {
  const [q, k, v] = ['q', 'k', 'v'].map((n) => arr(c.inputs[n]));
  const mask = c.inputs.mask ? arr(c.inputs.mask) : null;
  const dropout = c.dropout ? { dropout: c.dropout, key: mx.array(Uint32Array.from(c.key!), { dtype: 'uint32' }) } : {};
  const fn = (a: mx.Array, b: mx.Array, d: mx.Array) => mx.fused.attention(a, b, d, c.scale, mask, dropout);
  const [outs, grads] = mx.vjp(fn, [q, k, v], [arr(c.cotangent)]);
  return { out: flat(outs[0]), grads: grads.map(flat) };
}));
console.log(JSON.stringify({ path: mx.fused.smallGemmPath(), results }));
