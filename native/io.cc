// safetensors load/save through MLX's own I/O, with async twins.
//
// Arrays and metadata cross as flat lists (names, handles, metadata as [k0, v0, k1, v1, …]); the TS
// layer builds the records. Loads are lazy as in MLX: the header is parsed at once, the tensor bytes
// are read when the arrays are evaluated.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

using ArrayMap = std::unordered_map<std::string, mx::array>;
using Metadata = std::unordered_map<std::string, std::string>;

std::string ToPath(const Napi::Value& v) {
  if (!v.IsString()) ThrowType("expected a string for path");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<std::string> ToStrings(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) ThrowType(std::string("expected an array of strings for ") + what);
  auto arr = v.As<Napi::Array>();
  std::vector<std::string> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto item = arr.Get(i);
    if (!item.IsString()) ThrowType(std::string("expected an array of strings for ") + what);
    out[i] = item.As<Napi::String>().Utf8Value();
  }
  return out;
}

// (names, handles, metaFlat) → the map and metadata MLX's writer takes.
std::pair<ArrayMap, Metadata> ToSaveArgs(const Napi::CallbackInfo& info) {
  auto names = ToStrings(info[1], "names");
  auto arrays = ToArrayList(info[2], "arrays");
  if (names.size() != arrays.size()) ThrowType("names and arrays differ in length");
  ArrayMap map;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!map.emplace(names[i], arrays[i]).second) ThrowType("duplicate array name '" + names[i] + "'");
  }
  auto flat = ToStrings(info[3], "metadata");
  if (flat.size() % 2) ThrowType("metadata must be key/value pairs");
  Metadata meta;
  for (size_t i = 0; i < flat.size(); i += 2) meta[flat[i]] = flat[i + 1];
  return {std::move(map), std::move(meta)};
}

Napi::Value LoadResult(Napi::Env env, const mx::SafetensorsLoad& loaded) {
  auto names = Napi::Array::New(env, loaded.first.size());
  auto handles = Napi::Array::New(env, loaded.first.size());
  uint32_t i = 0;
  for (const auto& [name, arr] : loaded.first) {
    names.Set(i, Napi::String::New(env, name));
    handles.Set(i, Wrap(env, arr));
    ++i;
  }
  auto meta = Napi::Array::New(env, loaded.second.size() * 2);
  i = 0;
  for (const auto& [k, v] : loaded.second) {
    meta.Set(i++, Napi::String::New(env, k));
    meta.Set(i++, Napi::String::New(env, v));
  }
  auto out = Napi::Array::New(env, 3);
  out.Set(0u, names);
  out.Set(1u, handles);
  out.Set(2u, meta);
  return out;
}

std::vector<mx::array> Values(const ArrayMap& m) {
  std::vector<mx::array> out;
  out.reserve(m.size());
  for (const auto& [_, a] : m) out.push_back(a);
  return out;
}

// Waits for arrays whose evaluation was scheduled with async_eval on the JS thread; touches no JS.
struct LoadWorker : Napi::AsyncWorker {
  mx::SafetensorsLoad loaded;
  Napi::Promise::Deferred deferred;
  LoadWorker(Napi::Env env, mx::SafetensorsLoad l)
      : Napi::AsyncWorker(env, "mlx-train:loadSafetensors"), loaded(std::move(l)), deferred(env) {}
  void Execute() override {
    try {
      for (auto& [_, a] : loaded.first) a.wait();
    } catch (const std::exception& e) {
      SetError(std::string("loadSafetensorsAsync: ") + e.what());
    }
  }
  void OnOK() override { deferred.Resolve(LoadResult(Env(), loaded)); }
  void OnError(const Napi::Error& e) override { deferred.Reject(e.Value()); }
};

// Waits for the (contiguous) arrays, then writes the file on the libuv thread; touches no JS.
struct SaveWorker : Napi::AsyncWorker {
  std::string path;
  ArrayMap arrays;
  Metadata meta;
  Napi::Promise::Deferred deferred;
  SaveWorker(Napi::Env env, std::string p, ArrayMap a, Metadata m)
      : Napi::AsyncWorker(env, "mlx-train:saveSafetensors"),
        path(std::move(p)), arrays(std::move(a)), meta(std::move(m)), deferred(env) {}
  void Execute() override {
    try {
      for (auto& [_, a] : arrays) a.wait();
      mx::save_safetensors(path, arrays, meta);
    } catch (const std::exception& e) {
      SetError(std::string("saveSafetensorsAsync: ") + e.what());
    }
  }
  void OnOK() override { deferred.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred.Reject(e.Value()); }
};

}  // namespace

void InitIo(Napi::Object exports) {
  // (path, stream) → [names, handles, metadataFlat]
  MLXT_EXPORT(exports, "loadSafetensors", {
    return LoadResult(info.Env(), mx::load_safetensors(ToPath(info[0]), ToStream(info[1])));
  });
  // (path, names, handles, metadataFlat)
  MLXT_EXPORT(exports, "saveSafetensors", {
    auto [map, meta] = ToSaveArgs(info);
    mx::save_safetensors(ToPath(info[0]), std::move(map), std::move(meta));
    return info.Env().Undefined();
  });
  // Header parse on the JS thread (small), tensor reads on MLX's stream thread, waiting on libuv's.
  MLXT_EXPORT(exports, "loadSafetensorsAsync", {
    auto loaded = mx::load_safetensors(ToPath(info[0]), ToStream(info[1]));
    mx::async_eval(Values(loaded.first));
    auto* w = new LoadWorker(info.Env(), std::move(loaded));
    auto promise = w->deferred.Promise();
    w->Queue();
    return promise;
  });
  // Graphs are built and scheduled here (row-contiguous, so the writer needs no new ops on the worker).
  MLXT_EXPORT(exports, "saveSafetensorsAsync", {
    auto path = ToPath(info[0]);
    auto [map, meta] = ToSaveArgs(info);
    for (auto& [_, a] : map) a = mx::contiguous(a);
    mx::async_eval(Values(map));
    auto* w = new SaveWorker(info.Env(), std::move(path), std::move(map), std::move(meta));
    auto promise = w->deferred.Promise();
    w->Queue();
    return promise;
  });
}

}  // namespace mlxt
