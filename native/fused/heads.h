// Attention head layout changes as MLX custom primitives: [..., T, H·D] ↔ [..., H, T, D] written straight
// into a row-contiguous output by a threaded copy of D-float blocks. With a plain transpose, MLX's matmul
// (and the reshape after attention) makes that copy itself, with its generic single-threaded strided
// loop, on every attention input, output and gradient.
#pragma once

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// x [..., T, H·D] → [..., H, T, D], row-contiguous (the value of transpose(reshape(x, [..., T, H, D]))).
// float32 on a CPU stream takes the primitive; anything else the stock reshape + transpose. Throws
// std::invalid_argument when x has fewer than 2 dimensions or its last one is not divisible by heads.
mx::array FusedSplitHeads(const mx::array& x, int heads, mx::StreamOrDevice s = {});

// x [..., H, T, D] → [..., T, H·D], row-contiguous: the inverse of FusedSplitHeads (and its gradient).
// Throws std::invalid_argument when x has fewer than 3 dimensions.
mx::array FusedMergeHeads(const mx::array& x, mx::StreamOrDevice s = {});

}  // namespace mlxt
