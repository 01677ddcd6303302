// Memory statistics and limits (bytes as JS numbers: exact up to 2^53).
#include <napi.h>

#include <cmath>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

size_t ToBytes(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) ThrowType(std::string("expected a number of bytes for ") + what);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < 0 || std::floor(d) != d || d > 9007199254740991.0) {
    ThrowRange(std::string(what) + " must be a non-negative safe integer but received " + std::to_string(d));
  }
  return static_cast<size_t>(d);
}

Napi::Value Bytes(Napi::Env env, size_t n) { return Napi::Number::New(env, static_cast<double>(n)); }

}  // namespace

void InitMemory(Napi::Object exports) {
  MLXT_EXPORT(exports, "getActiveMemory", { return Bytes(info.Env(), mx::get_active_memory()); });
  MLXT_EXPORT(exports, "getPeakMemory", { return Bytes(info.Env(), mx::get_peak_memory()); });
  MLXT_EXPORT(exports, "resetPeakMemory", {
    mx::reset_peak_memory();
    return info.Env().Undefined();
  });
  MLXT_EXPORT(exports, "getCacheMemory", { return Bytes(info.Env(), mx::get_cache_memory()); });
  MLXT_EXPORT(exports, "getMemoryLimit", { return Bytes(info.Env(), mx::get_memory_limit()); });
  MLXT_EXPORT(exports, "setMemoryLimit", { return Bytes(info.Env(), mx::set_memory_limit(ToBytes(info[0], "limit"))); });
  MLXT_EXPORT(exports, "setCacheLimit", { return Bytes(info.Env(), mx::set_cache_limit(ToBytes(info[0], "limit"))); });
  MLXT_EXPORT(exports, "setWiredLimit", { return Bytes(info.Env(), mx::set_wired_limit(ToBytes(info[0], "limit"))); });
  MLXT_EXPORT(exports, "clearCache", {
    mx::clear_cache();
    return info.Env().Undefined();
  });
  // (handles) → bytes of the distinct buffers behind evaluated arrays
  MLXT_EXPORT(exports, "getArrayBufferSize", {
    return Bytes(info.Env(), mx::get_array_buffer_size(ToArrayList(info[0], "arrays")));
  });
}

}  // namespace mlxt
