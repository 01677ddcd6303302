// Linear's matmul x·Wᵀ with its weight gradient computed in W's own layout. Through the stock
// matmul(x, transpose(W)), MLX's vjp gives dW as the transpose of xᵀ·dY: a strided view, which the fused
// optimizer update then copies into rows on the stream thread (every Linear weight, every step: ~42 MB
// a MiniLM step). Here the vjp computes dW = dYᵀ·x as one GEMM straight into [out, in] rows, as
// PyTorch's addmm backward does.
#pragma once

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// x·Wᵀ for x [..., in] and W [out, in]. float32 on a CPU stream takes the custom gradient; anything
// else (and any shape mismatch, which matmul names) the stock matmul(x, transpose(W)).
mx::array FusedLinear(const mx::array& x, const mx::array& w, mx::StreamOrDevice s = {});

}  // namespace mlxt
