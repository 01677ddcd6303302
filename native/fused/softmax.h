// Fused masked softmax (softmax(x + mask) over the last axis), as MLX
// custom primitives: one multi-threaded, vectorised pass each way instead of MLX's single-threaded
// broadcast add and softmax.
#pragma once

#include <cstddef>
#include <optional>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// The row kernels the primitives here (and the attention core) run: y = softmax(x + m) over one row of n
// (m may be null; masked entries come out exactly 0; y may alias x), and dx = y·(g − Σ g·y) (dx may alias g).
void SoftmaxRow(const float* x, const float* __restrict m, float* y, std::size_t n);
void SoftmaxGradRow(const float* __restrict y, const float* g, float* dx, std::size_t n);

// softmax(x + mask, axis=-1); mask (optional) is additive and broadcastable to x, or boolean (false =
// masked out, as finfo.min). float32 on a CPU stream takes the fused primitive; anything else gets
// mx::softmax over the stock add.
mx::array FusedMaskedSoftmax(const mx::array& x, const std::optional<mx::array>& mask, mx::StreamOrDevice s = {});

}  // namespace mlxt
