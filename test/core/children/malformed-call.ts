// Child process for malformed-calls.test.ts: runs the case named by argv[2] (each a call that crashed the
// process or was silently accepted before) and prints JSON {name, code, message} of what it threw, or
// {accepted: …} if nothing threw. A crash shows up in the parent as a signal.
import { mx, nn, optim } from '../../../src/index.js';
import { TrainStep } from '../../../src/trainer/step.js';
import { classificationLoss, syntheticBatch, tinyModel } from '../../helpers/tiny-model.js';

const compiledTake = (indices: number[]) => {
  const f = mx.compile((x: mx.Array, i: mx.Array) => mx.take(x, i, 0));
  return f(mx.ones([10, 4]), mx.array(indices, 'int32'));
};

/** One step of the trainer's default path (forward, loss, backward, AdamW; compiled or eager) on a batch with a bad id. */
const trainStep = (compile: boolean) => {
  const model = tinyModel(1, { vocabSize: 50 });
  const step = new TrainStep(model, new optim.AdamW({ learningRate: 1e-2 }), classificationLoss, { maxGradNorm: 1, compile });
  const good = syntheticBatch(2, 4, 0);
  step.run([good]); // traces (compiled) with valid ids first, as a training run does
  const ids = good.inputIds.toList() as number[][];
  ids[1][2] = 4_000_000;
  return step.run([{ ...good, inputIds: mx.array(ids, 'int32') }]);
};

const CASES: Record<string, () => unknown> = {
  zerosLargerThanMemory: () => mx.eval(mx.zeros([1e5, 1e5])),
  matmulLargerThanMemory: () => mx.eval(mx.matmul(mx.ones([1e5, 1]), mx.ones([1, 1e5]))),
  fullLargerThanMemory: () => mx.eval(mx.full([4e5, 4e5], 1, 'int8')),
  broadcastLargerThanMemory: () => mx.eval(mx.add(mx.ones([1e5, 1]), mx.ones([1, 1e5]))),
  overMemoryLimitSetByUser: () => {
    mx.setMemoryLimit(2e9);
    return mx.eval(mx.zeros([30000, 30000]));
  },
  sizeOverflowingShape: () => mx.eval(mx.zeros([65536, 65536, 65536, 65536], 'uint8')),
  typedArrayShapeOverflow: () => mx.eval(mx.array(new Uint8Array(0), { shape: [65536, 65536, 65536, 65536] })),
  eagerTakeOutOfRange: () => mx.eval(mx.take(mx.ones([10, 4]), mx.array([3, 100000000], 'int32'), 0)),
  compiledTakeOutOfRange: () => mx.eval(compiledTake([3, 100000000])),
  compiledTakeNegativeOutOfRange: () => mx.eval(compiledTake([-11])),
  compiledTakeAlongAxisOutOfRange: () => {
    const f = mx.compile((x: mx.Array, i: mx.Array) => mx.takeAlongAxis(x, i, 1));
    return mx.eval(f(mx.ones([2, 3]), mx.array([[0], [7]], 'int32')));
  },
  compiledIndexOutOfRange: () => {
    const f = mx.compile((x: mx.Array, i: mx.Array) => mx.index(x, i));
    return mx.eval(f(mx.ones([5, 2]), mx.array([4, 5], 'int32')));
  },
  compiledEmbeddingOutOfRange: () => {
    const emb = new nn.Embedding(50, 8);
    const f = mx.compile((ids: mx.Array) => emb.forward(ids), { inputs: [nn.moduleState(emb)] });
    return mx.eval(f(mx.array([[1, 2, 4000000]], 'int32')));
  },
  compiledTrainStepTokenIdOutOfRange: () => trainStep(true),
  eagerTrainStepTokenIdOutOfRange: () => trainStep(false),
  compiledCrossEntropyLabelOutOfRange: () => {
    const f = mx.compile((logits: mx.Array, labels: mx.Array) => nn.losses.crossEntropy(logits, labels, { reduction: 'mean' }));
    return mx.eval(f(mx.zeros([2, 3]), mx.array([1, 3000000], 'int32')));
  },
  bigIntScalarTooLargeForInt32: () => mx.array(2n ** 40n, 'int32'),
  bigIntListTooLargeForInt32: () => mx.array([1n, 2n ** 40n], 'int32'),
  bigIntNegativeForUint8: () => mx.array([-1n], 'uint8'),
  bigIntPastInt64: () => mx.array([2n ** 63n]),
  bigIntFullTooLarge: () => mx.full([2], 2n ** 40n as never, 'int32'),
};

const name = process.argv[2];
try {
  const out = CASES[name]();
  console.log(JSON.stringify({ accepted: out instanceof mx.Array ? out.toList() : String(out) }));
} catch (err) {
  const e = err as Error & { code?: string };
  console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message }));
}
