// Shared pieces of the fused CPU kernels: SIMD clone attributes, a vectorisable exp, output allocation
// and the checks every primitive makes. Header-only so each kernel file stays self-contained.
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"

#define MLXT_INLINE inline __attribute__((always_inline))
// Whole ISA levels rather than single extensions: an "avx2" clone gets no FMA, so every a·b + c was two
// instructions (the GELU kernels ran 26% slower, softmax 5-8%).
// (g++ 12 is the first to dispatch on ISA levels; older ones keep the single-extension clones.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define MLXT_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MLXT_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MLXT_SIMD_CLONES
#endif

namespace mlxt {

namespace mx = mlx::core;

// Sixteen float lanes as one GCC vector, for the row reductions: each SIMD clone lowers it to its own
// registers (one zmm, two ymm or four xmm). Left to the loop vectoriser, an array of sixteen accumulators
// was kept in lane order as scalars (IEEE addition does not reassociate), which made LayerNorm's backward
// and softmax mostly scalar code. Summing the lanes in lane order keeps a row's result independent of the
// clone that ran it.
using V16 = float __attribute__((vector_size(16 * sizeof(float)), aligned(alignof(float))));
constexpr int kV16Lanes = 16;

// V16 values are only passed to and from the always-inlined helpers below, inside one clone, so no V16
// crosses a real call: g++'s warning that passing one by value has another ABI with and without AVX-512
// (raised wherever a helper is expanded, hence for the rest of each kernel file) does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

MLXT_INLINE V16 Load16(const float* p) { return *reinterpret_cast<const V16*>(p); }
MLXT_INLINE void Store16(float* p, V16 v) { *reinterpret_cast<V16*>(p) = v; }

// Lane-wise a > b ? a : b (vmaxps's own rule), spelled per lane since clang and g++ differ on ?: for vectors.
MLXT_INLINE V16 LaneMax(V16 a, V16 b) {
  V16 r;
  for (int j = 0; j < kV16Lanes; ++j) r[j] = a[j] > b[j] ? a[j] : b[j];
  return r;
}

MLXT_INLINE float LaneSum(V16 v) {
  float s = 0.0f;
  for (int j = 0; j < kV16Lanes; ++j) s += v[j];
  return s;
}

// e^y for float32: y = k·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial (relative error
// < 1e-8 on that interval, so float rounding dominates), 2^k put straight into the exponent bits.
// y is clamped to the range where 2^k is a normal float, so e^y for y < −87.3 is about 1e-38, not 0:
// callers that need an exact 0 there (softmax) select it themselves.
MLXT_INLINE float ExpF(float y) {
  y = y < -87.3f ? -87.3f : (y > 88.3f ? 88.3f : y);
  const float kShift = 12582912.0f;  // 1.5·2^23: adding it rounds y·log2(e) to an integer in the low bits
  float shifted = y * 1.44269504088896341f + kShift;
  int32_t k = __builtin_bit_cast(int32_t, shifted) - __builtin_bit_cast(int32_t, kShift);
  float kf = shifted - kShift;
  float r = kf * -0.693145751953125f + y;  // ln2 split in two so r keeps its low bits
  r = kf * -1.428606765330187045e-06f + r;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p * __builtin_bit_cast(float, (k + 127) << 23);
}

// Output buffer: reuse a donatable input's (safe when each output element depends only on the same
// element, or the same row, of the donor), else allocate.
inline void AllocateLike(mx::array& out, const mx::array& donor) {
  if (donor.is_donatable() && donor.flags().row_contiguous && donor.dtype() == out.dtype() &&
      donor.nbytes() == out.nbytes()) {
    out.copy_shared_buffer(donor);
  } else {
    out.set_data(mx::allocator::malloc(out.nbytes()));
  }
}

// The op builders guarantee row-contiguous float32 inputs; this guards against a graph rebuilt by another
// transform.
inline void CheckKernelInput(const mx::array& a, const char* op) {
  if (a.dtype() != mx::float32 || !a.flags().row_contiguous) {
    throw std::runtime_error(std::string(op) + ": the fused CPU kernel needs a row-contiguous float32 input");
  }
}

inline void CheckFloating(const mx::array& a, const char* op, const char* what) {
  if (!mx::issubdtype(a.dtype(), mx::floating)) {
    std::ostringstream msg;
    msg << op << ": expected a floating-point " << what << " but received " << a.dtype() << " array of shape "
        << a.shape();
    throw std::invalid_argument(msg.str());
  }
}

// The fused kernels run for float32 on a CPU stream; everything else takes the stock op chain.
inline bool UsesKernel(const mx::array& a, const mx::Stream& stream) {
  return a.dtype() == mx::float32 && stream.device == mx::Device::cpu;
}

// A float32 input as a dispatched task reads it: its data pointer, and its layout when not row-contiguous
// (broadcast or transposed), so the kernel can take the array as it is, without a contiguous copy in the
// graph; that lets a row-contiguous, donatable input lend its buffer to the output.
struct FloatInput {
  const float* data;
  bool contiguous;
  mx::Shape shape;
  mx::Strides strides;

  static FloatInput Of(const mx::array& a) {
    if (a.dtype() != mx::float32) throw std::runtime_error("fused kernel: expected a float32 input");
    return {a.data<float>(), a.flags().row_contiguous, a.shape(), a.strides()};
  }

  // Row-major float32 data: the input's own, or a strided copy in `scratch`.
  const float* Rows(std::vector<float>& scratch) const {
    if (contiguous) return data;
    std::size_t n = 1;
    for (int d : shape) n *= static_cast<std::size_t>(d);
    scratch.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t rest = i;
      int64_t off = 0;
      for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
        off += static_cast<int64_t>(rest % shape[d]) * strides[d];
        rest /= shape[d];
      }
      scratch[i] = data[off];
    }
    return scratch.data();
  }
};

// Rows of `row` floats per ParallelFor chunk: about 16K floats (64 KB) per chunk, at least one row.
inline std::size_t RowGrain(std::size_t row) { return row >= 16384 ? 1 : 16384 / (row == 0 ? 1 : row); }

}  // namespace mlxt
