/** Native exports of native/random.cc. Keys are uint32[2] handles; `undefined` key = the global sequence. */
import type { Handle, Operand, StreamArg } from '../types.js';

type Key = Handle | null | undefined;

export interface RandomBinding {
  randomSeed(seed: number | bigint): void;
  randomKey(seed: number | bigint): Handle;
  randomGetState(): Handle;
  randomSetState(key: Handle): void;
  randomSplit(key: Handle, num: number, s?: StreamArg): Handle;
  randomBits(shape: number[], width: number, key: Key, s?: StreamArg): Handle;
  randomUniform(low: Operand, high: Operand, shape: number[], dtype: number, key: Key, s?: StreamArg): Handle;
  randomNormal(shape: number[], dtype: number, loc: Operand | null, scale: Operand | null, key: Key, s?: StreamArg): Handle;
  randomTruncatedNormal(lower: Operand, upper: Operand, shape: number[] | null, dtype: number, key: Key, s?: StreamArg): Handle;
  randomBernoulli(p: Operand, shape: number[] | null, key: Key, s?: StreamArg): Handle;
  randomRandint(low: Operand, high: Operand, shape: number[], dtype: number, key: Key, s?: StreamArg): Handle;
  randomCategorical(logits: Handle, axis: number, shape: number[] | null, numSamples: number | null, key: Key, s?: StreamArg): Handle;
  randomGumbel(shape: number[], dtype: number, key: Key, s?: StreamArg): Handle;
  randomLaplace(shape: number[], dtype: number, loc: number, scale: number, key: Key, s?: StreamArg): Handle;
  randomMultivariateNormal(mean: Handle, cov: Handle, shape: number[], dtype: number, key: Key, s?: StreamArg): Handle;
  randomPermutation(x: Handle | number, axis: number, key: Key, s?: StreamArg): Handle;
}
