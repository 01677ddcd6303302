// The fused optimizer primitives (native/fused/optim.cc) for src/optim: one update over a whole
// parameter tree, and the sum of squares behind the global-norm clip.
#include <napi.h>

#include "../exports.h"
#include "../wrap.h"
#include "optim.h"

namespace mlxt {

namespace {

OptimKind ToOptimKind(const Napi::Value& v) {
  std::string kind = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (kind == "adam") return OptimKind::kAdam;
  if (kind == "sgd") return OptimKind::kSgd;
  if (kind == "lion") return OptimKind::kLion;
  throw std::invalid_argument("expected 'adam', 'sgd' or 'lion' for kind but received '" + kind + "'");
}

// [beta1, beta2, eps, weightDecay, decoupledDecay, biasCorrection, momentum, dampening, nesterov]
OptimConfig ToOptimConfig(const Napi::Value& kind, const Napi::Value& hyper) {
  if (!hyper.IsArray() || hyper.As<Napi::Array>().Length() != 9) {
    throw std::invalid_argument("expected 9 hyperparameters for the fused optimizer");
  }
  auto h = hyper.As<Napi::Array>();
  auto at = [&](uint32_t i) { return ToDouble(h.Get(i), "hyperparameter"); };
  OptimConfig c;
  c.kind = ToOptimKind(kind);
  c.beta1 = at(0);
  c.beta2 = at(1);
  c.eps = at(2);
  c.weightDecay = at(3);
  c.decoupledDecay = at(4) != 0;
  c.biasCorrection = at(5) != 0;
  c.momentum = at(6);
  c.dampening = at(7);
  c.nesterov = at(8) != 0;
  return c;
}

}  // namespace

void InitOptim(Napi::Object exports) {
  // (kind, hyper, learningRate, step, gradScale, params[], grads[], states[], stream) → [p', states'…]…
  MLXT_EXPORT(exports, "fusedOptimizerUpdate", {
    auto config = ToOptimConfig(info[0], info[1]);
    return WrapMany(info.Env(), FusedOptimizerUpdate(config, Unwrap(info[2], "learningRate"), Unwrap(info[3], "step"),
                                                     Unwrap(info[4], "gradScale"), ToArrayList(info[5], "params"),
                                                     ToArrayList(info[6], "grads"), ToArrayList(info[7], "states"),
                                                     ToStream(info[8])));
  });
  // (arrays[], stream) → Σ x² (float32 scalar)
  MLXT_EXPORT(exports, "fusedSumOfSquares", {
    return Wrap(info.Env(), FusedSumOfSquares(ToArrayList(info[0], "arrays"), ToStream(info[1])));
  });
}

}  // namespace mlxt
