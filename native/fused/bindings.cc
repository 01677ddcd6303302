// mx.fused: our own fused CPU primitives (this folder), as opposed to native/fast.cc, which binds MLX's
// mx::fast entry points.
#include <napi.h>

#include "../exports.h"
#include "../wrap.h"
#include "gelu.h"
#include "parallel_for.h"

namespace mlxt {

void InitFused(Napi::Object exports) {
  // (x, stream)
  MLXT_EXPORT(exports, "fusedGelu", {
    return Wrap(info.Env(), FusedGelu(Unwrap(info[0], "x"), GeluKind::kExact, ToStream(info[1])));
  });
  // (x, stream)
  MLXT_EXPORT(exports, "fusedGeluApprox", {
    return Wrap(info.Env(), FusedGelu(Unwrap(info[0], "x"), GeluKind::kTanh, ToStream(info[1])));
  });
  // Threads the fused kernels spread over (the calling stream thread included).
  MLXT_EXPORT(exports, "fusedKernelThreads", { return Napi::Number::New(info.Env(), ParallelThreads()); });
}

}  // namespace mlxt
