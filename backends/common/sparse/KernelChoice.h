//===- KernelChoice.h - What was decided for one weight layer ------------===//
#ifndef SPCC_BACKENDS_COMMON_SPARSE_KERNELCHOICE_H
#define SPCC_BACKENDS_COMMON_SPARSE_KERNELCHOICE_H

#include "backends/common/sparse/SpmmTiling.h"

#include <string>
#include <vector>

namespace spcc {

/// One candidate tiling and its measured time per run (seconds; NaN when not measured).
struct TuningTrial {
  SpmmTiling tiling;
  double seconds;
};

/// Generated sparse code or the dense kernel for one layer, and why.
struct KernelChoice {
  bool sparse = false;
  SpmmTiling tiling;
  /// Seconds per run, measured on this host (NaN when decided by the cost model).
  double sparseSeconds = 0, denseSeconds = 0;
  std::vector<TuningTrial> trials;
  /// How the choice was made: "measured", "cost model (why it was not measured)", or "tuning
  /// cache (...)" for a choice an earlier compilation made.
  std::string decidedBy;
};

} // namespace spcc

#endif
