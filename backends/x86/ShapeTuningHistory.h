//===- ShapeTuningHistory.h - What earlier layers of a shape ran fastest -===//
//
// Transformers and residual networks repeat their layer shapes: BERT-base's 72 products are of
// four shapes and epilogues, ResNet-50's third stage five blocks alike. Layers of one shape and
// density rank the tilings alike, so once the first few of a shape have timed every candidate,
// the rest time only the tilings that came close in those. Only --tune=fast narrows
// (--tune=full times everything, always).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_X86_SHAPETUNINGHISTORY_H
#define SPCC_BACKENDS_X86_SHAPETUNINGHISTORY_H

#include "backends/common/sparse/KernelChoice.h"
#include "backends/common/sparse/SparseLayer.h"

#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace spcc::x86 {

/// What layers whose tilings rank alike share: their shape fields (SparseLayer::shapeFields) and
/// taps (where each column of A reads B), the density to the percent and the straight-line
/// budget; not the weights.
std::string layerShapeKey(const SparseLayer &layer, int64_t unrolledBudget);

class ShapeTuningHistory {
public:
  /// Layers of a shape that time every candidate before the rest of that shape are narrowed.
  static constexpr size_t kLayersTunedInFull = 2;
  /// The tilings timed for the rest: the kFastestKept fastest in each of those layers, where
  /// within kCloseMargin of its fastest (as the tuner picks the contenders it times again: the
  /// host's noise reorders tilings within a few percent, and many of a layer's loops lie within
  /// 10%, BERT-base's nearly all).
  static constexpr size_t kFastestKept = 3;
  static constexpr double kCloseMargin = 1.10;

  /// The tilings to time for a layer of \p shapeKey: the kFastestKept fastest of each layer of
  /// that shape tuned in full (those within kCloseMargin of its fastest), by their ratio to it
  /// and then by name; empty (time every candidate) until kLayersTunedInFull are recorded.
  std::vector<SpmmTiling> closeTilings(const std::string &shapeKey) const;

  /// Records the trials of a layer of \p shapeKey that timed every candidate.
  void recordFullTuning(const std::string &shapeKey, const std::vector<TuningTrial> &trials);

private:
  llvm::StringMap<std::vector<std::vector<TuningTrial>>> tunedInFull;
};

} // namespace spcc::x86

#endif
