// What the process runs on, for `mlx-train doctor` and the benchmarks: which OpenBLAS core and thread
// count the BLAS that libmlx loaded is using (upstream OpenBLAS or PyPI's scipy-openblas). The library is found by path (TS reads /proc/self/maps):
// Node loads addons RTLD_LOCAL, so its dependencies are not visible through RTLD_DEFAULT.
#include <dlfcn.h>
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitSystem(Napi::Object exports) {
  // [corename, config, threads, parallel] of an already-loaded OpenBLAS at `path`, or null if that library
  // is not loaded or is not OpenBLAS. Upstream names, or scipy-openblas's scipy_-prefixed ones.
  // RTLD_NOLOAD: never loads anything new.
  MLXT_EXPORT(exports, "openblasInfo", {
    if (!info[0].IsString()) ThrowType("expected a library path string for path");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    void* lib = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!lib) return info.Env().Null();
    using StrFn = char* (*)();
    using IntFn = int (*)();
    Napi::Value result = info.Env().Null();
    for (const std::string prefix : {"", "scipy_"}) {
      auto corename = reinterpret_cast<StrFn>(dlsym(lib, (prefix + "openblas_get_corename").c_str()));
      auto config = reinterpret_cast<StrFn>(dlsym(lib, (prefix + "openblas_get_config").c_str()));
      auto threads = reinterpret_cast<IntFn>(dlsym(lib, (prefix + "openblas_get_num_threads").c_str()));
      auto parallel = reinterpret_cast<IntFn>(dlsym(lib, (prefix + "openblas_get_parallel").c_str()));
      if (!corename || !config || !threads) continue;
      auto out = Napi::Array::New(info.Env(), 4);
      out.Set(0u, Napi::String::New(info.Env(), corename()));
      out.Set(1u, Napi::String::New(info.Env(), config()));
      out.Set(2u, Napi::Number::New(info.Env(), threads()));
      out.Set(3u, parallel ? Napi::Number::New(info.Env(), parallel()) : info.Env().Null());
      result = out;
      break;
    }
    dlclose(lib);  // drops only the reference RTLD_NOLOAD added
    return result;
  });
}

}  // namespace mlxt
