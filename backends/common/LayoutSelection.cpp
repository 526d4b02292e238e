//===- LayoutSelection.cpp - Activations kept feature-major between layers ===//
#include "backends/common/LayoutSelection.h"

#include "backends/common/FeatureMajor.h"

#include "llvm/ADT/DenseMap.h"

namespace spcc {
namespace {

bool isTransposedProduct(const SparseLayer *layer) {
  return layer && layer->params.b_layout == SPCC_SPARSE_B_TRANSPOSED &&
         layer->params.c_layout == SPCC_SPARSE_C_TRANSPOSED;
}

/// Values that must share one layout (union-find), and what their readers and writers allow.
class LayoutGroups {
public:
  /// \p v may be feature-major only when stored with \p rows rows.
  void requireRows(const Value *v, int64_t rows) {
    Group &g = groupOf(v);
    if (g.rows != 0 && g.rows != rows) g.conflict = true;
    g.rows = rows;
  }
  void forceTokenMajor(const Value *v) { groupOf(v).tokenMajor = true; }
  void markSparse(const Value *v) { groupOf(v).sparse = true; }

  void tie(const Value *a, const Value *b) {
    const Value *ra = root(a), *rb = root(b);
    if (ra == rb) return;
    Group merged = groups[ra], other = groups[rb];
    merged.conflict |= other.conflict || (merged.rows && other.rows && merged.rows != other.rows);
    if (!merged.rows) merged.rows = other.rows;
    merged.tokenMajor |= other.tokenMajor;
    merged.sparse |= other.sparse;
    parent[rb] = ra;
    groups.erase(rb);
    groups[ra] = merged;
  }

  bool isFeatureMajor(const Value *v) {
    const Group &g = groupOf(v);
    return g.sparse && g.rows > 0 && !g.conflict && !g.tokenMajor;
  }

private:
  struct Group {
    int64_t rows = 0;
    bool conflict = false, tokenMajor = false, sparse = false;
  };

  const Value *root(const Value *v) {
    auto it = parent.find(v);
    if (it == parent.end()) {
      parent[v] = v;
      groups[v] = Group();
      return v;
    }
    if (it->second == v) return v;
    const Value *r = root(it->second);
    parent[v] = r;
    return r;
  }
  Group &groupOf(const Value *v) { return groups[root(v)]; }

  llvm::DenseMap<const Value *, const Value *> parent;
  llvm::DenseMap<const Value *, Group> groups; ///< By root.
};

} // namespace

std::vector<NodeLayout> selectLayouts(const Graph &graph, const std::vector<Node *> &nodes,
                                      const std::vector<const SparseLayer *> &sparseLayers,
                                      const std::vector<KernelCall> &calls) {
  LayoutGroups groups;
  std::vector<std::optional<FeatureMajorSlots>> slots(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node &node = *nodes[i];
    const Value *result = node.getOutput(0);
    if (const SparseLayer *layer = sparseLayers[i]; isTransposedProduct(layer)) {
      for (const Value *v : {static_cast<const Value *>(node.getInput(0)), result}) {
        groups.requireRows(v, layer->spec.n);
        groups.markSparse(v);
      }
      if (layer->readsResidual) groups.tie(node.getInput(3), result);
      continue;
    }
    if (!sparseLayers[i]) slots[i] = featureMajorSlots(node);
    if (slots[i]) {
      for (size_t input = 0; input < node.getNumInputs(); ++input) {
        const Value *v = node.getInput(input);
        if (!v) continue;
        if (int64_t rows = slots[i]->inputRows[input]) {
          groups.requireRows(v, rows);
          groups.tie(v, node.getInput(0));
        } else {
          groups.forceTokenMajor(v);
        }
      }
      groups.requireRows(result, slots[i]->outputRows);
      if (slots[i]->tied) groups.tie(result, node.getInput(0));
      continue;
    }
    if (calls[i].isAlias && node.getNumOutputs() == 1) {
      groups.tie(node.getInput(0), result);
      continue;
    }
    for (const Value *v : node.getInputs())
      if (v) groups.forceTokenMajor(v);
    for (const Value *v : node.getOutputs()) groups.forceTokenMajor(v);
  }
  for (const Value *v : graph.getInputs()) groups.forceTokenMajor(v);
  for (const GraphOutput &output : graph.getOutputs()) groups.forceTokenMajor(output.value);

  std::vector<NodeLayout> layouts(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!isTransposedProduct(sparseLayers[i]) && !slots[i]) continue;
    layouts[i].featureMajorInput = groups.isFeatureMajor(nodes[i]->getInput(0));
    layouts[i].featureMajorOutput = groups.isFeatureMajor(nodes[i]->getOutput(0));
  }
  return layouts;
}

} // namespace spcc
