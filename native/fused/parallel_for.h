// A small persistent thread pool for the addon's fused CPU kernels.
//
// MLX's CPU backend runs every non-BLAS kernel on its stream's single worker thread. Our fused kernels
// call ParallelFor from that thread to spread one elementwise pass over all cores; the calling thread
// takes chunks too, so a worker that is slow to wake (a loaded machine) only means less help, never a
// stall on work it has not claimed.
#pragma once

#include <cstddef>

namespace mlxt {

// Runs body(begin, end, ctx) over [0, n) in chunks of `grain` elements (the last may be shorter).
// Runs inline when n is small, when the machine has one core, or when another caller holds the pool.
using RangeBody = void (*)(std::size_t begin, std::size_t end, void* ctx);
void ParallelFor(std::size_t n, std::size_t grain, RangeBody body, void* ctx);

// Threads ParallelFor may use, the caller included.
int ParallelThreads();

}  // namespace mlxt
