//===- LayoutSelection.cpp - Activations kept feature-major between layers ===//
#include "backends/x86/LayoutSelection.h"

#include "llvm/ADT/DenseMap.h"

namespace spcc::x86 {
namespace {

bool isTransposedProduct(const SparseLayer *layer) {
  return layer && layer->params.b_layout == SPCC_SPARSE_B_TRANSPOSED &&
         layer->params.c_layout == SPCC_SPARSE_C_TRANSPOSED;
}

} // namespace

std::vector<NodeLayout> selectLayouts(const Graph &graph, const std::vector<Node *> &nodes,
                                      const std::vector<const SparseLayer *> &sparseLayers) {
  llvm::DenseMap<const Node *, size_t> indexOf;
  for (size_t i = 0; i < nodes.size(); ++i) indexOf[nodes[i]] = i;
  std::vector<NodeLayout> layouts(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const SparseLayer *producer = sparseLayers[i];
    if (!isTransposedProduct(producer) || producer->readsResidual) continue;
    const Value *result = nodes[i]->getOutput(0);
    std::vector<Node *> readers = graph.getUsers(result);
    if (readers.empty() || graph.isGraphOutput(result)) continue;
    bool allTranspose = true;
    for (const Node *reader : readers) {
      auto it = indexOf.find(reader);
      const SparseLayer *consumer = it == indexOf.end() ? nullptr : sparseLayers[it->second];
      bool activationOnly = reader->getInput(0) == result;
      for (size_t input = 1; input < reader->getNumInputs(); ++input)
        activationOnly &= reader->getInput(input) != result;
      allTranspose &= isTransposedProduct(consumer) && activationOnly;
    }
    if (!allTranspose) continue;
    layouts[i].featureMajorOutput = true;
    for (const Node *reader : readers) layouts[indexOf[reader]].featureMajorInput = true;
  }
  return layouts;
}

} // namespace spcc::x86
