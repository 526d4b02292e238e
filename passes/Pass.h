//===- Pass.h - A graph-to-graph transformation --------------------------===//
#ifndef SPCC_PASSES_PASS_H
#define SPCC_PASSES_PASS_H

#include "compiler/eval/ConstantFolder.h"
#include "compiler/ir/Graph.h"

namespace spcc {

/// Options every pass may read; filled by the driver.
struct PassOptions {
  /// Constant folding leaves results with more elements than this as computations (a folded
  /// Expand or ConstantOfShape could otherwise bloat the model).
  int64_t maxFoldedElements = kDefaultMaxFoldedElements;
  /// Memory planning lets buffers whose live ranges do not overlap share bytes; off, every
  /// buffer gets bytes of its own (what `--disable-pass=memory-planning` measures).
  bool reuseBuffers = true;
};

/// A pass rewrites a graph in place and says whether it changed anything. Passes are listed in
/// Passes.def and run by the pipeline, which verifies the graph after each one.
class Pass {
public:
  virtual ~Pass() = default;
  /// The name used by --print-after and --disable-pass.
  virtual llvm::StringRef getName() const = 0;
  virtual llvm::Expected<bool> run(Graph &graph, const PassOptions &options) = 0;
};

} // namespace spcc

#endif
