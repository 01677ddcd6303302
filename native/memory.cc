// Memory statistics and limits (bytes as JS numbers: exact up to 2^53).
#include <napi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

// glibc gives the free top of each malloc heap back to the kernel once it passes 128 KB; MLX's stream
// thread frees and reallocates tens of MB every training step, so each step faulted ~50,000 fresh zeroed
// pages back in (~10% of a MiniLM step's CPU, measured with perf). Keep freed heap pages instead: the
// process's RSS stays at its high-water mark rather than falling between steps.
// Setting the trim threshold also freezes glibc's mmap threshold wherever Node's start-up left it (at most
// 32 MB). A larger block that no freed heap chunk fits is then mmap'd, unmapped when freed and faulted in
// afresh the next time: MiniLM's 47 MB word-embedding gradient cost up to ~12,000 faults a step (MLX's CPU
// buffer cache keeps only 32 MB). With the threshold at 1 GB such blocks come from the heaps, whose freed
// pages stay (a thread's heap holds at most 64 MB; glibc still maps larger blocks there).
// A user who tunes malloc through the environment keeps their own settings.
void KeepFreedHeapPages() {
#if defined(__GLIBC__)
  static bool done = false;
  if (done) return;
  done = true;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_TOP_PAD_") || std::getenv("MALLOC_MMAP_THRESHOLD_") ||
      (tunables && std::strstr(tunables, "glibc.malloc."))) {
    return;
  }
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
#endif
}

}  // namespace

void InitMemory(Napi::Object exports) {
  KeepFreedHeapPages();
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
