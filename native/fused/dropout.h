// Fused dropout as an MLX custom primitive: the keep mask is drawn inside the kernel from an MLX random
// key with the same counter-based Threefry-2x32 bits mx::random::bits produces for that key, so the mask
// equals mx::random::bernoulli(keep, x.shape, key)'s bit for bit (and compiled, eager, fused and stock
// runs, and a resumed run, all draw the same numbers); x·mask·(1/keep) is then one multi-threaded pass.
#pragma once

#include <optional>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// x·bernoulli(keep)·scale, with the mask from `key` (uint32[2]), or from MLX's global key sequence when
// absent (advancing it exactly as mx::random::bernoulli does). Linear in x, so its gradient is the same
// primitive applied to the cotangent. Non-float32 or non-CPU: the stock bernoulli and multiplies.
mx::array FusedDropout(const mx::array& x, float keep, float scale, const std::optional<mx::array>& key,
                       mx::StreamOrDevice s = {});

// The mask alone, as float32: bernoulli(keep, shape, key)·scale (0 or scale), the same bits FusedDropout
// draws for an x of that shape and key; for a kernel that applies the mask inside its own pass (the
// attention core's probability dropout). The key as FusedDropout takes it. `stock` draws it with
// mx::random::bernoulli instead of the fused primitive (same bits; for the fused kernels' switch off).
mx::array DropoutMask(const mx::Shape& shape, float keep, float scale, const std::optional<mx::array>& key,
                      mx::StreamOrDevice s = {}, bool stock = false);

}  // namespace mlxt
