// quantize, dequantize, quantizedMatmul (MLX 0.32: group size and bits are optional, `mode` picks the
// scheme: "affine" gives [wq, scales, biases], the fp modes give [wq, scales]).
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

std::optional<mx::array> OptArray(const Napi::Value& v, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return Unwrap(v, what);
}

std::optional<int> OptInt(const Napi::Value& v, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return ToInt(v, what);
}

std::string ToMode(const Napi::Value& v) {
  if (!v.IsString()) ThrowType("expected a string for mode");
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace

void InitQuantize(Napi::Object exports) {
  // (w, groupSize | null, bits | null, mode, stream) → handles
  MLXT_EXPORT(exports, "quantize", {
    return WrapMany(info.Env(), mx::quantize(Unwrap(info[0], "w"), OptInt(info[1], "groupSize"),
                                             OptInt(info[2], "bits"), ToMode(info[3]), std::nullopt,
                                             ToStream(info[4])));
  });
  // (wq, scales, biases | null, groupSize | null, bits | null, mode, dtype | null, stream)
  MLXT_EXPORT(exports, "dequantize", {
    std::optional<mx::Dtype> dtype;
    if (!info[6].IsUndefined() && !info[6].IsNull()) dtype = ToDtype(info[6]);
    return Wrap(info.Env(), mx::dequantize(Unwrap(info[0], "w"), Unwrap(info[1], "scales"), OptArray(info[2], "biases"),
                                           OptInt(info[3], "groupSize"), OptInt(info[4], "bits"), ToMode(info[5]),
                                           std::nullopt, dtype, ToStream(info[7])));
  });
  // (x, wq, scales, biases | null, transpose, groupSize | null, bits | null, mode, stream)
  MLXT_EXPORT(exports, "quantizedMatmul", {
    return Wrap(info.Env(),
                mx::quantized_matmul(Unwrap(info[0], "x"), Unwrap(info[1], "w"), Unwrap(info[2], "scales"),
                                     OptArray(info[3], "biases"), ToBool(info[4], "transpose"),
                                     OptInt(info[5], "groupSize"), OptInt(info[6], "bits"), ToMode(info[7]),
                                     ToStream(info[8])));
  });
}

}  // namespace mlxt
