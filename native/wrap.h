// Wrapping MLX arrays as JS values and converting JS arguments (shapes, axes, dtypes, scalars).
//
// An MLX array crosses into JS as an External holding a Holder. The TS `Array` class keeps that handle;
// creating a plain External is far cheaper than an ObjectWrap instance, which matters at ~1 µs per op.
// Holder.array is freed by dispose() or, as a safety net, by the GC finalizer, whichever comes first;
// the Holder itself lives until the finalizer, so a disposed handle is still recognised (and refused).
//
// V8 is told only about bytes the GC alone can free. An array made while a tidy scope is open will be
// disposed by that scope, or handed out of it (returned, kept), and is reported then: reporting every
// activation of a training step made V8 start a full mark-compact ~3 times per step ("external memory
// pressure") for memory the step frees itself.
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

// What a handle points at: the array (empty once disposed) and the bytes reported to V8. Holders live
// in wrap.cc's per-thread pool, which is also how a handle is recognised as ours.
struct Holder {
  std::optional<mx::array> array;
  int64_t reportedBytes = 0;
  Holder* nextFree = nullptr;  // pool bookkeeping
  bool live = false;           // between Wrap and the GC finalizer
};

// Returns a JS handle owning a copy (shared reference) of `a`; reports its size to V8.
Napi::Value Wrap(Napi::Env env, mx::array a);
Napi::Value WrapMany(Napi::Env env, const std::vector<mx::array>& arrays);

// The array behind handle `v`; a TypeError names `what` when v is not a live array handle.
mx::array& Unwrap(const Napi::Value& v, const char* what = "array");
bool IsArrayHandle(const Napi::Value& v);
// Frees the array now (idempotent); returns false if it was already disposed.
bool Dispose(const Napi::Value& v);
// While a tidy scope is open (set by the TS scope module on the outermost scope's entry and exit), new
// handles are not reported to V8; ReportToGc reports one (idempotent) when it leaves the scope's care.
// Changes made while the scope is open reach V8 as one net figure when it closes.
void SetScopeOpen(napi_env env, bool open);
void ReportToGc(const Napi::Value& v);

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
