// Linear's bias as MLX custom primitives: x + bias over the last axis in one threaded, vectorised pass
// (in place when x's buffer can be donated, as a matmul's output can), and the bias gradient, the column
// sum of the cotangent, as a threaded blocked reduction. On MLX's CPU backend the stock path is AddMM's
// single-threaded broadcast copy of the bias into the output and a single-threaded axis-0 Sum.
#pragma once

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// x + bias, bias of shape [x.shape(-1)]. float32 on a CPU stream with a float32 bias takes the fused
// primitive; anything else gets mx::add.
mx::array FusedBiasAdd(const mx::array& x, const mx::array& bias, mx::StreamOrDevice s = {});

// The sum of g over every axis but the last: the bias gradient on its own.
mx::array FusedBiasGrad(const mx::array& g, mx::StreamOrDevice s = {});

}  // namespace mlxt
