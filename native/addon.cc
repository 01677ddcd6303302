// Module init only: per-environment state, then each area's exports.
#include <napi.h>

#include "errors.h"
#include "exports.h"
#include "instance.h"
#include "mlx/version.h"
#include "wrap.h"

namespace mlxt {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Instance::Init(env);
  InitHandles(env);
  InitErrors(env, exports);
  InitArray(exports);
  InitOps(exports);
  InitShape(exports);
  InitIndexing(exports);
  InitRandom(exports);
  InitFast(exports);
  InitFused(exports);
  InitQuantize(exports);
  InitIo(exports);
  InitMemory(exports);
  InitDevice(exports);
  InitTransforms(exports);
  InitSystem(exports);
  InitDistributed(exports);
  InitLinalg(exports);
  InitOptim(exports);
  exports.Set("mlxVersion", Napi::String::New(env, mlx::core::version()));
  return exports;
}

}  // namespace mlxt

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return mlxt::Init(env, exports); }

NODE_API_MODULE(mlx_train, InitAddon)
