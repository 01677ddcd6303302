// Bad calls to the shape and indexing ops: each must throw a JS error of the right class whose message
// names the op and the shapes involved, and the process must carry on afterwards (no abort, no crash).
import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { DtypeError, MlxError, ShapeError } from '../../src/errors.js';
import { native } from '../../src/core/binding.js';

type ErrorClass = new (...args: any[]) => Error;

function expectThrow(fn: () => unknown, cls: ErrorClass, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${cls.name} matching ${message}`).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(message);
}

const m23 = () => mx.reshape(mx.arange(6, { dtype: 'float32' }), [2, 3]);

const cases: [string, () => unknown, ErrorClass, RegExp][] = [
  // reshape
  ['reshape to an incompatible size', () => mx.reshape(m23(), [4, 2]), ShapeError, /^reshape: cannot reshape an array of shape \[2,3\] \(size 6\) into shape \[4,2\]/],
  ['reshape with two -1', () => mx.reshape(m23(), [-1, -1]), ShapeError, /^reshape: shape \[-1,-1\] may hold at most one -1/],
  ['reshape with -1 that does not divide', () => m23().reshape(-1, 4), ShapeError, /reshape: .*shape \[2,3\].*\[-1,4\]/],
  ['reshape with a fractional size', () => mx.reshape(m23(), [1.5, 4]), TypeError, /expected an integer for reshape shape\[0\] but received 1\.5/],
  ['reshape of a plain JS list', () => mx.reshape([1, 2] as any, [2]), TypeError, /expected an mx\.array for reshape a but received an array of length 2/],
  ['swapaxes with a string axis', () => mx.swapaxes(m23(), '0' as any, 1), TypeError, /^expected an integer for swapaxes axis1 but received '0' \(string\)/],
  ['split with a string for the sections', () => mx.split(m23(), 'two' as any), TypeError, /^expected an array of integers for split indicesOrSections but received 'two' \(string\)/],
  ['take with a string index', () => mx.take(m23(), 'x' as any, 0), TypeError, /^expected an mx\.array for take indices but received 'x' \(string\)/],
  ['expandDims with a fractional axis', () => mx.expandDims(m23(), 0.5), TypeError, /^expected an integer for expandDims axis but received 0\.5 \(number\)/],
  // transpose family
  ['transpose with too few axes', () => mx.transpose(m23(), [0]), ShapeError, /^transpose: axes \[0\] has 1 entries but the array of shape \[2,3\] has 2 axes/],
  ['transpose with a repeated axis', () => mx.transpose(m23(), [1, -1]), ShapeError, /^transpose: axes \[1,-1\] repeat an axis of the array of shape \[2,3\]/],
  ['swapaxes out of range', () => mx.swapaxes(m23(), 0, 5), ShapeError, /^swapaxes: axis2 5 is out of range for an array of shape \[2,3\]/],
  ['moveaxis out of range (negative)', () => mx.moveaxis(m23(), -3, 0), ShapeError, /^moveaxis: source -3 is out of range for an array of shape \[2,3\]/],
  ['expandDims out of range', () => mx.expandDims(m23(), 4), ShapeError, /^expandDims: axis 4 is out of range for an array of shape \[2,3\]/],
  ['squeeze of a non-singleton axis', () => mx.squeeze(m23(), 1), ShapeError, /^squeeze: cannot squeeze axis 1 of size 3 in an array of shape \[2,3\]/],
  ['flatten with start after end', () => mx.flatten(m23(), 1, 0), ShapeError, /^flatten: startAxis 1 comes after endAxis 0 for an array of shape \[2,3\]/],
  ['unflatten into the wrong size', () => mx.unflatten(m23(), 1, [2, 2]), ShapeError, /^unflatten: cannot split axis 1 of size 3 \(array of shape \[2,3\]\) into shape \[2,2\]/],
  // joining and splitting
  ['concatenate of mismatched shapes (checked by MLX)', () => mx.concatenate([m23(), mx.zeros([3, 2])], 0), MlxError, /^concatenate: .*shapes are \(2,3\), \(3,2\)/],
  ['concatenate of an empty list', () => mx.concatenate([]), TypeError, /expected a non-empty list of mx\.arrays for concatenate arrays/],
  ['concatenate with a number in the list', () => mx.concatenate([m23(), 3 as any]), TypeError, /expected an mx\.array for concatenate arrays\[1\] but received 3 \(number\)/],
  ['stack of different shapes', () => mx.stack([m23(), mx.zeros([3, 2])]), ShapeError, /^stack: .*arrays\[0\] has shape \[2,3\] and arrays\[1\] has shape \[3,2\]/],
  ['split into unequal sections', () => mx.split(m23(), 2, 1), ShapeError, /^split: cannot split axis 1 of size 3 \(array of shape \[2,3\]\) into 2 equal sections/],
  ['split along a missing axis', () => mx.split(m23(), 2, 2), ShapeError, /^split: axis 2 is out of range for an array of shape \[2,3\]/],
  // pad, tile, broadcast, tri
  ['pad with the wrong number of pairs', () => mx.pad(m23(), [[1, 1], [1, 1], [1, 1]]), ShapeError, /^pad: padWidth gives 3 pairs but the array of shape \[2,3\] has 2 axes/],
  ['pad with an unknown mode', () => mx.pad(m23(), 1, 'reflect' as any), TypeError, /expected 'constant' or 'edge' for pad mode but received 'reflect'/],
  ['pad with a negative width', () => mx.pad(m23(), -1), RangeError, /^pad: padWidth must not be negative/],
  ['tile with negative reps', () => mx.tile(m23(), [-1, 2]), RangeError, /^tile: reps must not be negative but received \[-1,2\]/],
  ['broadcastTo an incompatible shape', () => mx.broadcastTo(m23(), [2, 4]), ShapeError, /^broadcastTo: cannot broadcast an array of shape \[2,3\] to shape \[2,4\]/],
  ['broadcastArrays of incompatible shapes', () => mx.broadcastArrays(m23(), mx.zeros([4])), ShapeError, /^broadcastArrays: shapes \[2,3\], \[4\] cannot be broadcast together/],
  ['tril of a vector', () => mx.tril(mx.zeros([3])), ShapeError, /^tril: expected an array with at least 2 dimensions but received shape \[3\]/],
  // indexing ops
  ['take with an out-of-bounds integer', () => mx.take(m23(), 3, 0), RangeError, /^take: index 3 is out of bounds for axis 0 of size 2 \(shape \[2,3\]\)/],
  ['take with float indices', () => mx.take(m23(), mx.array([0.5]), 0), DtypeError, /^take: expected an integer array for indices but received float32 \(shape \[1\]\)/],
  ['takeAlongAxis with fewer index dimensions', () => mx.takeAlongAxis(m23(), mx.array([0, 1]), 1), ShapeError, /^takeAlongAxis: indices of shape \[2\] must have as many dimensions as the array of shape \[2,3\]/],
  ['slice with too few bounds', () => mx.slice(m23(), [0], [1]), ShapeError, /^slice: start, stop and strides need one entry per axis of the array of shape \[2,3\]/],
  ['slice with a zero stride', () => mx.slice(m23(), [0, 0], [2, 3], [1, 0]), RangeError, /^slice: strides must not be 0/],
  ['gather with a slice larger than the array', () => mx.gather(m23(), mx.array([0]), 0, [1, 4]), ShapeError, /^gather: sliceSizes \[1,4\] must give a size within each axis of the array of shape \[2,3\]/],
  ['gather with axes not matching the index arrays', () => mx.gather(m23(), [mx.array([0])], [0, 1], [1, 3]), ShapeError, /^gather: 1 index arrays need 1 axes but received axes \[0,1\]/],
  ['scatterAdd with updates of the wrong rank', () => mx.scatterAdd(m23(), mx.array([0, 1]), mx.zeros([2, 3]), 0), ShapeError, /^scatterAdd: updates of shape \[2,3\] cannot be broadcast to \[2,1,3\] \(the index shape \[2\] followed by one slice of the array of shape \[2,3\]\)/],
  ['scatter with updates of the wrong slice shape', () => mx.scatter(m23(), mx.array([0, 1]), mx.zeros([2, 1, 4]), 0), ShapeError, /^scatter: updates of shape \[2,1,4\] cannot be broadcast to \[2,1,3\]/],
  // mx.index
  ['index with a bad slice string', () => mx.index(m23(), '1:x'), TypeError, /^index: bad slice string '1:x': stop 'x' is not an integer/],
  ['index with a string that is no slice', () => mx.index(m23(), '1'), TypeError, /^index: bad index string '1'/],
  ['index with too many colons', () => mx.index(m23(), '1:2:3:4'), TypeError, /^index: bad index string '1:2:3:4'/],
  ['index out of bounds', () => m23().index(0, 3), RangeError, /^index: index 3 is out of bounds for axis 1 with size 3 \(array of shape \[2,3\]\)/],
  ['index with a negative index out of bounds', () => m23().index(-3), RangeError, /^index: index -3 is out of bounds for axis 0 with size 2/],
  ['index with too many indices', () => m23().index(0, 0, 0), RangeError, /^index: too many indices for an array of shape \[2,3\]: 3 were given/],
  ['index with two ellipses', () => m23().index('...', 0, '...'), TypeError, /^index: at most one '\.\.\.' is allowed/],
  ['index with a float array', () => m23().index(mx.array([0.5])), DtypeError, /^index: expected an integer array for index for axis 0 but received float32/],
  ['index with a zero slice step', () => m23().index('::0'), RangeError, /^index: slice step must not be 0 \(array of shape \[2,3\]\)/],
  ['index with a boolean', () => m23().index(true as any), TypeError, /for index for axis 0 but received true \(boolean\)/],
  ['index with index arrays that do not broadcast', () => m23().index(mx.array([0, 1]), mx.array([0, 1, 2])), ShapeError, /^index: shapes \[2\], \[3\] cannot be broadcast together/],
  // index values: MLX itself reads/writes out of bounds (a segfault in Python MLX), so they are checked
  ['take with an out-of-bounds index array', () => mx.take(m23(), mx.array([0, 2]), 0), RangeError, /^take: index 2 is out of bounds for axis 0 of the array of shape \[2,3\] with size 2/],
  ['take flattened with a huge index', () => mx.take(m23(), mx.array([100000000])), RangeError, /^take: index 100000000 is out of bounds for the flattened array of shape \[2,3\] with size 6/],
  ['takeAlongAxis out of bounds', () => mx.takeAlongAxis(m23(), mx.array([[0], [3]]), 1), RangeError, /^takeAlongAxis: index 3 is out of bounds for axis 1 of the array of shape \[2,3\] with size 3/],
  ['putAlongAxis below -n', () => mx.putAlongAxis(m23(), mx.array([[-4], [0]]), 1, 1), RangeError, /^putAlongAxis: index -4 is out of bounds for axis 1 of the array of shape \[2,3\]/],
  ['gather whose window runs past the end', () => mx.gather(m23(), mx.array([1]), 1, [2, 3]), RangeError, /^gather: index 1 is out of bounds for axis 1 of the array of shape \[2,3\] with size 3 \(with a slice of 3\)/],
  ['scatterAdd at an out-of-bounds row', () => mx.scatterAdd(mx.zeros([10, 2]), mx.array([3, 100000000]), 1, 0), RangeError, /^scatterAdd: index 100000000 is out of bounds for axis 0 of the array of shape \[10,2\] with size 10/],
  ['dynamic slice start past the end', () => mx.slice(m23(), mx.array([2]), [1], [2, 2]), RangeError, /^slice: start 2 with a slice of 2 is out of bounds for axis 1 of the array of shape \[2,3\]/],
  ['dynamic slice with the wrong number of starts', () => mx.slice(m23(), mx.array([0, 0]), [1], [2, 2]), ShapeError, /^slice: start of shape \[2\] must hold one offset per axis in \[1\]/],
  ['index with an out-of-bounds array', () => m23().index(':', mx.array([1, 3])), RangeError, /^index: index 3 is out of bounds for axis 1 of the array of shape \[2,3\] with size 3/],
  ['index with an out-of-bounds plain list', () => m23().index([0, -3]), RangeError, /^index: index -3 is out of bounds for axis 0 of the array of shape \[2,3\]/],
  ['at().add with an out-of-bounds array', () => m23().at(mx.array([5])).add(1), RangeError, /^at\(\)\.add: index 5 is out of bounds for axis 0 of the array of shape \[2,3\]/],
  // .at() writers
  ['at().set with a value of the wrong shape', () => m23().at(0).set(mx.zeros([2])), ShapeError, /^at\(\)\.set: a value of shape \[2\] cannot be broadcast to the indexed shape \[3\] \(array of shape \[2,3\]\)/],
  ['at().add with a partial slice next to an array', () => m23().at(mx.array([0]), '1:').add(1), TypeError, /^at\(\)\.add: with array indices, the other axes must be taken whole \(':'\), but axis 1 of the array of shape \[2,3\] is sliced/],
  ['at() out of bounds', () => m23().at(2).set(0), RangeError, /^at\(\)\.set: index 2 is out of bounds for axis 0 with size 2/],
];

describe('shape and indexing errors', () => {
  for (const [name, fn, cls, message] of cases) {
    it(name, () => {
      mx.tidy(() => expectThrow(fn, cls, message));
    });
  }

  it('reports disposed arrays with the op name, before and after their shape was read', () => {
    const fresh = m23();
    fresh.dispose();
    expectThrow(() => mx.reshape(fresh, [6]), TypeError, /^reshape: a is an mx\.array that was already disposed/);
    const seen = m23();
    expect(seen.shape).toEqual([2, 3]);
    seen.dispose();
    expectThrow(() => mx.transpose(seen), TypeError, /^transpose: a is an mx\.array that was already disposed/);
    expectThrow(() => mx.concatenate([m23(), seen]), TypeError, /^concatenate: arrays.* is an mx\.array that was already disposed/);
    expectThrow(() => seen.index(0), TypeError, /^index: .*a is an mx\.array that was already disposed/);
  });

  it('native layer rejects bad axes through MLX instead of crashing', () => {
    const a = m23();
    expectThrow(() => native.swapaxes(a.handle, 9, 0), RangeError, /^swapaxes: .*Invalid axis 9/);
    expectThrow(() => native.take(a.handle, mx.array([0.5]).handle, 0), MlxError, /^take: .*indices/i);
    expectThrow(() => native.reshape(a.handle, [4, 2]), MlxError, /^reshape: .*Cannot reshape array of size 6 into shape \(4,2\)/);
    // MLX's own shape check behind the TS one: updates must be (index shape) + (slice shape) exactly.
    expectThrow(() => native.scatter(a.handle, [mx.array([0, 1]).handle], mx.zeros([2, 1, 4]).handle, [0]), MlxError, /^scatter: .*Updates with shape/);
    expectThrow(() => native.broadcastTo(a.handle, [2, 4]), MlxError, /^broadcastTo: .*Shapes \(2,3\) and \(2,4\) cannot be broadcast/);
    expectThrow(() => native.unflatten(a.handle, 1, [2, 2]), MlxError, /^unflatten: .*Cannot unflatten axis 1 with size 3 into shape \(2,2\)/);
    expectThrow(() => native.squeeze(a.handle, 1), MlxError, /^squeeze: .*Cannot squeeze axis 1 with size 3/);
  });

  it('the process keeps working after every error above', () => {
    const out = mx.index(mx.reshape(mx.arange(6), [2, 3]), '::-1', 1);
    expect(out.toList()).toEqual([4, 1]);
  });
});
