// Fused GELU as MLX custom primitives: one multi-threaded, vectorised pass for the forward and one for
// the gradient, instead of MLX's chain of single-threaded elementwise ops (erf alone is a full pass).
#pragma once

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

enum class GeluKind { kExact, kTanh };  // x·Φ(x) with erf, and the tanh formula of mlx.nn.gelu_approx

// gelu(x). float32 on a CPU stream takes the fused primitive; any other dtype or device gets the same
// composition of stock MLX ops that mlx.nn uses. Throws std::invalid_argument for non-floating input.
mx::array FusedGelu(const mx::array& x, GeluKind kind, mx::StreamOrDevice s = {});

// cotangent · gelu'(x), the gradient pass on its own (x and cotangent broadcast together).
mx::array FusedGeluGrad(const mx::array& x, const mx::array& cotangent, GeluKind kind, mx::StreamOrDevice s = {});

}  // namespace mlxt
