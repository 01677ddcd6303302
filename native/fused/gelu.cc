// Fused GELU primitives (see gelu.h). The math is written branch-free with our own exp and erfc
// approximations so that g++ -O3 turns each loop into SIMD code; target_clones builds x86-64-v4 (AVX-512),
// x86-64-v3 (AVX2 + FMA) and baseline copies of each kernel and picks one at load time, so the addon stays portable.
#include "gelu.h"

#include <cmath>
#include <memory>

#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")

// log(erfc(a)/t) + a² as a polynomial in t = 1/(1 + a/2), a ≥ 0: our least-squares fit over a in [0, 10]
// by scripts/fit-erfc-tail.py (max relative error of erfc 5e-8 in double; float rounding adds ~1e-7).
// test/core/fused-gelu.test.ts checks the GELU built on it against Python MLX.
MLXT_INLINE float ErfcTail(float t) {
  float p = 1.449286324e-01f;
  p = p * t + -6.808218459e-01f;
  p = p * t + 1.156728795e+00f;
  p = p * t + -6.962551706e-01f;
  p = p * t + -8.026978525e-02f;
  p = p * t + 1.257860715e-03f;
  p = p * t + 3.460742899e-02f;
  p = p * t + 3.866391831e-01f;
  p = p * t + 9.986329546e-01f;
  p = p * t + -1.265448007e+00f;
  return p;
}

constexpr float kInvSqrt2 = 0.707106781186547524f;
constexpr float kInvSqrt2Pi = 0.398942280401432678f;
constexpr float kSqrt2OverPi = 0.797884560802865355f;
constexpr float kTanhCubic = 0.044715f;

// GELU is x·gate(x). Each gate gives the gate itself (forward) and d/dx x·gate(x) (backward); the loops
// below are written once over the gate, so the exact and tanh kernels differ only in their math.

// gate = Φ(x), the standard normal CDF, through erfc so both tails keep their relative accuracy.
struct ExactGate {
  // |x|/√2 and t = 1/(1 + a/2), the tail polynomial's variable.
  static MLXT_INLINE float HalfAbs(float x, float& t) {
    float a = __builtin_bit_cast(float, __builtin_bit_cast(int32_t, x) & 0x7fffffff) * kInvSqrt2;
    t = 1.0f / (0.5f * a + 1.0f);
    return a;
  }
  // x < 0 ? erfc(a)/2 : 1 − erfc(a)/2, as a blend on the sign bit (vectorises in every clone)
  static MLXT_INLINE float FromHalfErfc(float x, float half_erfc) {
    int32_t negative = __builtin_bit_cast(int32_t, x) >> 31;
    int32_t blended = (__builtin_bit_cast(int32_t, half_erfc) & negative) |
                      (__builtin_bit_cast(int32_t, 1.0f - half_erfc) & ~negative);
    return __builtin_bit_cast(float, blended);
  }
  // Φ(x), and e^(−x²/2) for the slope.
  static MLXT_INLINE float Cdf(float x, float& gaussian) {
    float t;
    float a = HalfAbs(x, t);
    gaussian = ExpF(-a * a);
    return FromHalfErfc(x, 0.5f * t * gaussian * ExpF(ErfcTail(t)));
  }
  // Φ(x) with one exponential: e^(−a²)·e^(tail) taken as e^(tail − a²), which rounds no worse (the
  // argument's own rounding, ulp(a²), is the error of both); the slope needs e^(−a²) alone, so Cdf keeps two.
  static MLXT_INLINE float Value(float x) {
    float t;
    float a = HalfAbs(x, t);
    return FromHalfErfc(x, 0.5f * t * ExpF(ErfcTail(t) - a * a));
  }
  // Φ(x) + x·φ(x)
  static MLXT_INLINE float Slope(float x) {
    float gaussian;
    float cdf = Cdf(x, gaussian);
    return x * kInvSqrt2Pi * gaussian + cdf;
  }
};

// gate = 0.5·(1 + tanh(u)) = σ(2u), u = √(2/π)·(x + 0.044715·x³).
struct TanhGate {
  static MLXT_INLINE float Sigmoid2U(float x) {
    float x2 = x * x;
    float u = kSqrt2OverPi * (kTanhCubic * x2 * x + x);
    return 1.0f / (1.0f + ExpF(-2.0f * u));
  }
  static MLXT_INLINE float Value(float x) { return Sigmoid2U(x); }
  // σ + x·σ·(1 − σ)·2·du/dx
  static MLXT_INLINE float Slope(float x) {
    float s = Sigmoid2U(x);
    float x2 = x * x;
    float du = kSqrt2OverPi * (3.0f * kTanhCubic * x2 + 1.0f);
    return 2.0f * x * s * (1.0f - s) * du + s;
  }
};

// ---- Kernels over contiguous float32 ranges ------------------------------------------------------------

template <class Gate>
MLXT_INLINE void ForwardLoop(const float* __restrict x, float* __restrict y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * Gate::Value(x[i]);
}

template <class Gate>
MLXT_INLINE void BackwardLoop(const float* __restrict x, const float* __restrict g, float* __restrict out,
                              std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = g[i] * Gate::Slope(x[i]);
}

// target_clones needs plain functions, so each (gate, direction) gets a one-line entry point.
MLXT_SIMD_CLONES void GeluExactForward(const float* __restrict x, float* __restrict y, std::size_t n) {
  ForwardLoop<ExactGate>(x, y, n);
}
MLXT_SIMD_CLONES void GeluExactBackward(const float* __restrict x, const float* __restrict g, float* __restrict out,
                                        std::size_t n) {
  BackwardLoop<ExactGate>(x, g, out, n);
}
MLXT_SIMD_CLONES void GeluTanhForward(const float* __restrict x, float* __restrict y, std::size_t n) {
  ForwardLoop<TanhGate>(x, y, n);
}
MLXT_SIMD_CLONES void GeluTanhBackward(const float* __restrict x, const float* __restrict g, float* __restrict out,
                                       std::size_t n) {
  BackwardLoop<TanhGate>(x, g, out, n);
}

#pragma GCC pop_options

// The kernels are separate functions (not one per range) so target_clones dispatches once per chunk.
// Chunks of 16K floats (64 KB) keep a chunk's inputs in L2 and make dispatch cost negligible.
constexpr std::size_t kGrain = 16384;

struct RangeArgs {
  GeluKind kind;
  const float* x;
  const float* g;  // null for the forward pass
  float* out;
};

void RunRange(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<RangeArgs*>(ctx);
  std::size_t n = end - begin;
  if (a.g == nullptr) {
    if (a.kind == GeluKind::kExact) GeluExactForward(a.x + begin, a.out + begin, n);
    else GeluTanhForward(a.x + begin, a.out + begin, n);
  } else {
    if (a.kind == GeluKind::kExact) GeluExactBackward(a.x + begin, a.g + begin, a.out + begin, n);
    else GeluTanhBackward(a.x + begin, a.g + begin, a.out + begin, n);
  }
}

// ---- Stock compositions (other dtypes, other devices, higher derivatives) -------------------------------

mx::array Scalar(double v, const mx::array& like) { return mx::array(static_cast<float>(v), like.dtype()); }

// Exactly mlx.nn.gelu / mlx.nn.gelu_approx.
mx::array StockGelu(const mx::array& x, GeluKind kind, mx::StreamOrDevice s) {
  if (kind == GeluKind::kExact) {
    auto erf = mx::erf(mx::divide(x, Scalar(std::sqrt(2.0), x), s), s);
    return mx::divide(mx::multiply(x, mx::add(Scalar(1, x), erf, s), s), Scalar(2, x), s);
  }
  auto cubic = mx::multiply(Scalar(kTanhCubic, x), mx::power(x, Scalar(3, x), s), s);
  auto inner = mx::multiply(Scalar(std::sqrt(2.0 / M_PI), x), mx::add(x, cubic, s), s);
  return mx::multiply(mx::multiply(Scalar(0.5, x), x, s), mx::add(Scalar(1, x), mx::tanh(inner, s), s), s);
}

// cotangent·gelu'(x) by differentiating the stock composition.
mx::array StockGeluGrad(const mx::array& x, const mx::array& cotangent, GeluKind kind, mx::StreamOrDevice s) {
  auto fn = [kind, s](const std::vector<mx::array>& in) { return std::vector<mx::array>{StockGelu(in[0], kind, s)}; };
  return mx::vjp(fn, {x}, {cotangent}).second[0];
}

// cotangent·g·gelu''(x): the derivative of StockGeluGrad in x, for second-order transforms.
mx::array StockGeluSecond(const mx::array& x, const mx::array& g, const mx::array& cotangent, GeluKind kind,
                          mx::StreamOrDevice s) {
  auto fn = [&g, kind, s](const std::vector<mx::array>& in) {
    return std::vector<mx::array>{StockGeluGrad(in[0], g, kind, s)};
  };
  return mx::vjp(fn, {x}, {cotangent}).second[0];
}

// ---- Primitives --------------------------------------------------------------------------------------------

class GeluPrimitive : public mx::UnaryPrimitive {
 public:
  GeluPrimitive(mx::Stream stream, GeluKind kind) : mx::UnaryPrimitive(stream), kind_(kind) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& x = inputs[0];
    CheckKernelInput(x, name());
    AllocateLike(out, x);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(x);
    encoder.set_output_array(out);
    encoder.dispatch([args = RangeArgs{kind_, x.data<float>(), nullptr, out.data<float>()}, n = x.size()]() mutable {
      ParallelFor(n, kGrain, RunRange, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedGelu has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>&, const std::vector<mx::array>&) override {
    return {FusedGeluGrad(primals[0], cotangents[0], kind_, stream())};
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>&) override {
    return {FusedGeluGrad(primals[0], tangents[0], kind_, stream())};
  }

  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>& inputs,
                                                           const std::vector<int>& axes) override {
    return {{FusedGelu(inputs[0], kind_, stream())}, {axes[0]}};
  }

  const char* name() const override { return kind_ == GeluKind::kExact ? "FusedGelu" : "FusedGeluApprox"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const GeluPrimitive*>(&other);
    return o != nullptr && o->kind_ == kind_;
  }

  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }

 private:
  GeluKind kind_;
};

class GeluGradPrimitive : public mx::UnaryPrimitive {
 public:
  GeluGradPrimitive(mx::Stream stream, GeluKind kind) : mx::UnaryPrimitive(stream), kind_(kind) {}

  // inputs: x, cotangent (same shape, both row-contiguous float32)
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& x = inputs[0];
    const auto& g = inputs[1];
    CheckKernelInput(x, name());
    CheckKernelInput(g, name());
    AllocateLike(out, g);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(x);
    encoder.set_input_array(g);
    encoder.set_output_array(out);
    encoder.dispatch(
        [args = RangeArgs{kind_, x.data<float>(), g.data<float>(), out.data<float>()}, n = x.size()]() mutable {
          ParallelFor(n, kGrain, RunRange, &args);
        });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedGeluGrad has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    std::vector<mx::array> grads;
    for (int arg : argnums) {
      grads.push_back(arg == 0 ? StockGeluSecond(primals[0], primals[1], cotangents[0], kind_, stream())
                               : FusedGeluGrad(primals[0], cotangents[0], kind_, stream()));
    }
    return grads;
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    // Elementwise, so each input's Jacobian is diagonal and its jvp equals its vjp.
    std::optional<mx::array> sum;
    for (std::size_t i = 0; i < argnums.size(); ++i) {
      auto term = argnums[i] == 0 ? StockGeluSecond(primals[0], primals[1], tangents[i], kind_, stream())
                                  : FusedGeluGrad(primals[0], tangents[i], kind_, stream());
      sum = sum ? mx::add(*sum, term, stream()) : term;
    }
    return {*sum};
  }

  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>& inputs,
                                                           const std::vector<int>& axes) override {
    // Put each mapped axis first; an unmapped input gets a leading axis of 1 and broadcasts.
    auto lead = [&](int i) {
      return axes[i] >= 0 ? mx::moveaxis(inputs[i], axes[i], 0, stream()) : mx::expand_dims(inputs[i], 0, stream());
    };
    return {{FusedGeluGrad(lead(0), lead(1), kind_, stream())}, {0}};
  }

  const char* name() const override { return kind_ == GeluKind::kExact ? "FusedGeluGrad" : "FusedGeluApproxGrad"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const GeluGradPrimitive*>(&other);
    return o != nullptr && o->kind_ == kind_;
  }

  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }

 private:
  GeluKind kind_;
};

}  // namespace

mx::array FusedGelu(const mx::array& x, GeluKind kind, mx::StreamOrDevice s) {
  CheckFloating(x, kind == GeluKind::kExact ? "fused.gelu" : "fused.geluApprox", "x");
  auto stream = mx::to_stream(s);
  if (!UsesKernel(x, stream)) return StockGelu(x, kind, stream);
  auto xc = mx::contiguous(x, false, stream);
  return mx::array(xc.shape(), mx::float32, std::make_shared<GeluPrimitive>(stream, kind), {xc});
}

mx::array FusedGeluGrad(const mx::array& x, const mx::array& cotangent, GeluKind kind, mx::StreamOrDevice s) {
  const char* op = kind == GeluKind::kExact ? "fused.geluGrad" : "fused.geluApproxGrad";
  CheckFloating(x, op, "x");
  CheckFloating(cotangent, op, "cotangent");
  auto stream = mx::to_stream(s);
  if (!UsesKernel(x, stream) || cotangent.dtype() != mx::float32) return StockGeluGrad(x, cotangent, kind, stream);
  auto both = mx::broadcast_arrays({x, cotangent}, stream);
  auto xc = mx::contiguous(both[0], false, stream);
  auto gc = mx::contiguous(both[1], false, stream);
  return mx::array(xc.shape(), mx::float32, std::make_shared<GeluGradPrimitive>(stream, kind), {xc, gc});
}

}  // namespace mlxt
