// Per-environment state (main thread and each worker thread get their own), freed with the env.
#pragma once

#include <napi.h>

namespace mlxt {

void ReleaseAtTeardown();  // wrap.cc

struct Instance {
  Napi::FunctionReference mlxErrorClass;

  // The env is going away: release the arrays waiting in wrap.cc's release queue, and any later ones
  // as their finalizers come (a worker thread's arrays must not outlive it).
  ~Instance() { ReleaseAtTeardown(); }

  static Instance& Get(Napi::Env env) { return *env.GetInstanceData<Instance>(); }
  static void Init(Napi::Env env) { env.SetInstanceData<Instance>(new Instance()); }
};

}  // namespace mlxt
