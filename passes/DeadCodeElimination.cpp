//===- DeadCodeElimination.cpp - Remove what no output needs -------------===//
#include "passes/Pass.h"

#include "llvm/ADT/DenseSet.h"

namespace spcc {
namespace {

class DeadCodeElimination : public Pass {
public:
  llvm::StringRef getName() const override { return "dead-code"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
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
};

} // namespace

std::unique_ptr<Pass> createDeadCodeElimination() {
  return std::make_unique<DeadCodeElimination>();
}

} // namespace spcc
