/**
 * Useful training FLOPs of a BERT encoder (the matmuls only): per token, 2 FLOPs per weight forward and
 * 4 backward (2 with a frozen base: no weight gradients), plus the attention scores and their use,
 * 4·H·T per token per layer forward. What MFU divides by doctor's GEMM peak.
 */
export interface EncoderShape { layers: number; hidden: number; ffn: number }

export function encoderTrainingFlops(shape: EncoderShape, lengths: number[], frozenBase = false): number {
  const { layers: L, hidden: H, ffn: F } = shape;
  const params = L * (4 * H * H + 2 * H * F);
  const [k1, k2] = frozenBase ? [4, 8] : [6, 12];
  return lengths.reduce((sum, t) => sum + k1 * params * t + k2 * L * H * t ** 2, 0);
}
