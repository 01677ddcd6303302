// mx.random: seed, key, split, bits, uniform, normal, truncatedNormal, bernoulli, randint, categorical,
// gumbel, laplace, multivariateNormal, permutation, and the global key (getState/setState).
//
// Every sampler takes an optional key (undefined/null → MLX's global key sequence for this thread).
#include <napi.h>

#include <cmath>
#include <limits>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace mr = mx::random;

// KeySequence keeps its key private and offers no getter, yet compile() and checkpoints must read and
// restore it without advancing it. Naming a private member in an explicit instantiation is allowed by
// the standard ([temp.spec]/6), which gives a well-defined accessor without patching MLX's header.
mx::array& KeyOf(mr::KeySequence& ks);
template <mx::array mr::KeySequence::*Member>
struct KeyAccess {
  friend mx::array& KeyOf(mr::KeySequence& ks) { return ks.*Member; }
};
template struct KeyAccess<&mr::KeySequence::key_>;

namespace {

std::optional<mx::array> OptKey(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return Unwrap(v, "key");
}

// A seed is a uint64 in MLX: accept a non-negative safe integer or a BigInt.
uint64_t ToSeed(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t s = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) ThrowRange("seed is a BigInt outside the uint64 range");
    return s;
  }
  if (!v.IsNumber()) ThrowType("expected a non-negative integer or BigInt for seed");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > 9007199254740991.0) {
    ThrowRange("seed must be a non-negative safe integer (or a BigInt) but received " + std::to_string(d));
  }
  return static_cast<uint64_t>(d);
}

void CheckKey(const mx::array& k) {
  if (k.dtype() != mx::uint32 || k.ndim() != 1 || k.shape(0) != 2) {
    ThrowType("expected a key of dtype uint32 and shape [2] but received " + Describe(k));
  }
}

}  // namespace

void InitRandom(Napi::Object exports) {
  MLXT_EXPORT(exports, "randomSeed", {
    mr::seed(ToSeed(info[0]));
    return info.Env().Undefined();
  });
  MLXT_EXPORT(exports, "randomKey", { return Wrap(info.Env(), mr::key(ToSeed(info[0]))); });

  // The current global key, without advancing the sequence.
  MLXT_EXPORT(exports, "randomGetState", { return Wrap(info.Env(), KeyOf(mr::KeySequence::default_())); });
  MLXT_EXPORT(exports, "randomSetState", {
    const auto& k = Unwrap(info[0], "key");
    CheckKey(k);
    // Evaluate now so later graphs do not keep the caller's graph alive through the key; inside a
    // compile trace the key is a placeholder that must stay lazy (MLX forbids eval there).
    mx::array copy = k;
    if (!copy.is_tracer()) copy.eval();
    KeyOf(mr::KeySequence::default_()) = copy;
    return info.Env().Undefined();
  });

  // (key, num, stream) → uint32[num, 2]
  MLXT_EXPORT(exports, "randomSplit", {
    return Wrap(info.Env(), mr::split(Unwrap(info[0], "key"), ToInt(info[1], "num"), ToStream(info[2])));
  });
  // (shape, width, key, stream)
  MLXT_EXPORT(exports, "randomBits", {
    return Wrap(info.Env(), mr::bits(ToShape(info[0]), ToInt(info[1], "width"), OptKey(info[2]), ToStream(info[3])));
  });
  // (low, high, shape, dtype, key, stream)
  MLXT_EXPORT(exports, "randomUniform", {
    auto [low, high] = ToArrayPair(info[0], info[1]);
    return Wrap(info.Env(),
                mr::uniform(low, high, ToShape(info[2]), ToDtype(info[3]), OptKey(info[4]), ToStream(info[5])));
  });
  // (shape, dtype, loc | null, scale | null, key, stream)
  MLXT_EXPORT(exports, "randomNormal", {
    auto dtype = ToDtype(info[1]);
    std::optional<mx::array> loc, scale;
    if (!info[2].IsUndefined() && !info[2].IsNull()) loc = ToArray(info[2], nullptr, "loc");
    if (!info[3].IsUndefined() && !info[3].IsNull()) scale = ToArray(info[3], nullptr, "scale");
    return Wrap(info.Env(), mr::normal(ToShape(info[0]), dtype, loc, scale, OptKey(info[4]), ToStream(info[5])));
  });
  // (lower, upper, shape | null, dtype, key, stream)
  MLXT_EXPORT(exports, "randomTruncatedNormal", {
    auto [lower, upper] = ToArrayPair(info[0], info[1]);
    auto dtype = ToDtype(info[3]);
    auto key = OptKey(info[4]);
    auto s = ToStream(info[5]);
    if (info[2].IsUndefined() || info[2].IsNull()) {
      return Wrap(info.Env(), mr::truncated_normal(lower, upper, dtype, key, s));
    }
    return Wrap(info.Env(), mr::truncated_normal(lower, upper, ToShape(info[2]), dtype, key, s));
  });
  // (p, shape | null, key, stream)
  MLXT_EXPORT(exports, "randomBernoulli", {
    auto p = ToArray(info[0], nullptr, "p");
    auto key = OptKey(info[2]);
    auto s = ToStream(info[3]);
    if (info[1].IsUndefined() || info[1].IsNull()) return Wrap(info.Env(), mr::bernoulli(p, key, s));
    return Wrap(info.Env(), mr::bernoulli(p, ToShape(info[1]), key, s));
  });
  // (low, high, shape, dtype, key, stream)
  MLXT_EXPORT(exports, "randomRandint", {
    auto [low, high] = ToArrayPair(info[0], info[1]);
    return Wrap(info.Env(),
                mr::randint(low, high, ToShape(info[2]), ToDtype(info[3]), OptKey(info[4]), ToStream(info[5])));
  });
  // (logits, axis, shape | null, numSamples | null, key, stream); shape and numSamples are exclusive.
  MLXT_EXPORT(exports, "randomCategorical", {
    const auto& logits = Unwrap(info[0], "logits");
    int axis = ToInt(info[1], "axis");
    bool hasShape = !info[2].IsUndefined() && !info[2].IsNull();
    bool hasNum = !info[3].IsUndefined() && !info[3].IsNull();
    if (hasShape && hasNum) ThrowType("shape and numSamples cannot both be given");
    auto key = OptKey(info[4]);
    auto s = ToStream(info[5]);
    if (hasShape) return Wrap(info.Env(), mr::categorical(logits, axis, ToShape(info[2]), key, s));
    if (hasNum) return Wrap(info.Env(), mr::categorical(logits, axis, ToInt(info[3], "numSamples"), key, s));
    return Wrap(info.Env(), mr::categorical(logits, axis, key, s));
  });
  // (shape, dtype, key, stream)
  MLXT_EXPORT(exports, "randomGumbel", {
    return Wrap(info.Env(), mr::gumbel(ToShape(info[0]), ToDtype(info[1]), OptKey(info[2]), ToStream(info[3])));
  });
  // (shape, dtype, loc, scale, key, stream)
  MLXT_EXPORT(exports, "randomLaplace", {
    return Wrap(info.Env(), mr::laplace(ToShape(info[0]), ToDtype(info[1]), static_cast<float>(ToDouble(info[2], "loc")),
                                        static_cast<float>(ToDouble(info[3], "scale")), OptKey(info[4]),
                                        ToStream(info[5])));
  });
  // (mean, cov, shape, dtype, key, stream)
  MLXT_EXPORT(exports, "randomMultivariateNormal", {
    return Wrap(info.Env(), mr::multivariate_normal(Unwrap(info[0], "mean"), Unwrap(info[1], "cov"), ToShape(info[2]),
                                                    ToDtype(info[3]), OptKey(info[4]), ToStream(info[5])));
  });
  // (x: array | int, axis, key, stream)
  MLXT_EXPORT(exports, "randomPermutation", {
    auto key = OptKey(info[2]);
    auto s = ToStream(info[3]);
    if (info[0].IsNumber()) return Wrap(info.Env(), mr::permutation(ToInt(info[0], "x"), key, s));
    return Wrap(info.Env(), mr::permutation(Unwrap(info[0], "x"), ToInt(info[1], "axis"), key, s));
  });
}

}  // namespace mlxt
