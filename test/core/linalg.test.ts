import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { ShapeError } from '../../src/errors.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface Case { label: string; fn: string; inputs: Record<string, EncodedArray>; opts: Record<string, unknown>; outs: EncodedArray[] }
const fixture = loadFixture<Case>('linalg');
const L = mx.linalg;

function run(c: Case): mx.Array[] {
  const i = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v)]));
  const o = c.opts;
  const list = (x: mx.Array | mx.Array[]) => (Array.isArray(x) ? x : [x]);
  switch (c.fn) {
    case 'norm': {
      const ord = o.ord === 'inf' ? Number.POSITIVE_INFINITY : (o.ord as number | 'fro' | 'nuc' | undefined);
      return [L.norm(i.a, ord ?? null, { ...(o.axis !== undefined ? { axis: o.axis as number } : {}), ...(o.keepdims ? { keepdims: true } : {}) })];
    }
    case 'qr': return L.qr(i.a);
    case 'svd': return L.svd(i.a, o.computeUv === false ? { computeUv: false } : {});
    case 'inv': return [L.inv(i.a)];
    case 'pinv': return [L.pinv(i.a)];
    case 'triInv': return [L.triInv(i.a, { upper: o.upper === true })];
    case 'cholesky': return [L.cholesky(i.a, { upper: o.upper === true })];
    case 'choleskyInv': return [L.choleskyInv(i.l, { upper: o.upper === true })];
    case 'lu': return L.lu(i.a);
    case 'luFactor': return L.luFactor(i.a);
    case 'solve': return [L.solve(i.a, i.b)];
    case 'solveTriangular': return [L.solveTriangular(i.a, i.b, { upper: o.upper === true })];
    case 'cross': return [L.cross(i.a, i.b)];
    case 'eig': return L.eig(i.a);
    case 'eigvals': return [L.eigvals(i.a)];
    case 'eigh': return L.eigh(i.a, o.UPLO ? { UPLO: o.UPLO as 'L' | 'U' } : {});
    case 'eigvalsh': return [L.eigvalsh(i.a)];
    case 'det': return [L.det(i.a)];
    case 'slogdet': return L.slogdet(i.a);
    case 'matmul': return list(mx.matmul(i.a, i.b));
    default: throw new Error(`unknown fixture fn ${c.fn}`);
  }
}

describe('mx.linalg matches Python MLX (LAPACK through the BLAS libmlx loaded)', () => {
  it('has a fixture for every LAPACK-backed op', () => {
    const ops = new Set(fixture.cases.map((c) => c.fn));
    for (const op of ['qr', 'svd', 'inv', 'pinv', 'triInv', 'cholesky', 'choleskyInv', 'lu', 'luFactor', 'solve',
      'solveTriangular', 'eig', 'eigvals', 'eigh', 'eigvalsh', 'det', 'slogdet']) expect(ops, op).toContain(op);
  });

  for (const c of fixture.cases) {
    it(c.label, () => {
      mx.tidy(() => {
        const outs = run(c);
        expect(outs.length, 'number of outputs').toBe(c.outs.length);
        const f64 = c.outs[0].dtype === 'float64';
        outs.forEach((out, k) => expectMatches(out, c.outs[k], { atol: f64 ? 1e-9 : 2e-4, rtol: f64 ? 1e-9 : 2e-4, label: `${c.label} output ${k}` }));
      });
    });
  }

  it('factors reconstruct their input (independent of the reference)', () => {
    const c = fixture.cases.find((x) => x.label === 'svd float32')!;
    mx.tidy(() => {
      const a = fromFixture(c.inputs.a);
      const [u, s, vt] = L.svd(a);
      const us = mx.multiply(mx.slice(u, [0, 0], [5, 3]), s);
      expectMatches(mx.matmul(us, vt), c.inputs.a, { atol: 1e-4, label: 'U S Vt' });
      const [q, r] = L.qr(a);
      expectMatches(mx.matmul(q, r), c.inputs.a, { atol: 1e-4, label: 'Q R' });
    });
  });

  it('names the op and the shape for a non-square or 1-D input', () => {
    mx.tidy(() => {
      expect(() => L.inv(mx.zeros([2, 3]))).toThrow(ShapeError);
      expect(() => L.inv(mx.zeros([2, 3]))).toThrow(/linalg\.inv: expected a square matrix.*\[2,3\] \(float32\)/);
      expect(() => L.qr(mx.zeros([3]))).toThrow(/linalg\.qr: expected a matrix.*\[3\]/);
    });
  });

  it('rejects a misspelled option and a bad UPLO', () => {
    mx.tidy(() => {
      const a = mx.eye(3);
      expect(() => L.cholesky(a, { uper: true } as never)).toThrow(/linalg\.cholesky: unknown option 'uper' \(expected one of upper, stream\)/);
      expect(() => L.eigh(a, { UPLO: 'X' as never })).toThrow(/expected 'L' or 'U' for linalg\.eigh UPLO/);
      expect(() => L.norm(a, 'max' as never)).toThrow(/linalg\.norm ord/);
    });
  });

  it('upper and UPLO change the result (the options reach MLX)', () => {
    const c = fixture.cases.find((x) => x.label === 'cholesky upper')!;
    mx.tidy(() => {
      const a = fromFixture(c.inputs.a);
      const lower = L.cholesky(a);
      const upper = L.cholesky(a, { upper: true });
      expect(mx.allclose(lower, upper).item()).toBe(false);
      expectMatches(mx.transpose(lower), c.outs[0], { atol: 1e-4, label: 'upper = lower transposed' });
    });
  });

  it('reports a wrong dtype and a singular matrix as MlxErrors naming the op', () => {
    mx.tidy(() => {
      expect(() => L.inv(mx.array([[1, 2], [3, 4]], 'int32'))).toThrow(/linalgInv: .*float32 or float64.*int32/);
      expect(() => mx.eval(L.inv(mx.array([[1, 2], [2, 4]], 'float32')))).toThrow(/Inverse.*LU factorization failed/);
    });
  });
});
