// Array lifetime, metadata, data in/out, evaluation and the creation functions.
#include <napi.h>

#include <cstring>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

// Copies a TypedArray's bytes into a new MLX array of `dtype` (the TS side matched the element type).
mx::array FromTypedArray(const Napi::TypedArray& ta, const mx::Shape& shape, mx::Dtype dtype) {
  const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return ArrayFromBytes(src, ta.ByteLength(), shape, dtype);
}

// A JS number/boolean/BigInt converted straight to `dtype` (a double goes through no float32 rounding).
mx::array ScalarAs(const Napi::Value& v, mx::Dtype d, const char* what) {
  if (v.IsBoolean()) return mx::array(v.As<Napi::Boolean>().Value(), d);
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) ThrowRange(std::string(what) + " is a BigInt outside the int64 range");
    CheckScalarFits(v, d);  // a BigInt the integer dtype cannot hold is refused, never wrapped
    return mx::array(x, d);
  }
  double x = ToDouble(v, what);
  if (d == mx::complex64) return mx::array(mx::complex64_t{static_cast<float>(x), 0.0f});
  return mx::array(x, d);
}

struct AsyncEvalWorker : Napi::AsyncWorker {
  std::vector<mx::array> arrays;
  Napi::Promise::Deferred deferred;
  AsyncEvalWorker(Napi::Env env, std::vector<mx::array> a)
      : Napi::AsyncWorker(env, "mlx-train:asyncEval"), arrays(std::move(a)), deferred(env) {}
  void Execute() override {
    try {
      for (auto& a : arrays) a.wait();
    } catch (const std::exception& e) {
      SetError(std::string("asyncEval: ") + e.what());
    }
  }
  void OnOK() override { deferred.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred.Reject(e.Value()); }
};

}  // namespace

void InitArray(Napi::Object exports) {
  MLXT_EXPORT(exports, "dispose", { return Napi::Boolean::New(info.Env(), Dispose(info[0])); });
  MLXT_EXPORT(exports, "openScope", {
    OpenScope();
    return info.Env().Undefined();
  });
  MLXT_EXPORT(exports, "closeScope", {
    if (!info[0].IsArray()) ThrowType("expected a list of handles for escaping");
    auto list = info[0].As<Napi::Array>();
    std::vector<Napi::Value> escaping;
    escaping.reserve(list.Length());
    for (uint32_t i = 0; i < list.Length(); ++i) escaping.push_back(list.Get(i));
    auto handed = CloseScope(info.Env(), escaping);
    auto out = Napi::Array::New(info.Env(), handed.size());
    for (size_t i = 0; i < handed.size(); ++i) out.Set(i, Napi::Boolean::New(info.Env(), handed[i]));
    return out;
  });
  MLXT_EXPORT(exports, "keepOutOfScopes", { return Napi::Boolean::New(info.Env(), KeepOutOfScopes(info[0])); });
  // V8's count of external memory (ours and any other's), as it paces its collections: for tests.
  MLXT_EXPORT(exports, "v8ExternalMemory", {
    int64_t amount = 0;
    napi_adjust_external_memory(info.Env(), 0, &amount);
    return Napi::Number::New(info.Env(), static_cast<double>(amount));
  });
  // Test aid: arrays held for JS on this thread (made and not yet freed by dispose, a scope or the GC).
  MLXT_EXPORT(exports, "liveHandles", {
    return Napi::Number::New(info.Env(), static_cast<double>(LiveHandles()));
  });
  MLXT_EXPORT(exports, "isArray", { return Napi::Boolean::New(info.Env(), IsArrayHandle(info[0])); });

  // [dtypeCode, ...shape]: one call gives everything the TS Array caches.
  MLXT_EXPORT(exports, "meta", {
    const auto& a = Unwrap(info[0]);
    auto out = Napi::Array::New(info.Env(), a.ndim() + 1);
    out.Set(0u, Napi::Number::New(info.Env(), DtypeCode(a.dtype())));
    for (size_t i = 0; i < a.ndim(); ++i) out.Set(i + 1, Napi::Number::New(info.Env(), a.shape(i)));
    return out;
  });

  MLXT_EXPORT(exports, "fromTypedArray", {
    if (!info[0].IsTypedArray()) ThrowType("expected a TypedArray for data");
    return Wrap(info.Env(), FromTypedArray(info[0].As<Napi::TypedArray>(), ToShape(info[1]), ToDtype(info[2])));
  });

  MLXT_EXPORT(exports, "scalar", { return Wrap(info.Env(), ScalarAs(info[0], ToDtype(info[1]), "value")); });

  // Evaluates, makes row-contiguous, and exposes the bytes without copying: the ArrayBuffer keeps its
  // own reference to the MLX buffer, dropped by the ArrayBuffer's finalizer.
  MLXT_EXPORT(exports, "toArrayBuffer", {
    mx::array a = mx::contiguous(Unwrap(info[0]));
    a.eval();
    size_t bytes = a.nbytes();
    if (bytes == 0) return Napi::ArrayBuffer::New(info.Env(), 0);
    auto* keep = new mx::array(a);
    void* data = const_cast<void*>(static_cast<const void*>(keep->data<uint8_t>()));
    return Napi::ArrayBuffer::New(info.Env(), data, bytes, [](Napi::Env, void*, mx::array* k) { delete k; }, keep);
  });

  MLXT_EXPORT(exports, "eval", {
    std::vector<mx::array> arrays;
    for (size_t i = 0; i < info.Length(); ++i) {
      if (info[i].IsArray()) {
        auto list = ToArrayList(info[i], "eval argument");
        arrays.insert(arrays.end(), list.begin(), list.end());
      } else {
        arrays.push_back(Unwrap(info[i], "eval argument"));
      }
    }
    mx::eval(arrays);
    return info.Env().Undefined();
  });

  // Schedules evaluation with MLX's own async_eval, then waits for completion on a libuv worker so the
  // event loop stays free. The worker touches no JS.
  MLXT_EXPORT(exports, "asyncEval", {
    auto arrays = ToArrayList(info[0], "asyncEval argument");
    mx::async_eval(arrays);
    auto* w = new AsyncEvalWorker(info.Env(), std::move(arrays));
    auto promise = w->deferred.Promise();
    w->Queue();
    return promise;
  });

  MLXT_EXPORT(exports, "astype", {
    return Wrap(info.Env(), mx::astype(Unwrap(info[0]), ToDtype(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "zeros", {
    return Wrap(info.Env(), mx::zeros(ToShape(info[0]), ToDtype(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "ones", {
    return Wrap(info.Env(), mx::ones(ToShape(info[0]), ToDtype(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "full", {
    mx::Dtype d = ToDtype(info[2]);
    // Python's full refuses an integer fill its integer dtype cannot hold (mx.array(300, uint8) wraps).
    if (!IsArrayHandle(info[1])) CheckScalarFits(info[1], d);
    mx::array v = IsArrayHandle(info[1]) ? Unwrap(info[1]) : ScalarAs(info[1], d, "value");
    return Wrap(info.Env(), mx::full(ToShape(info[0]), v, d, ToStream(info[3])));
  });
  MLXT_EXPORT(exports, "arange", {
    return Wrap(info.Env(), mx::arange(ToDouble(info[0], "start"), ToDouble(info[1], "stop"),
                                       ToDouble(info[2], "step"), ToDtype(info[3]), ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "linspace", {
    return Wrap(info.Env(), mx::linspace(ToDouble(info[0], "start"), ToDouble(info[1], "stop"),
                                         ToInt(info[2], "num"), ToDtype(info[3]), ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "eye", {
    return Wrap(info.Env(), mx::eye(ToInt(info[0], "n"), ToInt(info[1], "m"), ToInt(info[2], "k"),
                                    ToDtype(info[3]), ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "identity", {
    return Wrap(info.Env(), mx::identity(ToInt(info[0], "n"), ToDtype(info[1]), ToStream(info[2])));
  });
}

}  // namespace mlxt
