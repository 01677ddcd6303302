// See small_gemm.h. The SIMD paths keep a block of C in registers and stream one row of B per step of k
// (small_gemm_kernel.inc, compiled once for AVX2 + FMA and once for AVX-512); column tails use masked loads
// and stores, so any n works without padding.
#include "small_gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MLXT_HAVE_AVX2_PATH 1
#endif

namespace mlxt {

namespace {

// Portable path: row i of C accumulates a(i,p)·B[p,:] over p, which compilers vectorise as it is.
void GemmPortable(std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a, std::ptrdiff_t a_row,
                  std::ptrdiff_t a_col, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc,
                  bool accumulate) {
  constexpr std::size_t kCols = 64;
  float acc[kCols];
  for (std::size_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    for (std::size_t j0 = 0; j0 < n; j0 += kCols) {
      std::size_t w = std::min(kCols, n - j0);
      for (std::size_t j = 0; j < w; ++j) acc[j] = 0.0f;
      for (std::size_t p = 0; p < k; ++p) {
        float av = a[i * a_row + p * a_col];
        const float* bp = b + p * ldb + j0;
        for (std::size_t j = 0; j < w; ++j) acc[j] += av * bp[j];
      }
      for (std::size_t j = 0; j < w; ++j) ci[j0 + j] = alpha * acc[j] + (accumulate ? ci[j0 + j] : 0.0f);
    }
  }
}

#ifdef MLXT_HAVE_AVX2_PATH

// AVX2 + FMA: R ≤ 6, so 12 accumulators, two B vectors and one broadcast A value fit the 16 ymm registers.
__attribute__((target("avx2,fma"))) inline __m256i TailMask8(std::size_t w) {
  alignas(32) static const int32_t kBits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kBits + 8 - w));
}
#define MLXT_ISA "avx2,fma"
#define MLXT_KERNEL_NS avx2
#define MLXT_W 8
#define MLXT_ROWS 6
#define MLXT_VEC __m256
#define MLXT_MASK __m256i
#define MLXT_TAIL(w) TailMask8(w)
#define MLXT_ZERO() _mm256_setzero_ps()
#define MLXT_SET1(x) _mm256_set1_ps(x)
#define MLXT_LOAD(p) _mm256_loadu_ps(p)
#define MLXT_MLOAD(p, m) _mm256_maskload_ps(p, m)
#define MLXT_STORE(p, v) _mm256_storeu_ps(p, v)
#define MLXT_MSTORE(p, m, v) _mm256_maskstore_ps(p, m, v)
#define MLXT_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define MLXT_MUL(a, b) _mm256_mul_ps(a, b)
#define MLXT_ADD(a, b) _mm256_add_ps(a, b)
#include "small_gemm_kernel.inc"

// AVX-512: twice the width, R ≤ 8 of the 32 zmm registers; mask registers make the tails plain masked moves.
#define MLXT_ISA "avx512f"
#define MLXT_KERNEL_NS avx512
#define MLXT_W 16
#define MLXT_ROWS 8
#define MLXT_VEC __m512
#define MLXT_MASK __mmask16
#define MLXT_TAIL(w) static_cast<__mmask16>((1u << (w)) - 1u)
#define MLXT_ZERO() _mm512_setzero_ps()
#define MLXT_SET1(x) _mm512_set1_ps(x)
#define MLXT_LOAD(p) _mm512_loadu_ps(p)
#define MLXT_MLOAD(p, m) _mm512_maskz_loadu_ps(m, p)
#define MLXT_STORE(p, v) _mm512_storeu_ps(p, v)
#define MLXT_MSTORE(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define MLXT_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define MLXT_MUL(a, b) _mm512_mul_ps(a, b)
#define MLXT_ADD(a, b) _mm512_add_ps(a, b)
#include "small_gemm_kernel.inc"

#endif

// The widest path this CPU runs; MLX_TRAIN_SMALL_GEMM=avx2 or =portable caps it (tests run every path
// against the same fixtures; a cap also rules a micro-kernel out when a result looks wrong).
SmallGemmPath Detect() {
  const char* cap = std::getenv("MLX_TRAIN_SMALL_GEMM");
  auto capped = [cap](const char* path) { return cap != nullptr && std::strcmp(cap, path) == 0; };
  if (capped("portable")) return SmallGemmPath::kPortable;
#ifdef MLXT_HAVE_AVX2_PATH
  if (!capped("avx2") && __builtin_cpu_supports("avx512f")) return SmallGemmPath::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SmallGemmPath::kAvx2;
#endif
  return SmallGemmPath::kPortable;
}

}  // namespace

SmallGemmPath SmallGemmPathInUse() {
  static const SmallGemmPath path = Detect();
  return path;
}

const char* SmallGemmPathName(SmallGemmPath path) {
  switch (path) {
    case SmallGemmPath::kAvx512: return "avx512";
    case SmallGemmPath::kAvx2: return "avx2";
    default: return "portable";
  }
}

void SmallGemm(std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a, std::ptrdiff_t a_row,
               std::ptrdiff_t a_col, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc, bool accumulate) {
#ifdef MLXT_HAVE_AVX2_PATH
  switch (SmallGemmPathInUse()) {
    case SmallGemmPath::kAvx512: return avx512::Gemm(m, n, k, alpha, a, a_row, a_col, b, ldb, c, ldc, accumulate);
    case SmallGemmPath::kAvx2: return avx2::Gemm(m, n, k, alpha, a, a_row, a_col, b, ldb, c, ldc, accumulate);
    default: break;
  }
#endif
  GemmPortable(m, n, k, alpha, a, a_row, a_col, b, ldb, c, ldc, accumulate);
}

namespace {

// Rows [i0, i1) × columns [j0, j1) of src into dst, one element at a time.
void TransposeTile(const float* src, std::size_t rows, std::ptrdiff_t src_row, float* dst, std::size_t i0,
                   std::size_t i1, std::size_t j0, std::size_t j1) {
  for (std::size_t j = j0; j < j1; ++j)
    for (std::size_t i = i0; i < i1; ++i) dst[j * rows + i] = src[static_cast<std::ptrdiff_t>(i) * src_row + j];
}

#ifdef MLXT_HAVE_AVX2_PATH
// 8 × 8 blocks in registers: interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
// The element-at-a-time loop was two thirds scalar moves in the attention core's profile.
__attribute__((target("avx2"))) void Transpose8(const float* src, std::size_t rows, std::size_t cols,
                                                 std::ptrdiff_t src_row, float* dst) {
  std::size_t rows8 = rows & ~std::size_t{7}, cols8 = cols & ~std::size_t{7};
  for (std::size_t i = 0; i < rows8; i += 8) {
    for (std::size_t j = 0; j < cols8; j += 8) {
      const float* s = src + static_cast<std::ptrdiff_t>(i) * src_row + j;
      __m256 r[8];
      for (int q = 0; q < 8; ++q) r[q] = _mm256_loadu_ps(s + q * src_row);
      __m256 t[8], u[8];
      for (int q = 0; q < 4; ++q) {
        t[2 * q] = _mm256_unpacklo_ps(r[2 * q], r[2 * q + 1]);
        t[2 * q + 1] = _mm256_unpackhi_ps(r[2 * q], r[2 * q + 1]);
      }
      for (int q = 0; q < 2; ++q) {
        u[4 * q] = _mm256_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
        u[4 * q + 1] = _mm256_shuffle_ps(t[4 * q], t[4 * q + 2], 0xEE);
        u[4 * q + 2] = _mm256_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
        u[4 * q + 3] = _mm256_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xEE);
      }
      float* d = dst + j * rows + i;
      for (int q = 0; q < 4; ++q) {
        _mm256_storeu_ps(d + q * rows, _mm256_permute2f128_ps(u[q], u[q + 4], 0x20));
        _mm256_storeu_ps(d + (q + 4) * rows, _mm256_permute2f128_ps(u[q], u[q + 4], 0x31));
      }
    }
  }
  TransposeTile(src, rows, src_row, dst, 0, rows8, cols8, cols);
  TransposeTile(src, rows, src_row, dst, rows8, rows, 0, cols);
}
#endif

}  // namespace

void Transpose(const float* src, std::size_t rows, std::size_t cols, std::ptrdiff_t src_row, float* dst) {
#ifdef MLXT_HAVE_AVX2_PATH
  if (SmallGemmPathInUse() != SmallGemmPath::kPortable) return Transpose8(src, rows, cols, src_row, dst);
#endif
  constexpr std::size_t kTile = 16;  // tiles keep both sides' lines in L1
  for (std::size_t i0 = 0; i0 < rows; i0 += kTile) {
    for (std::size_t j0 = 0; j0 < cols; j0 += kTile) {
      TransposeTile(src, rows, src_row, dst, i0, std::min(rows, i0 + kTile), j0, std::min(cols, j0 + kTile));
    }
  }
}

}  // namespace mlxt
