// Fused LayerNorm over the last axis as MLX custom primitives: one multi-threaded, vectorised pass for the
// forward and one for the gradient (dx, dweight, dbias together), where MLX's CPU backend runs
// mx::fast::layer_norm as a chain of single-threaded ops.
#pragma once

#include <optional>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// (x − mean)/√(var + eps)·weight + bias over the last axis. The fused primitive runs for float32 on a CPU
// stream with a 1-D float32 weight (and bias, if any) of the last axis' size; otherwise mx::fast::layer_norm.
// With a residual of x's shape and dtype, it normalises x + residual (a post-norm layer's add & norm) in
// the same pass, and x's gradient is the residual's.
mx::array FusedLayerNorm(const mx::array& x, const std::optional<mx::array>& weight,
                         const std::optional<mx::array>& bias, float eps,
                         const std::optional<mx::array>& residual = std::nullopt, mx::StreamOrDevice s = {});

}  // namespace mlxt
