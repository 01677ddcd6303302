// The attention core softmax(q·kᵀ·scale + mask)·v as one MLX primitive each way: the forward keeps the
// probabilities for the backward, which returns dq, dk and dv together. eval_cpu splits the (batch, head)
// pairs over the pool; each task does its head's small matmuls single-threaded (small_gemm.h) on data that
// stays in cache, instead of B·H BLAS calls issued one by one from MLX's stream thread. q, k, v may be
// heads split off [B, T, H·D] projections as views (reshape + transpose): they are read in place, and the
// output and gradients come back in that token-major layout, so no step copies heads in or out.
#pragma once

#include <optional>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// True when AttentionCore takes the fused primitive for these arguments (float32 [B, H, T, D] q, k, v on
// a CPU stream, equal heads, a float32 or boolean mask broadcastable to [B, H, Tq, Tk]); otherwise it
// computes the same value with mx::fast::scaled_dot_product_attention.
bool AttentionCoreApplies(const mx::array& q, const mx::array& k, const mx::array& v,
                          const std::optional<mx::array>& mask, const mx::Stream& stream);

// With keep < 1, the probabilities are dropped out (kept with probability keep, scaled by 1/keep) before
// they meet v, with the mask DropoutMask draws for [B, H, Tq, Tk] from `key` (or the global sequence):
// HF BERT's attention-probability dropout. Without the primitive, a stock composition does the same.
mx::array AttentionCore(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                        const std::optional<mx::array>& mask, float keep = 1.0f,
                        const std::optional<mx::array>& key = std::nullopt, mx::StreamOrDevice s = {});

// The same with dropout (keep < 1) in stock MLX ops: AttentionCore's composition for what its primitive
// does not take, and, with `stockMask` (bernoulli, not the fused mask primitive), the fused kernels'
// switch off. Any float dtype; grouped heads repeat k and v.
mx::array StockDropoutAttention(const mx::array& q, mx::array k, mx::array v, float scale,
                                const std::optional<mx::array>& mask, float keep, const std::optional<mx::array>& key,
                                mx::StreamOrDevice s, bool stockMask);

}  // namespace mlxt
