// mx.fast.gelu / mx.fast.geluApprox: our own fused CPU primitives (native/fused_gelu.cc), as opposed to
// native/fast.cc, which binds MLX's mx::fast entry points.
#include <napi.h>

#include "exports.h"
#include "fused_gelu.h"
#include "parallel_for.h"
#include "wrap.h"

namespace mlxt {

void InitFused(Napi::Object exports) {
  // (x, stream)
  MLXT_EXPORT(exports, "fastGelu", {
    return Wrap(info.Env(), FusedGelu(Unwrap(info[0], "x"), GeluKind::kExact, ToStream(info[1])));
  });
  // (x, stream)
  MLXT_EXPORT(exports, "fastGeluApprox", {
    return Wrap(info.Env(), FusedGelu(Unwrap(info[0], "x"), GeluKind::kTanh, ToStream(info[1])));
  });
  // Threads the fused kernels spread over (the calling stream thread included).
  MLXT_EXPORT(exports, "fusedKernelThreads", { return Napi::Number::New(info.Env(), ParallelThreads()); });
}

}  // namespace mlxt
