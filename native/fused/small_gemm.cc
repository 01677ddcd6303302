// See small_gemm.h. The AVX2 path keeps an R×16 block of C in registers (R ≤ 6: 12 accumulators, two B
// vectors and one broadcast A value fit the 16 ymm registers) and streams one row of B per step of k;
// column tails use masked loads and stores, so any n works without padding.
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

__attribute__((target("avx2,fma"))) inline __m256i TailMask(std::size_t w) {
  alignas(32) static const int32_t kBits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kBits + 8 - w));
}

// R rows × (8·V) columns of C, V ∈ {1, 2}; when Masked, the last vector holds only `w` − 8·(V − 1)
// columns (the last column block). Everything is unrolled so the accumulators live in registers.
template <int R, int V, bool Masked>
__attribute__((target("avx2,fma"))) void Block(std::size_t k, float alpha, const float* a, std::ptrdiff_t a_row,
                                               std::ptrdiff_t a_col, const float* b, std::ptrdiff_t ldb, float* c,
                                               std::ptrdiff_t ldc, bool accumulate, std::size_t w) {
  __m256 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  const __m256i tail = TailMask(Masked ? w - 8 * (V - 1) : 8);
  for (std::size_t p = 0; p < k; ++p) {
    const float* bp = b + p * ldb;
    __m256 bv[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      bv[v] = (Masked && v == V - 1) ? _mm256_maskload_ps(bp + 8 * v, tail) : _mm256_loadu_ps(bp + 8 * v);
    }
    const float* ap = a + p * a_col;
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      __m256 av = _mm256_broadcast_ss(ap + r * a_row);
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
  const __m256 al = _mm256_set1_ps(alpha);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      const bool masked = Masked && v == V - 1;
      __m256 out = _mm256_mul_ps(al, acc[r][v]);
      if (accumulate) out = _mm256_add_ps(out, masked ? _mm256_maskload_ps(cr + 8 * v, tail) : _mm256_loadu_ps(cr + 8 * v));
      if (masked) {
        _mm256_maskstore_ps(cr + 8 * v, tail, out);
      } else {
        _mm256_storeu_ps(cr + 8 * v, out);
      }
    }
  }
}

template <int R>
__attribute__((target("avx2,fma"))) void RowBlock(std::size_t n, std::size_t k, float alpha, const float* a,
                                                  std::ptrdiff_t a_row, std::ptrdiff_t a_col, const float* b,
                                                  std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc, bool accumulate) {
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16) Block<R, 2, false>(k, alpha, a, a_row, a_col, b + j, ldb, c + j, ldc, accumulate, 16);
  std::size_t left = n - j;
  if (left == 8) {
    Block<R, 1, false>(k, alpha, a, a_row, a_col, b + j, ldb, c + j, ldc, accumulate, 8);
  } else if (left > 8) {
    Block<R, 2, true>(k, alpha, a, a_row, a_col, b + j, ldb, c + j, ldc, accumulate, left);
  } else if (left > 0) {
    Block<R, 1, true>(k, alpha, a, a_row, a_col, b + j, ldb, c + j, ldc, accumulate, left);
  }
}

__attribute__((target("avx2,fma"))) void GemmAvx2(std::size_t m, std::size_t n, std::size_t k, float alpha,
                                                  const float* a, std::ptrdiff_t a_row, std::ptrdiff_t a_col,
                                                  const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc,
                                                  bool accumulate) {
  std::size_t i = 0;
  for (; i + 6 <= m; i += 6) RowBlock<6>(n, k, alpha, a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, accumulate);
  const float* ai = a + i * a_row;
  float* ci = c + i * ldc;
  switch (m - i) {
    case 5: RowBlock<5>(n, k, alpha, ai, a_row, a_col, b, ldb, ci, ldc, accumulate); break;
    case 4: RowBlock<4>(n, k, alpha, ai, a_row, a_col, b, ldb, ci, ldc, accumulate); break;
    case 3: RowBlock<3>(n, k, alpha, ai, a_row, a_col, b, ldb, ci, ldc, accumulate); break;
    case 2: RowBlock<2>(n, k, alpha, ai, a_row, a_col, b, ldb, ci, ldc, accumulate); break;
    case 1: RowBlock<1>(n, k, alpha, ai, a_row, a_col, b, ldb, ci, ldc, accumulate); break;
    default: break;
  }
}

// MLX_TRAIN_SMALL_GEMM=portable takes the portable loops on any CPU (tests check them against the same
// fixtures; it also rules the micro-kernel out when a result looks wrong).
bool HasAvx2() {
  static const bool yes = [] {
    const char* forced = std::getenv("MLX_TRAIN_SMALL_GEMM");
    if (forced != nullptr && std::strcmp(forced, "portable") == 0) return false;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
}

#endif

}  // namespace

void SmallGemm(std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a, std::ptrdiff_t a_row,
               std::ptrdiff_t a_col, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc, bool accumulate) {
#ifdef MLXT_HAVE_AVX2_PATH
  if (HasAvx2()) return GemmAvx2(m, n, k, alpha, a, a_row, a_col, b, ldb, c, ldc, accumulate);
#endif
  GemmPortable(m, n, k, alpha, a, a_row, a_col, b, ldb, c, ldc, accumulate);
}

void Transpose(const float* src, std::size_t rows, std::size_t cols, float* dst) {
  constexpr std::size_t kTile = 16;  // tiles keep both sides' lines in L1
  for (std::size_t i0 = 0; i0 < rows; i0 += kTile) {
    for (std::size_t j0 = 0; j0 < cols; j0 += kTile) {
      std::size_t i1 = std::min(rows, i0 + kTile), j1 = std::min(cols, j0 + kTile);
      for (std::size_t j = j0; j < j1; ++j)
        for (std::size_t i = i0; i < i1; ++i) dst[j * rows + i] = src[i * cols + j];
    }
  }
}

}  // namespace mlxt
