// Wrapping MLX arrays as JS values and converting JS arguments (shapes, axes, dtypes, scalars).
//
// An MLX array crosses into JS as a handle: a BigInt naming a slot of this thread's holder pool and the
// slot's generation (wrap.cc). Making one costs a small young-generation object and no weak reference,
// which matters at well under 1 µs per op. Who frees the array:
// - while tidy scopes are open, the innermost one owns each new array; closing it frees what it owns
//   except what escapes (returned, or kept with KeepOutOfScopes), in one native call;
// - an array no scope owns belongs to the GC's safety net: the TS side registers its wrapper with a
//   FinalizationRegistry, whose callback disposes the handle; dispose() frees it earlier.
// A freed slot is reused under a new generation, so an old handle is refused as disposed.
//
// V8 is told only about bytes the GC alone can free: an array is counted when it belongs to no scope
// (made outside one, escaping the outermost, kept). Counting every activation of a training step made
// V8 start a full mark-compact ~3 times per step ("external memory pressure") for memory the step frees.
#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <vector>

#include "checked.h"
#include "errors.h"
#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// Registers the env teardown hook that frees the arrays still held (once per env, at load).
void InitHandles(napi_env env);
// Returns a JS handle owning a copy (shared reference) of `a`, owned by the innermost open scope if any.
Napi::Value Wrap(Napi::Env env, mx::array a);
Napi::Value WrapMany(Napi::Env env, const std::vector<mx::array>& arrays);

// The array behind handle `v`; a TypeError names `what` when v is not a live array handle.
mx::array& Unwrap(const Napi::Value& v, const char* what = "array");
bool IsArrayHandle(const Napi::Value& v);
// Arrays this thread holds for JS (handles not yet freed): a test aid for leaks.
size_t LiveHandles();
// Frees the array now (idempotent); returns false if it was already disposed.
bool Dispose(const Napi::Value& v);
// Tidy scopes (driven by the TS scope module). CloseScope frees the arrays the innermost scope owns except
// those among `escaping`, which pass to the enclosing scope, or, from the outermost, to the GC's safety
// net; for each of `escaping` it says whether it was handed to the GC just now (the TS side then
// registers its wrapper). Byte changes made while scopes are open reach V8 as one figure at the end.
void OpenScope();
std::vector<bool> CloseScope(napi_env env, const std::vector<Napi::Value>& escaping);
// Takes the array out of every open scope's care and hands it to the GC's safety net; false if no scope
// owned it.
bool KeepOutOfScopes(const Napi::Value& v);

// An array argument, or a JS number/boolean made into a scalar that takes `like`'s dtype where MLX's
// Python binding would (weak scalar typing: x_f16 * 2 stays float16). As there, an integer scalar that
// `like`'s integer dtype cannot hold is an error (std::invalid_argument), never silently wrapped.
mx::array ToArray(const Napi::Value& v, const mx::array* like, const char* what);
// Both operands of a binary op, with the same weak-scalar rule applied in either position.
std::pair<mx::array, mx::array> ToArrayPair(const Napi::Value& a, const Napi::Value& b);
// The same overflow check for a scalar given a dtype instead of an array (e.g. full's value): throws
// std::invalid_argument when `v` is an integer (number or BigInt) that integer dtype `t` cannot hold.
void CheckScalarFits(const Napi::Value& v, mx::Dtype t);

mx::Dtype ToDtype(const Napi::Value& v, const char* what = "dtype");
int DtypeCode(mx::Dtype d);
mx::Shape ToShape(const Napi::Value& v, const char* what = "shape");
// The same without the sign check (reshape's and unflatten's -1), read straight into a Shape.
mx::Shape ToIntShape(const Napi::Value& v, const char* what);
std::vector<int> ToIntVector(const Napi::Value& v, const char* what);
int ToInt(const Napi::Value& v, const char* what);
double ToDouble(const Napi::Value& v, const char* what);
bool ToBool(const Napi::Value& v, const char* what);
// Axes argument: undefined/null → nullopt (all axes), a number or an array of numbers.
std::optional<std::vector<int>> ToAxes(const Napi::Value& v, const char* what = "axes");
std::vector<mx::array> ToArrayList(const Napi::Value& v, const char* what);
mx::StreamOrDevice ToStream(const Napi::Value& v);

std::string Describe(const mx::array& a);  // "float32[2,3]"

// Registers an exported function whose body runs under Guard with the op name.
#define MLXT_EXPORT(exports, name, ...)                                                               \
  (exports).Set(name, Napi::Function::New(                                                           \
                          (exports).Env(),                                                           \
                          [](const Napi::CallbackInfo& info) -> Napi::Value {                        \
                            return ::mlxt::Guard(info, name, [&]() -> Napi::Value __VA_ARGS__);            \
                          },                                                                         \
                          name))

}  // namespace mlxt
