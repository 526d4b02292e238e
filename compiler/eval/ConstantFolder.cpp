//===- ConstantFolder.cpp - Evaluate what is known at compile time -------===//
#include "compiler/eval/ConstantFolder.h"

#include "compiler/ops/OpSchema.h"

#include "llvm/ADT/DenseSet.h"

namespace spcc {
namespace {

bool foldable(const Node &node, int64_t maxFoldedElements) {
  for (Value *out : node.getOutputs())
    if (out->getType().getNumElements() > maxFoldedElements) return false;
  if (node.getSchema().foldFromTypes(node)) return true;
  return llvm::all_of(node.getInputs(), [](Value *in) { return !in || in->isConstant(); });
}

} // namespace

llvm::Expected<bool> foldConstants(Graph &graph, int64_t maxFoldedElements) {
  bool changed = false;
  for (Node *node : graph.getNodes()) {
    if (!foldable(*node, maxFoldedElements)) continue;
    const OpSchema &schema = node->getSchema();
    TensorList results;
    if (std::optional<Tensor> fromTypes = schema.foldFromTypes(*node)) {
      results.push_back(std::move(*fromTypes));
    } else {
      llvm::SmallVector<Tensor, 4> inputs;
      for (Value *in : node->getInputs()) inputs.push_back(in ? in->getConstant() : Tensor());
      auto evaluated = schema.evaluate(*node, inputs);
      if (!evaluated) return evaluated.takeError();
      results = std::move(*evaluated);
    }
    llvm::SmallVector<Value *, 2> outputs(node->getOutputs().begin(), node->getOutputs().end());
    for (size_t i = 0; i < outputs.size(); ++i) graph.foldToConstant(outputs[i], results[i]);
    changed = true;
  }
  return changed;
}

bool eraseDeadNodes(Graph &graph) {
  // Walk backwards from the outputs: a node is live if a graph output or a live node reads one
  // of its outputs.
  llvm::DenseSet<const Value *> needed;
  for (const GraphOutput &out : graph.getOutputs()) needed.insert(out.value);
  std::vector<Node *> nodes = graph.getNodes();
  bool changed = false;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node *node = *it;
    if (llvm::any_of(node->getOutputs(), [&](Value *v) { return needed.count(v); })) {
      needed.insert(node->getInputs().begin(), node->getInputs().end());
      continue;
    }
    graph.eraseNode(node);
    changed = true;
  }
  size_t before = graph.getValues().size();
  graph.removeUnusedValues();
  return changed || graph.getValues().size() != before;
}

} // namespace spcc
