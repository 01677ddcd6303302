/**
 * Array calls that crashed the process (SIGSEGV) or were silently accepted: allocations larger than
 * memory, out-of-range indices under mx.compile (the trainer's default) and in eager mode, BigInts that
 * do not fit their dtype. Each runs in its own child process (a crash there is a signal here, not a dead
 * test run) and must throw the right class and code with a message naming the problem; compiled and
 * eager calls must throw the same message.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTsChild } from './children/run-child.js';

const child = join(import.meta.dirname, 'children', 'malformed-call.ts');

interface Outcome { name?: string; code?: string; message?: string; accepted?: unknown }

function run(name: string): Outcome {
  const r = runTsChild(child, [name]);
  expect(r.signal, `${name} crashed the process: ${r.stderr.slice(-2000)}`).toBeNull();
  expect(r.status, r.stderr.slice(-2000)).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Outcome;
}

const OOM = { name: 'MlxError', code: 'MLX_OUT_OF_MEMORY' };
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
const TAKE_MESSAGE = /^take: index 100000000 is out of bounds for axis 0 of the array of shape \[10,4\] with size 10$/;

const CASES: [string, { name: string; code: string }, RegExp][] = [
  ['zerosLargerThanMemory', OOM, /^zeros: cannot allocate float32\[100000,100000\] \(40 GB\): more than the memory limit of [\d.]+ GB/],
  ['matmulLargerThanMemory', OOM, /^matmul: cannot allocate float32\[100000,100000\] \(40 GB\)/],
  ['fullLargerThanMemory', OOM, /^full: cannot allocate int8\[400000,400000\] \(160 GB\)/],
  ['broadcastLargerThanMemory', OOM, /^add: cannot allocate float32\[100000,100000\]/],
  ['overMemoryLimitSetByUser', OOM, /^zeros: cannot allocate float32\[30000,30000\] \(3.6 GB\): more than the memory limit of 2 GB/],
  ['sizeOverflowingShape', OOM, /^zeros: cannot allocate uint8\[65536,65536,65536,65536\]/],
  ['typedArrayShapeOverflow', { name: 'RangeError', code: 'MLX_OUT_OF_RANGE' }, /^fromTypedArray: data holds 0 bytes but shape \[65536,65536,65536,65536\] of this dtype needs more than 2\^64/],
  ['eagerTakeOutOfRange', RANGE, TAKE_MESSAGE],
  ['compiledTakeOutOfRange', RANGE, TAKE_MESSAGE],
  ['compiledTakeNegativeOutOfRange', RANGE, /^take: index -11 is out of bounds for axis 0/],
  ['compiledTakeAlongAxisOutOfRange', RANGE, /^takeAlongAxis: index 7 is out of bounds for axis 1 of the array of shape \[2,3\] with size 3$/],
  ['compiledIndexOutOfRange', RANGE, /^index: index 5 is out of bounds for axis 0 of the array of shape \[5,2\] with size 5$/],
  ['compiledEmbeddingOutOfRange', RANGE, /^(take|fused\.embedding): index 4000000 is out of bounds for axis 0 of the array of shape \[50,8\] with size 50$/],
  ['compiledTrainStepTokenIdOutOfRange', RANGE, /^(take|fused\.embedding): index 4000000 is out of bounds for axis 0 of the array of shape \[50,8\] with size 50$/],
  ['eagerTrainStepTokenIdOutOfRange', RANGE, /^(take|fused\.embedding): index 4000000 is out of bounds for axis 0 of the array of shape \[50,8\] with size 50$/],
  ['compiledCrossEntropyLabelOutOfRange', RANGE, /^nn.losses.crossEntropy: index 3000000 is out of bounds for the class axis of logits shape \[2,3\] with size 3$/],
  ['bigIntScalarTooLargeForInt32', RANGE, /^mx.array: the BigInt 1099511627776 does not fit int32 \(range -2147483648 to 2147483647\)$/],
  ['bigIntListTooLargeForInt32', RANGE, /^mx.array: the BigInt 1099511627776 at flat index 1 does not fit int32/],
  ['bigIntNegativeForUint8', RANGE, /^mx.array: the BigInt -1 does not fit uint8/],
  ['bigIntPastInt64', RANGE, /^mx.array: the BigInt 9223372036854775808 does not fit int64/],
  ['bigIntFullTooLarge', { name: 'MlxError', code: 'MLX_INVALID_ARGUMENT' }, /^full: Converting 1099511627776 to int32 would result in overflow/],
];

describe('malformed array calls: no crash, no silent acceptance', () => {
  for (const [name, expected, message] of CASES) {
    it(name, () => {
      const out = run(name);
      expect(out.accepted, `${name} was accepted`).toBeUndefined();
      expect({ name: out.name, code: out.code }).toEqual(expected);
      expect(out.message).toMatch(message);
    });
  }
});
