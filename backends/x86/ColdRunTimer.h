//===- ColdRunTimer.h - Timing a layer as a model runs it ----------------===//
//
// A layer timed alone, run after run, finds its code, weights and output in the core's L2; in a
// model, the layers between two runs of it have taken the L2, and only its input, which the layer
// before it has just written, is still there. The difference is not uniform: straight-line code
// fetched from L3 slows down more than a loop over weight tables the prefetchers stream (ResNet-50
// and MobileNet V1 layers ran 15-45% slower in the model than in the tuner, and the tuner's order
// of two tilings flipped), so the tuner times each run after sweeping the private caches. A kernel
// benchmark that times its peers back to back tunes the same way (CacheState::Warm).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_X86_COLDRUNTIMER_H
#define SPCC_BACKENDS_X86_COLDRUNTIMER_H

#include "llvm/ADT/ArrayRef.h"

#include <cstddef>
#include <functional>
#include <vector>

namespace spcc::x86 {

/// Bytes a layer reads that the layer before it in a model has just written (its input).
struct HotBytes {
  const void *data;
  size_t bytes;
};

/// How the runs of a timing find the caches.
enum class CacheState {
  /// Swept before each run, \p hot read back: as a model runs a layer (the tuner's default).
  Cold,
  /// Left as the run before left them, runs back to back: as a kernel benchmark times a kernel
  /// and its peers alone (spcc-kbench).
  Warm,
};

/// The threads a timing of \p threads threads runs on: \p threads, or all cores when <= 0.
int timingThreads(int threads);

/// Seconds per run of \p run: the median of repeated runs (at least 3, and until about
/// \p minSeconds have passed, sweeps included; at most 1000) after one warm-up. With
/// CacheState::Cold, before each run every one of \p threads threads (<= 0: all) sweeps its
/// core's private caches and \p hot is read back.
double timeRuns(const std::function<void()> &run, double minSeconds, int threads,
                llvm::ArrayRef<HotBytes> hot, CacheState caches);

/// The median of \p values (the upper one of an even count); \p values must not be empty.
double medianOf(std::vector<double> values);

} // namespace spcc::x86

#endif
