// Slicing and indexing: take, takeAlongAxis, slice, sliceUpdate, putAlongAxis, gather/scatter by index arrays.
// Thin calls: the numpy-like mx.index() is built on these in src/core/indexing.ts.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

// Slice bounds may be negative (counted from the end) and strides may be negative, so no ToShape here.
mx::Shape ToSignedShape(const Napi::Value& v, const char* what) {
  auto ints = ToIntVector(v, what);
  return mx::Shape(ints.begin(), ints.end());
}

}  // namespace

void InitIndexing(Napi::Object exports) {
  // Whether `a` is a placeholder traced by compile/grad: its values are unknown, so TS skips bounds checks.
  MLXT_EXPORT(exports, "isTracer", { return Napi::Boolean::New(info.Env(), Unwrap(info[0], "a").is_tracer()); });
  // (a, indices: array | int, axis | undefined, stream): undefined takes from the flattened array.
  MLXT_EXPORT(exports, "take", {
    const auto& a = Unwrap(info[0], "a");
    bool flat = info[2].IsUndefined() || info[2].IsNull();
    auto s = ToStream(info[3]);
    if (info[1].IsNumber()) {
      int index = ToInt(info[1], "indices");
      return Wrap(info.Env(), flat ? mx::take(a, index, s) : mx::take(a, index, ToInt(info[2], "axis"), s));
    }
    const auto& idx = Unwrap(info[1], "indices");
    return Wrap(info.Env(), flat ? mx::take(a, idx, s) : mx::take(a, idx, ToInt(info[2], "axis"), s));
  });
  MLXT_EXPORT(exports, "takeAlongAxis", {
    return Wrap(info.Env(), mx::take_along_axis(Unwrap(info[0], "a"), Unwrap(info[1], "indices"),
                                                ToInt(info[2], "axis"), ToStream(info[3])));
  });
  MLXT_EXPORT(exports, "putAlongAxis", {
    const auto& a = Unwrap(info[0], "a");
    return Wrap(info.Env(), mx::put_along_axis(a, Unwrap(info[1], "indices"), ToArray(info[2], &a, "values"),
                                               ToInt(info[3], "axis"), ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "slice", {
    return Wrap(info.Env(), mx::slice(Unwrap(info[0], "a"), ToSignedShape(info[1], "start"),
                                      ToSignedShape(info[2], "stop"), ToSignedShape(info[3], "strides"),
                                      ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "sliceDynamic", {
    return Wrap(info.Env(), mx::slice(Unwrap(info[0], "a"), Unwrap(info[1], "start"), ToIntVector(info[2], "axes"),
                                      ToShape(info[3], "sliceSize"), ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "sliceUpdate", {
    const auto& src = Unwrap(info[0], "src");
    return Wrap(info.Env(), mx::slice_update(src, ToArray(info[1], &src, "update"), ToSignedShape(info[2], "start"),
                                             ToSignedShape(info[3], "stop"), ToSignedShape(info[4], "strides"),
                                             ToStream(info[5])));
  });
  MLXT_EXPORT(exports, "sliceUpdateAdd", {
    const auto& src = Unwrap(info[0], "src");
    return Wrap(info.Env(), mx::slice_update_add(src, ToArray(info[1], &src, "update"),
                                                 ToSignedShape(info[2], "start"), ToSignedShape(info[3], "stop"),
                                                 ToSignedShape(info[4], "strides"), ToStream(info[5])));
  });
  MLXT_EXPORT(exports, "sliceUpdateDynamic", {
    const auto& src = Unwrap(info[0], "src");
    return Wrap(info.Env(), mx::slice_update(src, ToArray(info[1], &src, "update"), Unwrap(info[2], "start"),
                                             ToIntVector(info[3], "axes"), ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "gather", {
    return Wrap(info.Env(), mx::gather(Unwrap(info[0], "a"), ToArrayList(info[1], "indices"),
                                       ToIntVector(info[2], "axes"), ToShape(info[3], "sliceSizes"),
                                       ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "scatter", {
    const auto& a = Unwrap(info[0], "a");
    return Wrap(info.Env(), mx::scatter(a, ToArrayList(info[1], "indices"), ToArray(info[2], &a, "updates"),
                                        ToIntVector(info[3], "axes"), ToStream(info[4])));
  });
  MLXT_EXPORT(exports, "scatterAdd", {
    const auto& a = Unwrap(info[0], "a");
    return Wrap(info.Env(), mx::scatter_add(a, ToArrayList(info[1], "indices"), ToArray(info[2], &a, "updates"),
                                            ToIntVector(info[3], "axes"), ToStream(info[4])));
  });
}

}  // namespace mlxt
