// Fused embedding lookup as MLX custom primitives: the forward gathers table rows and the gradient
// scatter-adds the output gradient into a fresh [vocab, dims] table, both split over the cores, where
// MLX's take/scatter_add (and the zero-filled gradient table) run on one thread.
#pragma once

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// take(weight, ids, 0) for a 2-D weight and integer ids of any shape: [...ids.shape, dims]. float32 on a
// CPU stream takes the fused primitive; anything else mx::take. Ids outside [−vocab, vocab) give zero rows
// (and no gradient); negative ids count from the end, as in take.
mx::array FusedEmbedding(const mx::array& weight, const mx::array& ids, mx::StreamOrDevice s = {});

}  // namespace mlxt
