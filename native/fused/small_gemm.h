// Single-threaded matrix products small enough to stay in L1/L2 (an attention head's q·kᵀ, p·v and their
// gradients), for callers that already split their work over the pool: no BLAS call per product, so no
// BLAS thread hand-off and no oversubscription. AVX2/FMA where the CPU has it, portable loops elsewhere.
#pragma once

#include <cstddef>

namespace mlxt {

// C[m×n] = alpha·A·B (+ C when accumulate). A is read at A[i·a_row + p·a_col] (so a transposed A costs
// nothing); B is k×n with rows ldb apart, C m×n with rows ldc apart, both contiguous along n.
void SmallGemm(std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a, std::ptrdiff_t a_row,
               std::ptrdiff_t a_col, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc, bool accumulate);

// dst[cols×rows] = srcᵀ for a row-major src[rows×cols].
void Transpose(const float* src, std::size_t rows, std::size_t cols, float* dst);

}  // namespace mlxt
