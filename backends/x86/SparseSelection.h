//===- SparseSelection.h - Generated sparse code or the dense kernel -----===//
#ifndef SPCC_BACKENDS_X86_SPARSESELECTION_H
#define SPCC_BACKENDS_X86_SPARSESELECTION_H

#include "backends/common/KernelLowering.h"
#include "backends/common/sparse/KernelChoice.h"
#include "backends/x86/DenseKernelTimer.h"
#include "backends/x86/SparseTuner.h"

#include <optional>

namespace spcc::x86 {

/// The tools selection may use: a JIT and a dense timer when the target runs on this host
/// (both null when cross-compiling: the cost model decides alone).
struct SelectionContext {
  TargetIsa isa;
  TuneLevel level = TuneLevel::Fast;
  int threads = 0;
  KernelJit *jit = nullptr;
  DenseKernelTimer *denseTimer = nullptr;
  /// Most FMAs per step of straight-line code for the layer at hand (0: the level's default).
  int64_t unrolledBudget = 0;
  /// Threads compiling the layer's candidate tilings (-j; 0: one per core).
  unsigned compileThreads = 0;
  /// When not empty, the only tilings to time (of those the tuner offers the layer): the ones
  /// that came close in earlier layers of its shape (ShapeTuningHistory).
  std::vector<SpmmTiling> onlyTilings;
};

/// Decides between \p layer's generated kernel and the dense call \p dense of \p node: by
/// measuring both (tuning the sparse one) when the context can run code, by the cost model
/// otherwise, and when the model predicts the sparse kernel far slower.
llvm::Expected<KernelChoice> chooseKernel(const Node &node, const SparseLayer &layer,
                                          const KernelCall &dense, const SelectionContext &context);

} // namespace spcc::x86

#endif
