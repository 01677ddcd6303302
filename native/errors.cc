#include "errors.h"

#include "instance.h"

namespace mlxt {

namespace {

Napi::Error WithCode(Napi::Error err, const char* code) {
  err.Value().Set("code", Napi::String::New(err.Env(), code));
  return err;
}

Napi::Error MlxError(Napi::Env env, const std::string& message, const char* code) {
  auto& inst = Instance::Get(env);
  if (!inst.mlxErrorClass.IsEmpty()) {
    auto obj = inst.mlxErrorClass.Value().New({Napi::String::New(env, message), Napi::String::New(env, code)});
    return Napi::Error(env, obj);
  }
  return WithCode(Napi::Error::New(env, message), code);
}

}  // namespace

Napi::Error MakeError(Napi::Env env, const char* op, std::exception_ptr ep) {
  std::string prefix = std::string(op) + ": ";
  try {
    std::rethrow_exception(ep);
  } catch (const ArgError& e) {
    if (e.kind == ArgError::Range) {
      return WithCode(Napi::RangeError::New(env, prefix + e.message), "ERR_OUT_OF_RANGE");
    }
    return WithCode(Napi::TypeError::New(env, prefix + e.message), "ERR_INVALID_ARG_TYPE");
  } catch (const std::out_of_range& e) {
    return WithCode(Napi::RangeError::New(env, prefix + e.what()), "MLX_OUT_OF_RANGE");
  } catch (const std::invalid_argument& e) {
    return MlxError(env, prefix + e.what(), "MLX_INVALID_ARGUMENT");
  } catch (const MemoryError& e) {
    return MlxError(env, prefix + e.what(), "MLX_OUT_OF_MEMORY");
  } catch (const std::bad_alloc&) {
    return MlxError(env, prefix + "out of memory (MLX allocation failed or the memory limit was exceeded)",
                    "MLX_OUT_OF_MEMORY");
  } catch (const std::exception& e) {
    return MlxError(env, prefix + e.what(), "MLX_ERROR");
  } catch (...) {
    return MlxError(env, prefix + "unknown native exception", "MLX_ERROR");
  }
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(info.Env(), "setErrorClass: expected a constructor").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    Instance::Get(info.Env()).mlxErrorClass = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }));
}

}  // namespace mlxt
