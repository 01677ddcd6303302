// Every exported function runs inside Guard: MLX's C++ exceptions become JS errors that name the op,
// and nothing is allowed to unwind into N-API.
#pragma once

#include <napi.h>

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "checked.h"

namespace mlxt {

// A JS-side error that argument checking throws; carries which JS class to use.
struct ArgError : std::exception {
  enum Kind { Type, Range };
  Kind kind;
  std::string message;
  ArgError(Kind k, std::string m) : kind(k), message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

[[noreturn]] inline void ThrowType(const std::string& m) { throw ArgError(ArgError::Type, m); }
[[noreturn]] inline void ThrowRange(const std::string& m) { throw ArgError(ArgError::Range, m); }

// Builds the JS error for an exception caught while running `op`; sets `code` like Node's own errors.
Napi::Error MakeError(Napi::Env env, const char* op, std::exception_ptr ep);

// Registers the JS error classes used by MakeError (MlxError), handed over by the TS loader at init.
void InitErrors(Napi::Env env, Napi::Object exports);

template <typename F>
inline Napi::Value Guard(const Napi::CallbackInfo& info, const char* op, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;  // already a JS exception (e.g. one thrown by a JS callback)
  } catch (...) {
    MakeError(info.Env(), op, std::current_exception()).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
}

}  // namespace mlxt
