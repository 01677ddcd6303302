// Shape ops: reshape/transpose/swapaxes/expandDims/squeeze/flatten, concatenate/stack/split, pad/tile/repeat/broadcastTo, tril/triu.
// Thin calls: argument forms (numpy pad widths, optional axes) are normalised in src/core/shape.ts.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitShape(Napi::Object exports) {
  MLXT_EXPORT(exports, "reshape", {
    return Wrap(info.Env(), mx::reshape(Unwrap(info[0], "a"), ToIntShape(info[1], "shape"), ToStream(info[2])));
  });
  // (a, axes | undefined, stream): undefined reverses the axes.
  MLXT_EXPORT(exports, "transpose", {
    const auto& a = Unwrap(info[0], "a");
    auto axes = ToAxes(info[1]);
    auto s = ToStream(info[2]);
    return Wrap(info.Env(), axes ? mx::transpose(a, *axes, s) : mx::transpose(a, s));
  });
  MLXT_EXPORT(exports, "swapaxes", {
    return Wrap(info.Env(), mx::swapaxes(Unwrap(info[0], "a"), ToInt(info[1], "axis1"), ToInt(info[2], "axis2"),
                                         ToStream(info[3])));
  });
  MLXT_EXPORT(exports, "moveaxis", {
    return Wrap(info.Env(), mx::moveaxis(Unwrap(info[0], "a"), ToInt(info[1], "source"),
                                         ToInt(info[2], "destination"), ToStream(info[3])));
  });
  MLXT_EXPORT(exports, "expandDims", {
    return Wrap(info.Env(), mx::expand_dims(Unwrap(info[0], "a"), ToIntVector(info[1], "axis"), ToStream(info[2])));
  });
  // (a, axes | undefined, stream): undefined removes every singleton axis.
  MLXT_EXPORT(exports, "squeeze", {
    const auto& a = Unwrap(info[0], "a");
    auto axes = ToAxes(info[1], "axis");
    auto s = ToStream(info[2]);
    return Wrap(info.Env(), axes ? mx::squeeze(a, *axes, s) : mx::squeeze(a, s));
  });
  MLXT_EXPORT(exports, "flatten", {
    return Wrap(info.Env(), mx::flatten(Unwrap(info[0], "a"), ToInt(info[1], "startAxis"), ToInt(info[2], "endAxis"),
                                        ToStream(info[3])));
  });
  MLXT_EXPORT(exports, "unflatten", {
    return Wrap(info.Env(), mx::unflatten(Unwrap(info[0], "a"), ToInt(info[1], "axis"),
                                          ToIntShape(info[2], "shape"), ToStream(info[3])));
  });
  // (arrays, axis | undefined, stream): undefined concatenates the flattened arrays.
  MLXT_EXPORT(exports, "concatenate", {
    auto arrays = ToArrayList(info[0], "arrays");
    auto s = ToStream(info[2]);
    if (info[1].IsUndefined() || info[1].IsNull()) return Wrap(info.Env(), mx::concatenate(arrays, s));
    return Wrap(info.Env(), mx::concatenate(arrays, ToInt(info[1], "axis"), s));
  });
  MLXT_EXPORT(exports, "stack", {
    return Wrap(info.Env(), mx::stack(ToArrayList(info[0], "arrays"), ToInt(info[1], "axis"), ToStream(info[2])));
  });
  // (a, sections: number | indices: number[], axis, stream) → array[]
  MLXT_EXPORT(exports, "split", {
    const auto& a = Unwrap(info[0], "a");
    int axis = ToInt(info[2], "axis");
    auto s = ToStream(info[3]);
    if (info[1].IsNumber()) return WrapMany(info.Env(), mx::split(a, ToInt(info[1], "sections"), axis, s));
    auto idx = ToIntVector(info[1], "indices");
    return WrapMany(info.Env(), mx::split(a, mx::Shape(idx.begin(), idx.end()), axis, s));
  });
  // (a, axes, low, high, padValue, mode, stream)
  MLXT_EXPORT(exports, "pad", {
    const auto& a = Unwrap(info[0], "a");
    auto axes = ToIntVector(info[1], "axes");
    auto low = ToShape(info[2], "lowPad");
    auto high = ToShape(info[3], "highPad");
    auto value = ToArray(info[4], &a, "constantValue");
    if (!info[5].IsString()) ThrowType("expected a string for mode");
    return Wrap(info.Env(), mx::pad(a, axes, low, high, value, info[5].As<Napi::String>().Utf8Value(), ToStream(info[6])));
  });
  MLXT_EXPORT(exports, "tile", {
    return Wrap(info.Env(), mx::tile(Unwrap(info[0], "a"), ToIntVector(info[1], "reps"), ToStream(info[2])));
  });
  // (a, repeats, axis | undefined, stream): undefined repeats the flattened array.
  MLXT_EXPORT(exports, "repeat", {
    const auto& a = Unwrap(info[0], "a");
    int repeats = ToInt(info[1], "repeats");
    auto s = ToStream(info[3]);
    if (info[2].IsUndefined() || info[2].IsNull()) return Wrap(info.Env(), mx::repeat(a, repeats, s));
    return Wrap(info.Env(), mx::repeat(a, repeats, ToInt(info[2], "axis"), s));
  });
  MLXT_EXPORT(exports, "broadcastTo", {
    return Wrap(info.Env(), mx::broadcast_to(ToArray(info[0], nullptr, "a"), ToShape(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "broadcastArrays", {
    return WrapMany(info.Env(), mx::broadcast_arrays(ToArrayList(info[0], "arrays"), ToStream(info[1])));
  });
  MLXT_EXPORT(exports, "tril", {
    return Wrap(info.Env(), mx::tril(Unwrap(info[0], "x"), ToInt(info[1], "k"), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "triu", {
    return Wrap(info.Env(), mx::triu(Unwrap(info[0], "x"), ToInt(info[1], "k"), ToStream(info[2])));
  });
}

}  // namespace mlxt
