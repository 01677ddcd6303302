// Per-environment state (main thread and each worker thread get their own), freed with the env.
#pragma once

#include <napi.h>

namespace mlxt {

struct Instance {
  Napi::FunctionReference mlxErrorClass;

  static Instance& Get(Napi::Env env) { return *env.GetInstanceData<Instance>(); }
  static void Init(Napi::Env env) { env.SetInstanceData<Instance>(new Instance()); }
};

}  // namespace mlxt
