// See parallel_for.h. The pool is created on first use and deliberately never destroyed: its threads
// sleep on a condition variable, and joining them from a static destructor at process exit (or while
// a Node environment is torn down) is a known way to hang an addon.
#include "parallel_for.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace mlxt {

namespace {

class Pool {
 public:
  explicit Pool(int workers) : workers_(workers) {
    for (int i = 0; i < workers; ++i) std::thread([this] { WorkerLoop(); }).detach();
  }

  int Threads() const { return workers_ + 1; }

  // False when another thread is using the pool (the caller then runs the range itself).
  bool TryRun(std::size_t n, std::size_t grain, RangeBody body, void* ctx) {
    std::unique_lock<std::mutex> caller(callerMutex_, std::try_to_lock);
    if (!caller.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = body;
      ctx_ = ctx;
      n_ = n;
      grain_ = grain;
      next_.store(0, std::memory_order_relaxed);
      open_ = true;
      ++generation_;
    }
    wake_.notify_all();
    TakeChunks();
    // Close the job, then wait only for workers that joined it: one that wakes late (a busy machine)
    // finds it closed and goes back to sleep instead of holding up the caller.
    std::unique_lock<std::mutex> lock(mutex_);
    open_ = false;
    done_.wait(lock, [this] { return joined_ == 0; });
    return true;
  }

 private:
  void TakeChunks() {
    for (;;) {
      std::size_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
      if (begin >= n_) return;
      body_(begin, std::min(n_, begin + grain_), ctx_);
    }
  }

  void WorkerLoop() {
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (!open_) continue;
        ++joined_;
      }
      TakeChunks();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--joined_ == 0) done_.notify_one();
    }
  }

  const int workers_;
  std::mutex callerMutex_;  // one ParallelFor at a time (MLX may run several CPU streams)
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::uint64_t generation_ = 0;
  bool open_ = false;  // the current job still accepts workers
  int joined_ = 0;     // workers inside the current job
  RangeBody body_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_ = 0, grain_ = 1;
  std::atomic<std::size_t> next_{0};
};

// The thread budget OpenBLAS itself obeys (OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS, as OpenBLAS reads
// them): `mlx-train sweep` splits the cores between its workers through these, and a pool sized from the
// core count would oversubscribe them. Unset or not a positive integer: the core count.
unsigned ThreadBudget(unsigned cores) {
  for (const char* name : {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (*end == '\0' && n > 0) return static_cast<unsigned>(std::min<long>(n, 64));
  }
  return cores;
}

Pool* GetPool() {
  static Pool* pool = [] {
    unsigned cores = ThreadBudget(std::max(1u, std::thread::hardware_concurrency()));
    int workers = cores > 1 ? static_cast<int>(std::min(cores, 64u)) - 1 : 0;
    return workers > 0 ? new Pool(workers) : nullptr;
  }();
  return pool;
}

}  // namespace

int ParallelThreads() {
  Pool* pool = GetPool();
  return pool ? pool->Threads() : 1;
}

void ParallelFor(std::size_t n, std::size_t grain, RangeBody body, void* ctx) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  Pool* pool = n > grain ? GetPool() : nullptr;
  if (pool && pool->TryRun(n, grain, body, ctx)) return;
  body(0, n, ctx);
}

}  // namespace mlxt
