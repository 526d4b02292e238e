//===- LayoutSelection.h - Activations kept feature-major between layers --===//
//
// A sparse MatMul computes the transpose of its product: it reads its input feature-major
// ([features, tokens], a transposed copy) and transposes its result back to token-major. Where
// one sparse MatMul feeds only other sparse MatMuls, the value between them can stay
// feature-major, and both transposes go away.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_X86_LAYOUTSELECTION_H
#define SPCC_BACKENDS_X86_LAYOUTSELECTION_H

#include "backends/x86/SparseLayer.h"
#include "compiler/ir/Graph.h"

#include <optional>
#include <vector>

namespace spcc::x86 {

/// How one node exchanges its activation and result.
struct NodeLayout {
  bool featureMajorInput = false;
  bool featureMajorOutput = false;
};

/// For each of \p nodes (execution order), which of its activations stay feature-major, given
/// \p sparseLayers: the node's generated layer where it runs one, else empty. A result stays
/// feature-major when its layer is a transposed product without a residual, it is not a graph
/// output, and every reader is such a layer reading it as its activation only.
std::vector<NodeLayout> selectLayouts(const Graph &graph, const std::vector<Node *> &nodes,
                                      const std::vector<const SparseLayer *> &sparseLayers);

} // namespace spcc::x86

#endif
