// a + b for two float32 arrays of one shape as one threaded pass (MLX's CPU backend adds on its stream's
// single thread): the adds on a training step's path that MLX's autodiff does not make itself, such as a
// LoRA adapter's update joining its frozen layer's output, or a pre-norm residual.
#pragma once

#include <cstddef>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// Other dtypes, shapes that broadcast and other devices take mx::add.
mx::array FusedAdd(const mx::array& a, const mx::array& b, mx::StreamOrDevice s = {});

// y[i] = a[i] + b[i] for n contiguous floats, vectorised (the kernel of FusedAdd; the residual LayerNorm
// sums a row with it). y may be a's or b's own memory: each element is read before it is written.
void AddFloats(const float* a, const float* b, float* y, std::size_t n);

}  // namespace mlxt
