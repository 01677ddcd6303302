// mx.fast: layerNorm, rmsNorm, rope, scaledDotProductAttention, crossEntropy.
// On the CPU device MLX runs these as chains of primitive ops; the binding stays a thin, exact call.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

std::optional<mx::array> OptArray(const Napi::Value& v, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return Unwrap(v, what);
}

}  // namespace

void InitFast(Napi::Object exports) {
  // (x, weight | null, bias | null, eps, stream)
  MLXT_EXPORT(exports, "fastLayerNorm", {
    return Wrap(info.Env(), mx::fast::layer_norm(Unwrap(info[0], "x"), OptArray(info[1], "weight"),
                                                 OptArray(info[2], "bias"), static_cast<float>(ToDouble(info[3], "eps")),
                                                 ToStream(info[4])));
  });
  // (x, weight | null, eps, stream)
  MLXT_EXPORT(exports, "fastRmsNorm", {
    return Wrap(info.Env(), mx::fast::rms_norm(Unwrap(info[0], "x"), OptArray(info[1], "weight"),
                                               static_cast<float>(ToDouble(info[2], "eps")), ToStream(info[3])));
  });
  // (x, dims, traditional, base | null, scale, offset: int | array, freqs | null, stream)
  MLXT_EXPORT(exports, "fastRope", {
    const auto& x = Unwrap(info[0], "x");
    int dims = ToInt(info[1], "dims");
    bool traditional = ToBool(info[2], "traditional");
    std::optional<float> base;
    if (!info[3].IsUndefined() && !info[3].IsNull()) base = static_cast<float>(ToDouble(info[3], "base"));
    float scale = static_cast<float>(ToDouble(info[4], "scale"));
    auto freqs = OptArray(info[6], "freqs");
    auto s = ToStream(info[7]);
    if (info[5].IsNumber()) {
      return Wrap(info.Env(), mx::fast::rope(x, dims, traditional, base, scale, ToInt(info[5], "offset"), freqs, s));
    }
    return Wrap(info.Env(), mx::fast::rope(x, dims, traditional, base, scale, Unwrap(info[5], "offset"), freqs, s));
  });
  // (q, k, v, scale, maskMode: '' | 'causal', mask | null, sinks | null, stream)
  MLXT_EXPORT(exports, "fastScaledDotProductAttention", {
    if (!info[4].IsString()) ThrowType("expected a string for maskMode");
    return Wrap(info.Env(), mx::fast::scaled_dot_product_attention(
                                Unwrap(info[0], "q"), Unwrap(info[1], "k"), Unwrap(info[2], "v"),
                                static_cast<float>(ToDouble(info[3], "scale")), info[4].As<Napi::String>().Utf8Value(),
                                OptArray(info[5], "mask"), OptArray(info[6], "sinks"), false, ToStream(info[7])));
  });
  // (logits, targets, stream)
  MLXT_EXPORT(exports, "fastCrossEntropy", {
    return Wrap(info.Env(),
                mx::fast::cross_entropy(Unwrap(info[0], "logits"), Unwrap(info[1], "targets"), ToStream(info[2])));
  });
}

}  // namespace mlxt
