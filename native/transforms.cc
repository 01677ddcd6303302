// Function transforms: vjp, jvp, valueAndGrad, checkpoint, compile. MLX traces a JS function by calling it
// on the calling (JS) thread with tracer arrays; the JS side works on flat lists of array handles and
// builds any trees itself (src/core/transforms.ts).
#include <napi.h>

#include <memory>

#include "exports.h"
#include "mlx/compile.h"
#include "mlx/compile_impl.h"
#include "mlx/transforms.h"
#include "wrap.h"

namespace mlxt {

namespace {

using ArrayFn = std::function<std::vector<mx::array>(const std::vector<mx::array>&)>;

std::vector<mx::array> CallJs(Napi::Env env, const Napi::Function& fn, const std::vector<mx::array>& xs) {
  Napi::HandleScope scope(env);
  // With C++ exceptions enabled, a throw inside `fn` arrives here as Napi::Error (holding the original JS
  // error object); it unwinds through MLX's tracing code and Guard rethrows it unchanged.
  Napi::Value out = fn.Call({WrapMany(env, xs)});
  return ToArrayList(out, "the traced function's result");
}

// An MLX function that calls a JS function available only during the current native call.
ArrayFn Borrowed(Napi::Env env, Napi::Function fn) {
  return [env, fn](const std::vector<mx::array>& xs) { return CallJs(env, fn, xs); };
}

// A JS function MLX may call after the native call that received it returned (compiled functions
// retrace, checkpoints recompute in the backward pass). The JS wrapper we return owns it; MLX's copies
// of the closure only hold a weak pointer, which is safe to drop on whatever thread frees the graph.
struct JsCallable {
  Napi::Env env;
  Napi::FunctionReference fn;
  JsCallable(Napi::Env e, Napi::Function f) : env(e), fn(Napi::Persistent(f)) {}
};

ArrayFn Retained(const std::shared_ptr<JsCallable>& callable) {
  std::weak_ptr<JsCallable> weak = callable;
  return [weak](const std::vector<mx::array>& xs) {
    auto c = weak.lock();
    if (!c) {
      throw std::runtime_error("the JS function behind this graph was garbage-collected; keep the function returned by mx.checkpoint/mx.compile alive while its results are used");
    }
    return CallJs(c->env, c->fn.Value(), xs);
  };
}

Napi::Function ToFunction(const Napi::Value& v, const char* what) {
  if (!v.IsFunction()) ThrowType(std::string("expected a function for ") + what);
  return v.As<Napi::Function>();
}

Napi::Value Pair(Napi::Env env, const std::vector<mx::array>& a, const std::vector<mx::array>& b) {
  auto out = Napi::Array::New(env, 2);
  out.Set(0u, WrapMany(env, a));
  out.Set(1u, WrapMany(env, b));
  return out;
}

// A compiled JS function. Its address is the MLX compile-cache id, so each one has its own cache entries,
// erased when the JS wrapper is garbage-collected.
struct Compiled {
  std::shared_ptr<JsCallable> callable;
  ArrayFn fn;
  std::uintptr_t Id() const { return reinterpret_cast<std::uintptr_t>(this); }
  ~Compiled() { mx::detail::compile_erase(mx::detail::compile_cache(), Id()); }
};

}  // namespace

void InitTransforms(Napi::Object exports) {
  // (fn, primals, cotangents) → [outputs, vjps]
  MLXT_EXPORT(exports, "vjp", {
    auto fn = ToFunction(info[0], "fn");
    auto primals = ToArrayList(info[1], "primals");
    auto cotangents = ToArrayList(info[2], "cotangents");
    auto [outs, vjps] = mx::vjp(Borrowed(info.Env(), fn), primals, cotangents);
    return Pair(info.Env(), outs, vjps);
  });

  // (fn, primals, tangents) → [outputs, jvps]
  MLXT_EXPORT(exports, "jvp", {
    auto fn = ToFunction(info[0], "fn");
    auto primals = ToArrayList(info[1], "primals");
    auto tangents = ToArrayList(info[2], "tangents");
    auto [outs, jvps] = mx::jvp(Borrowed(info.Env(), fn), primals, tangents);
    return Pair(info.Env(), outs, jvps);
  });

  // (fn, inputs, argnums) → [outputs, grads of outputs[0] w.r.t. inputs[argnums]]
  MLXT_EXPORT(exports, "valueAndGrad", {
    auto fn = ToFunction(info[0], "fn");
    auto inputs = ToArrayList(info[1], "inputs");
    auto argnums = ToIntVector(info[2], "argnums");
    auto [outs, grads] = mx::value_and_grad(Borrowed(info.Env(), fn), argnums)(inputs);
    return Pair(info.Env(), outs, grads);
  });

  // (fn) → checkpointed(inputs) → outputs; the backward pass calls fn again instead of keeping activations.
  MLXT_EXPORT(exports, "checkpoint", {
    auto callable = std::make_shared<JsCallable>(info.Env(), ToFunction(info[0], "fn"));
    ArrayFn fn = mx::checkpoint(Retained(callable));
    return Napi::Function::New(
        info.Env(),
        [callable, fn](const Napi::CallbackInfo& info) -> Napi::Value {
          return Guard(info, "checkpoint", [&]() -> Napi::Value {
            return WrapMany(info.Env(), fn(ToArrayList(info[0], "inputs")));
          });
        },
        "checkpointed");
  });

  // (fn, shapeless) → compiled(inputs) → outputs
  MLXT_EXPORT(exports, "compile", {
    auto state = std::make_shared<Compiled>();
    state->callable = std::make_shared<JsCallable>(info.Env(), ToFunction(info[0], "fn"));
    bool shapeless = ToBool(info[1], "shapeless");
    state->fn = mx::detail::compile(Retained(state->callable), state->Id(), shapeless);
    return Napi::Function::New(
        info.Env(),
        [state](const Napi::CallbackInfo& info) -> Napi::Value {
          return Guard(info, "compile", [&]() -> Napi::Value {
            auto inputs = ToArrayList(info[0], "inputs");
            try {
              return WrapMany(info.Env(), state->fn(inputs));
            } catch (...) {
              // A trace that threw leaves a half-filled cache entry behind; drop it so the next call retraces.
              mx::detail::compile_erase(mx::detail::compile_cache(), state->Id());
              throw;
            }
          });
        },
        "compiled");
  });

  MLXT_EXPORT(exports, "disableCompile", {
    mx::disable_compile();
    return info.Env().Undefined();
  });
  MLXT_EXPORT(exports, "enableCompile", {
    mx::enable_compile();
    return info.Env().Undefined();
  });
}

}  // namespace mlxt
