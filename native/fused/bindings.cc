// mx.fused: our own fused CPU primitives (this folder), as opposed to native/fast.cc, which binds MLX's
// mx::fast entry points.
#include <napi.h>

#include <unordered_set>

#include "../exports.h"
#include "../wrap.h"
#include "mlx/primitives.h"
#include "add.h"
#include "attention_core.h"
#include "dropout.h"
#include "embedding.h"
#include "gelu.h"
#include "layer_norm.h"
#include "linear.h"
#include "parallel_for.h"
#include "small_gemm.h"
#include "softmax.h"
#include "bias.h"

namespace mlxt {

namespace {

std::optional<mx::array> OptArray(const Napi::Value& v, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return Unwrap(v, what);
}

}  // namespace

void InitFused(Napi::Object exports) {
  // (x, stream)
  MLXT_EXPORT(exports, "fusedGelu", {
    return Wrap(info.Env(), FusedGelu(Unwrap(info[0], "x"), GeluKind::kExact, ToStream(info[1])));
  });
  // (x, stream)
  MLXT_EXPORT(exports, "fusedGeluApprox", {
    return Wrap(info.Env(), FusedGelu(Unwrap(info[0], "x"), GeluKind::kTanh, ToStream(info[1])));
  });
  // (x, mask | null, stream)
  MLXT_EXPORT(exports, "fusedMaskedSoftmax", {
    return Wrap(info.Env(), FusedMaskedSoftmax(Unwrap(info[0], "x"), OptArray(info[1], "mask"), ToStream(info[2])));
  });
  // (q, k, v, scale, mask | null, keep, key | null, stream)
  MLXT_EXPORT(exports, "fusedAttention", {
    return Wrap(info.Env(), AttentionCore(Unwrap(info[0], "q"), Unwrap(info[1], "k"), Unwrap(info[2], "v"),
                                          static_cast<float>(ToDouble(info[3], "scale")), OptArray(info[4], "mask"),
                                          static_cast<float>(ToDouble(info[5], "keep")), OptArray(info[6], "key"),
                                          ToStream(info[7])));
  });
  // (q, k, v, scale, mask | null, keep, stream): the same in stock ops only, the mask drawn by bernoulli
  // from the global sequence (nn's path with the fused kernels off).
  MLXT_EXPORT(exports, "stockDropoutAttention", {
    float keep = static_cast<float>(ToDouble(info[5], "keep"));
    if (!(keep > 0.0f && keep < 1.0f)) ThrowRange("stockDropoutAttention: keep must be in (0, 1)");
    return Wrap(info.Env(), StockDropoutAttention(Unwrap(info[0], "q"), Unwrap(info[1], "k"), Unwrap(info[2], "v"),
                                                  static_cast<float>(ToDouble(info[3], "scale")),
                                                  OptArray(info[4], "mask"), keep, std::nullopt, ToStream(info[6]),
                                                  true));
  });
  // (x, weight | null, bias | null, eps, residual | null, stream)
  MLXT_EXPORT(exports, "fusedLayerNorm", {
    return Wrap(info.Env(), FusedLayerNorm(Unwrap(info[0], "x"), OptArray(info[1], "weight"), OptArray(info[2], "bias"),
                                           static_cast<float>(ToDouble(info[3], "eps")), OptArray(info[4], "residual"),
                                           ToStream(info[5])));
  });
  // (x, weight, stream)
  MLXT_EXPORT(exports, "fusedLinear", {
    return Wrap(info.Env(), FusedLinear(Unwrap(info[0], "x"), Unwrap(info[1], "weight"), ToStream(info[2])));
  });
  // (x, keep, scale, key | null, stream)
  MLXT_EXPORT(exports, "fusedDropout", {
    return Wrap(info.Env(), FusedDropout(Unwrap(info[0], "x"), static_cast<float>(ToDouble(info[1], "keep")),
                                         static_cast<float>(ToDouble(info[2], "scale")), OptArray(info[3], "key"),
                                         ToStream(info[4])));
  });
  // (weight, ids, stream)
  MLXT_EXPORT(exports, "fusedEmbedding", {
    return Wrap(info.Env(), FusedEmbedding(Unwrap(info[0], "weight"), Unwrap(info[1], "ids"), ToStream(info[2])));
  });
  // (x) → the names of the primitives in the graph that computes x (empty once evaluated): lets tests see
  // which path a layer took when both give the same numbers.
  MLXT_EXPORT(exports, "fusedGraphPrimitives", {
    std::vector<mx::array> stack{Unwrap(info[0], "x")};
    std::unordered_set<std::uintptr_t> seen;
    auto names = Napi::Array::New(info.Env());
    while (!stack.empty()) {
      auto a = stack.back();
      stack.pop_back();
      if (!a.has_primitive() || !seen.insert(a.id()).second) continue;
      names.Set(names.Length(), Napi::String::New(info.Env(), a.primitive().name()));
      for (const auto& in : a.inputs()) stack.push_back(in);
    }
    return names;
  });
  // (x) → an evaluated array's element strides: lets tests see that a kernel wrote the layout meant (the
  // attention core's token-major heads, which make merging heads back a view).
  MLXT_EXPORT(exports, "fusedStrides", {
    auto a = Unwrap(info[0], "x");
    a.eval();
    auto out = Napi::Array::New(info.Env());
    for (auto st : a.strides()) out.Set(out.Length(), Napi::Number::New(info.Env(), static_cast<double>(st)));
    return out;
  });
  // Threads the fused kernels spread over (the calling stream thread included).
  MLXT_EXPORT(exports, "fusedKernelThreads", { return Napi::Number::New(info.Env(), ParallelThreads()); });
  MLXT_EXPORT(exports, "fusedSmallGemmPath", {
    return Napi::String::New(info.Env(), SmallGemmPathName(SmallGemmPathInUse()));
  });
  // (a, b, stream)
  MLXT_EXPORT(exports, "fusedAdd", { return Wrap(info.Env(), FusedAdd(Unwrap(info[0], "a"), Unwrap(info[1], "b"), ToStream(info[2]))); });
  // (x, bias, stream)
  MLXT_EXPORT(exports, "fusedBiasAdd", {
    return Wrap(info.Env(), FusedBiasAdd(Unwrap(info[0], "x"), Unwrap(info[1], "bias"), ToStream(info[2])));
  });
  // (g, stream)
  MLXT_EXPORT(exports, "fusedBiasGrad", { return Wrap(info.Env(), FusedBiasGrad(Unwrap(info[0], "g"), ToStream(info[1]))); });
}

}  // namespace mlxt
