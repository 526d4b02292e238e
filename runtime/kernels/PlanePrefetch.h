//===- PlanePrefetch.h - The next plane fetched while this one is computed -===//
//
// A kernel that walks its input plane by plane, each plane in column strips (a vector's
// columns down every row: max pooling), reads short strided runs that the hardware prefetchers
// do not turn into a stream of the plane, let alone of the next one. When the input is larger
// than L2, every plane then arrives from L3 or memory at the latency of demand misses. (The
// depthwise kernel reads whole rows in order, which the prefetchers follow across planes:
// prefetching there measured slower; so did the max pool's row-at-a-time path.)
//
// PlanePrefetch spreads software prefetches of the plane processed next over the steps of the
// current one, so it is in L2 when its turn comes. An input that fits in L2 gets none: there
// the prefetches only add loads (ResNet-50's max pool over 16 of its planes, in L2: 36 -> 41 us).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_PLANEPREFETCH_H
#define SPCC_RUNTIME_KERNELS_PLANEPREFETCH_H

#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace spcc::kernels {

/// Whether a kernel reading \p inputBytes plane by plane should prefetch its planes: they are
/// more than this core's L2 holds (1 MiB when the system does not say).
inline bool planesOutgrowL2(int64_t inputBytes) {
  static const int64_t l2Bytes = [] {
    long reported = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return reported > 0 ? int64_t(reported) : int64_t(1) << 20;
  }();
  return inputBytes > l2Bytes;
}

/// Prefetches (into L2) the \p bytes at \p next a share per step() over \p steps calls;
/// nothing when \p next is null.
class PlanePrefetch {
public:
  PlanePrefetch(const float *next, int64_t bytes, int64_t steps)
      : next(reinterpret_cast<const char *>(next)), lines(next ? (bytes + 63) / 64 : 0),
        linesPerStep(steps > 0 ? (lines + steps - 1) / steps : lines) {}

  void step() {
    for (int64_t end = std::min(done + linesPerStep, lines); done < end; ++done)
      __builtin_prefetch(next + done * 64, /*rw=*/0, /*locality=*/2);
  }

private:
  const char *next;
  int64_t lines, linesPerStep, done = 0;
};

} // namespace spcc::kernels

#endif
