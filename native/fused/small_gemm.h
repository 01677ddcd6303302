// Single-threaded matrix products small enough to stay in L1/L2 (an attention head's q·kᵀ, p·v and their
// gradients), for callers that already split their work over the pool: no BLAS call per product, so no
// BLAS thread hand-off and no oversubscription. AVX-512 or AVX2/FMA where the CPU has it, portable loops
// elsewhere.
#pragma once

#include <cstddef>

namespace mlxt {

enum class SmallGemmPath { kPortable, kAvx2, kAvx512 };

// The path SmallGemm takes in this process (the CPU's widest, capped by MLX_TRAIN_SMALL_GEMM), and its name
// as doctor prints it: "avx512", "avx2" or "portable".
SmallGemmPath SmallGemmPathInUse();
const char* SmallGemmPathName(SmallGemmPath path);

// C[m×n] = alpha·A·B (+ C when accumulate). A is read at A[i·a_row + p·a_col] (so a transposed A costs
// nothing); B is k×n with rows ldb apart, C m×n with rows ldc apart, both contiguous along n.
void SmallGemm(std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a, std::ptrdiff_t a_row,
               std::ptrdiff_t a_col, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc, bool accumulate);

// dst[cols×rows] = srcᵀ for src[rows×cols] with rows src_row floats apart (contiguous along cols).
void Transpose(const float* src, std::size_t rows, std::size_t cols, std::ptrdiff_t src_row, float* dst);

}  // namespace mlxt
