//===- ConstantFolder.h - Evaluate what is known at compile time ---------===//
//
// A node whose inputs are all constants is evaluated with its op's reference evaluation and its
// outputs become constants; so is a node whose result depends on input types only (Shape). With
// fixed input shapes this removes the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of
// PyTorch exports, and precomputes weight transformations (transposes, scalings). The import of
// a run-time batch folds with it; the constant-folding pass wraps it.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_EVAL_CONSTANTFOLDER_H
#define SPCC_EVAL_CONSTANTFOLDER_H

#include "compiler/ir/Graph.h"

namespace spcc {

/// The most elements a folded result may have by default: larger results stay computations
/// (a folded Expand or ConstantOfShape could otherwise bloat the model).
inline constexpr int64_t kDefaultMaxFoldedElements = int64_t(1) << 26;

/// Folds every node of \p graph whose outputs are known at compile time and have at most
/// \p maxFoldedElements elements each. Returns whether anything was folded.
llvm::Expected<bool> foldConstants(Graph &graph,
                                   int64_t maxFoldedElements = kDefaultMaxFoldedElements);

/// Erases every node no graph output depends on, then the values nothing reads. Returns whether
/// anything was removed.
bool eraseDeadNodes(Graph &graph);

} // namespace spcc

#endif
