// Fused optimizer updates as MLX custom primitives: one multi-threaded, vectorised pass over the whole
// parameter tree per step (instead of ~10 single-threaded elementwise ops per parameter), and one pass
// for the sum of squares the global-norm clip needs. The clip coefficient enters the update as an input,
// so clipping costs one read of the gradients rather than a multiply-and-write of all of them.
#pragma once

#include <vector>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

enum class OptimKind { kAdam, kSgd, kLion };

// Hyperparameters that do not change between steps (they are part of the primitive, so compile keeps
// them as constants); the learning rate, step count and gradient scale are array inputs instead.
struct OptimConfig {
  OptimKind kind = OptimKind::kAdam;
  double beta1 = 0, beta2 = 0, eps = 0;  // Adam: betas, eps; Lion: betas
  double weightDecay = 0;                // AdamW's and Lion's decoupled decay; SGD's L2 term
  bool decoupledDecay = false;           // Adam: multiply by (1 - lr·wd) first (AdamW)
  bool biasCorrection = false;           // Adam
  double momentum = 0, dampening = 0;    // SGD
  bool nesterov = false;                 // SGD
};

// Optimizer state arrays per parameter: Adam {m, v}, SGD with momentum {v}, SGD without {}, Lion {m}.
int StateCount(const OptimConfig& config);

// One update of every parameter: grads are first multiplied by gradScale (the clip coefficient, 1 when
// not clipping); `step` is the step count after this update (bias correction). `states` holds
// StateCount(config) arrays per parameter, in parameter order. Returns, per parameter, the new parameter
// followed by its new states. All arrays float32 on a CPU stream (std::invalid_argument otherwise).
std::vector<mx::array> FusedOptimizerUpdate(const OptimConfig& config, const mx::array& learningRate,
                                            const mx::array& step, const mx::array& gradScale,
                                            const std::vector<mx::array>& params, const std::vector<mx::array>& grads,
                                            const std::vector<mx::array>& states, mx::StreamOrDevice s = {});

// Σ x² over every element of every array, as a float32 scalar (accumulated in double).
mx::array FusedSumOfSquares(const std::vector<mx::array>& arrays, mx::StreamOrDevice s = {});

}  // namespace mlxt
