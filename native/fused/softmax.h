// Fused masked softmax (softmax(x + mask) over the last axis) and the attention built on it, as MLX
// custom primitives: one multi-threaded, vectorised pass each way instead of MLX's single-threaded
// broadcast add and softmax.
#pragma once

#include <optional>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// softmax(x + mask, axis=-1); mask (optional) is additive and broadcastable to x, or boolean (false =
// masked out, as finfo.min). float32 on a CPU stream takes the fused primitive; anything else gets
// mx::softmax over the stock add.
mx::array FusedMaskedSoftmax(const mx::array& x, const std::optional<mx::array>& mask, mx::StreamOrDevice s = {});

// softmax(q·kᵀ·scale + mask)·v over [B, N, T, D]: for float32 on the CPU with as many key/value heads as
// query heads, the two matmuls around the fused softmax; otherwise mx::fast::scaled_dot_product_attention.
mx::array FusedAttention(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                         const std::optional<mx::array>& mask, mx::StreamOrDevice s = {});

}  // namespace mlxt
