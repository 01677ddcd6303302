/**
 * mx.fused: mlx-train's own fused CPU kernels (native/fused/), kept apart from mx.fast so that mx.fast
 * only carries MLX's names. Each is an MLX custom primitive: for float32 on the CPU one vectorised pass
 * spread over all cores, with its gradient another fused pass (so grad, vjp/jvp and compile all work);
 * other dtypes and devices get the stock MLX op chain. nn and models call these only while
 * fusedKernelsEnabled() (core/fused-kernels.ts) is on.
 */
import { native, type StreamArg } from './binding.js';
import type { MxArray } from './array.js';
import { wrap } from './handle.js';
import { arrayOf, numberOf, optionKeysOf } from './op-args.js';
import { DtypeError, ShapeError } from '../errors.js';
import { isFloating } from './dtype.js';
import { checkIndices } from './indexing.js';
import { formatShape } from './op-args.js';

function floatingInput(x: MxArray, op: string, name = 'x') {
  const h = arrayOf(x, `fused.${op}`, name);
  if (!isFloating(x.dtype)) throw new DtypeError(`fused.${op}: expected a floating-point array for ${name} but received ${x.dtype} [${x.shape.join(', ')}]`);
  return h;
}

/** x·Φ(x) with the exact Gaussian CDF — the value of mlx.nn.gelu (within 1e-6). */
export function gelu(x: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.gelu', ['stream']);
  return wrap(native.fusedGelu(floatingInput(x, 'gelu'), opts.stream));
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), mlx.nn.gelu_approx, fused like {@link gelu}. */
export function geluApprox(x: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.geluApprox', ['stream']);
  return wrap(native.fusedGeluApprox(floatingInput(x, 'geluApprox'), opts.stream));
}

const optionalArray = (x: MxArray | null | undefined, op: string, name: string) =>
  x === undefined || x === null ? null : arrayOf(x, `fused.${op}`, name);

/**
 * softmax(x + mask) over the last axis. `mask` is additive (float, broadcastable to x) or boolean
 * (false = masked out, as the dtype's most negative value); masked entries come out exactly 0.
 */
export function maskedSoftmax(x: MxArray, mask: MxArray | null = null, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.maskedSoftmax', ['stream']);
  return wrap(native.fusedMaskedSoftmax(floatingInput(x, 'maskedSoftmax'), optionalArray(mask, 'maskedSoftmax', 'mask'), opts.stream));
}

/**
 * softmax(q·kᵀ·scale + mask)·v over [B, N, T, D], the value of mx.fast.scaledDotProductAttention: for
 * float32 on the CPU with equal query and key/value heads and a float32 or boolean mask, one primitive
 * (its gradient another) that splits the (batch, head) pairs over all cores, each head's small matmuls
 * and masked softmax done in cache; otherwise mx.fast's own. A boolean mask selects, as mx.fast does: a
 * query row with every key masked gets a uniform row and no gradient.
 *
 * `dropout` p > 0 drops attention probabilities (HF BERT's attention_probs_dropout_prob): each kept with
 * probability 1 − p and scaled by 1/(1 − p) before it meets v, the mask being
 * mx.random.bernoulli(1 − p, [B, N, Tq, Tk], key) (from the global key sequence without a key); mx.fast
 * has no dropout, so what the primitive does not take is spelled out with stock ops.
 */
export function attention(q: MxArray, k: MxArray, v: MxArray, scale: number, mask: MxArray | null = null,
  opts: { dropout?: number; key?: MxArray | null; stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.attention', ['dropout', 'key', 'stream']);
  const p = opts.dropout === undefined ? 0 : numberOf(opts.dropout, 'fused.attention', 'dropout');
  if (!(p >= 0 && p < 1)) throw new RangeError(`fused.attention: the dropout probability must be in [0, 1) but received ${p}`);
  return wrap(native.fusedAttention(arrayOf(q, 'fused.attention', 'q'), arrayOf(k, 'fused.attention', 'k'), arrayOf(v, 'fused.attention', 'v'),
    numberOf(scale, 'fused.attention', 'scale'), optionalArray(mask, 'attention', 'mask'), 1 - p, optionalArray(opts.key, 'attention', 'key'), opts.stream));
}

/**
 * Layer normalization over the last axis, the value of mx.fast.layerNorm; fused when the weight (and bias,
 * if any) is 1-D float32. With `residual`, it normalises x + residual in the same pass (the value of
 * mx.add then the norm; a residual that broadcasts or promotes takes that add first).
 */
export function layerNorm(x: MxArray, weight: MxArray | null, bias: MxArray | null, eps: number,
  opts: { residual?: MxArray | null; stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.layerNorm', ['residual', 'stream']);
  return wrap(native.fusedLayerNorm(floatingInput(x, 'layerNorm'), optionalArray(weight, 'layerNorm', 'weight'),
    optionalArray(bias, 'layerNorm', 'bias'), numberOf(eps, 'fused.layerNorm', 'eps'), optionalArray(opts.residual, 'layerNorm', 'residual'), opts.stream));
}

/**
 * x·bernoulli(1 − p)/(1 − p): dropout whose mask is mx.random.bernoulli(1 − p, x.shape, key) bit for bit
 * (drawn inside the kernel from the same Threefry bits), from `key` or the global key sequence, which it
 * advances exactly as bernoulli would. Its gradient is the same masked scaling of the cotangent.
 */
export function dropout(x: MxArray, p: number, opts: { key?: MxArray | null; stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.dropout', ['key', 'stream']);
  const prob = numberOf(p, 'fused.dropout', 'p');
  if (!(prob >= 0 && prob < 1)) throw new RangeError(`fused.dropout: the probability p must be in [0, 1) but received ${prob}`);
  return wrap(native.fusedDropout(floatingInput(x, 'dropout'), 1 - prob, 1 / (1 - prob), optionalArray(opts.key, 'dropout', 'key'), opts.stream));
}

/** take(weight, ids, 0): rows of a [vocab, dims] table for integer ids of any shape; the gradient is a threaded scatter-add. */
export function embedding(weight: MxArray, ids: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.embedding', ['stream']);
  const table = arrayOf(weight, 'fused.embedding', 'weight');
  const idsHandle = arrayOf(ids, 'fused.embedding', 'ids');
  // The kernel reads row ids[i] unchecked, as MLX's gather does: check the ids first (eagerly, or on
  // every call of a compiled function whose input they are), so a bad id is an error, not a wild read.
  // Built first, so that wrong dtypes and shapes get the kernel's own messages; nothing runs until eval.
  const out = wrap(native.fusedEmbedding(table, idsHandle, opts.stream));
  try {
    checkIndices('fused.embedding', ids, weight.shape[0], `axis 0 of the array of shape ${formatShape(weight.shape)}`);
  } catch (err) {
    out.dispose();
    throw err;
  }
  return out;
}

/**
 * x + bias over the last axis (bias [x.shape.at(-1)]), Linear's bias: one threaded pass, in place when x's
 * buffer can be reused (a matmul's output); its bias gradient is {@link biasGrad}. Other dtypes: mx.add.
 */
export function biasAdd(x: MxArray, bias: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.biasAdd', ['stream']);
  const b = arrayOf(bias, 'fused.biasAdd', 'bias');
  if (bias.ndim !== 1 || bias.shape[0] !== x.shape.at(-1)) {
    throw new ShapeError(`fused.biasAdd: expected a bias of shape [${x.shape.at(-1)}] (the last axis of x ${formatShape(x.shape)}) but received ${formatShape(bias.shape)}`);
  }
  return wrap(native.fusedBiasAdd(floatingInput(x, 'biasAdd'), b, opts.stream));
}

/**
 * x·Wᵀ for x [..., in] and a weight W [out, in] (Linear without its bias): for float32 on the CPU its
 * gradient computes dW = dYᵀ·x as one GEMM in W's own row layout, where the stock matmul(x, transpose(W))
 * gives a transposed view that every consumer (the fused optimizer update) copies first.
 */
export function linear(x: MxArray, weight: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.linear', ['stream']);
  return wrap(native.fusedLinear(arrayOf(x, 'fused.linear', 'x'), arrayOf(weight, 'fused.linear', 'weight'), opts.stream));
}

/** a + b as one threaded pass for float32 arrays of one shape; other dtypes and broadcasting shapes take mx.add. */
export function add(a: MxArray, b: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.add', ['stream']);
  return wrap(native.fusedAdd(arrayOf(a, 'fused.add', 'a'), arrayOf(b, 'fused.add', 'b'), opts.stream));
}

/** The sum of g over every axis but the last (the bias gradient), as a threaded blocked reduction. */
export function biasGrad(g: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.biasGrad', ['stream']);
  return wrap(native.fusedBiasGrad(floatingInput(g, 'biasGrad', 'g'), opts.stream));
}

/** The fused kernels nn and models use for float32 on the CPU while fusedKernelsEnabled() is on (`doctor` lists them). */
export const kernels: readonly { readonly name: string; readonly usedBy: string }[] = [
  { name: 'gelu', usedBy: 'nn.gelu, nn.GELU' },
  { name: 'geluApprox', usedBy: 'nn.geluApprox, nn.GELU({ approx: "precise" })' },
  { name: 'attention', usedBy: 'nn.scaledDotProductAttention, nn.MultiHeadAttention, BERT and ModernBERT attention (q·kᵀ, masked softmax, probability dropout and ·v in one primitive each way)' },
  { name: 'layerNorm', usedBy: 'nn.LayerNorm (affine; a post-norm layer\'s residual add in the same pass: BERT, MiniLM)' },
  { name: 'dropout', usedBy: 'nn.Dropout' },
  { name: 'embedding', usedBy: 'nn.Embedding (lookup and its gradient)' },
  { name: 'linear', usedBy: 'nn.Linear (x·Wᵀ, its weight gradient computed in the weight\'s own layout)' },
  { name: 'add', usedBy: 'nn.LoRALinear (the update joining the frozen output), pre-norm nn.TransformerEncoderLayer and ModernBERT residuals' },
  { name: 'biasAdd', usedBy: 'nn.Linear with a bias (the bias add and its gradient\'s column sum; BERT, MiniLM)' },
  { name: 'optimizerUpdate', usedBy: 'optim AdamW, Adam, SGD, Lion (the whole tree in one pass; core/fused-optim.ts)' },
  { name: 'sumOfSquares', usedBy: 'optim.clipScale / clipGradNorm (the global gradient norm)' },
];

/**
 * The instruction set of the attention core's per-head matmuls in this process: 'avx512', 'avx2' or
 * 'portable' (the CPU's widest; MLX_TRAIN_SMALL_GEMM=avx2 or =portable caps it). Every path adds the
 * products in the same order; 'portable' rounds differently (no fused multiply-add).
 */
export function smallGemmPath(): 'avx512' | 'avx2' | 'portable' {
  return native.fusedSmallGemmPath();
}

/** Threads the fused kernels spread one pass over, the MLX stream thread included. */
export function threads(): number {
  return native.fusedKernelThreads();
}
