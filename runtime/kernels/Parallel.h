//===- Parallel.h - The one thread-scheduling helper of the kernels -----===//
#ifndef SPCC_RUNTIME_KERNELS_PARALLEL_H
#define SPCC_RUNTIME_KERNELS_PARALLEL_H

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace spcc::kernels {

/// The number of threads a kernel may use: \p requested, or every OpenMP thread
/// when it is zero or negative.
inline int resolveThreads(int32_t requested) {
  return requested > 0 ? int(requested) : omp_get_max_threads();
}

/// Calls fn(begin, end) on disjoint ranges covering [0, count), on at most \p
/// numThreads threads (<= 0: all), each range holding at least \p grain items
/// (except when count is smaller). Runs on the calling thread when one thread
/// suffices. Ranges are contiguous and deterministic for given arguments, so
/// results do not depend on scheduling.
template <typename Fn>
void parallelFor(int64_t count, int32_t numThreads, Fn &&fn, int64_t grain = 1) {
  if (count <= 0) return;
  int64_t threads = std::min<int64_t>(resolveThreads(numThreads),
                                      std::max<int64_t>(1, count / std::max<int64_t>(grain, 1)));
  if (threads <= 1 || omp_in_parallel()) {
    fn(int64_t(0), count);
    return;
  }
#pragma omp parallel num_threads(int(threads))
  {
    int64_t t = omp_get_thread_num(), used = omp_get_num_threads();
    int64_t begin = count * t / used, end = count * (t + 1) / used;
    if (begin < end) fn(begin, end);
  }
}

} // namespace spcc::kernels

#endif
