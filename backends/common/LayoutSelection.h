//===- LayoutSelection.h - Activations kept feature-major between layers --===//
//
// A sparse MatMul computes the transpose of its product: it reads its input feature-major
// ([features, rows], a transposed copy) and transposes its result back to token-major. Where
// the values around sparse MatMuls are only read and written by kernels that also work
// feature-major (other sparse MatMuls, LayerNormalization, FusedAttention, views such as
// Reshape), they stay feature-major and the transposes go away: a transformer encoder then
// transposes only where its embeddings enter the first layer norm and where the last one
// writes the graph's output.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_LAYOUTSELECTION_H
#define SPCC_BACKENDS_COMMON_LAYOUTSELECTION_H

#include "backends/common/KernelLowering.h"
#include "backends/common/sparse/SparseLayer.h"
#include "compiler/ir/Graph.h"

#include <vector>

namespace spcc {

/// How one node exchanges its activations: its activation inputs (a sparse product's input 0,
/// a dense kernel's slotted inputs) and its output 0 (with a sparse product's residual).
struct NodeLayout {
  bool featureMajorInput = false;
  bool featureMajorOutput = false;
};

/// For each of \p nodes (execution order), which of its activations are feature-major, given
/// \p sparseLayers (the node's generated layer where it runs one, else null) and \p calls (its
/// dense lowering). Values that must share a layout (a view's input and output, a product's
/// residual and result, attention's Q, K, V and output) form groups; a group is feature-major
/// when a sparse product reads or writes it, every reader and writer can take that layout with
/// the same rows, and none of it is a graph input or output.
std::vector<NodeLayout> selectLayouts(const Graph &graph, const std::vector<Node *> &nodes,
                                      const std::vector<const SparseLayer *> &sparseLayers,
                                      const std::vector<KernelCall> &calls);

} // namespace spcc

#endif
