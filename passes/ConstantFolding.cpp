//===- ConstantFolding.cpp - Evaluate what is known at compile time ------===//
//
// A node whose inputs are all constants is evaluated with its op's reference evaluation and its
// outputs become constants; so is a node whose result depends on input types only (Shape). With
// fixed input shapes this removes the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of
// PyTorch exports, and precomputes weight transformations (transposes, scalings).
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"

#include "compiler/ops/OpSchema.h"

namespace spcc {
namespace {

class ConstantFolding : public Pass {
public:
  llvm::StringRef getName() const override { return "constant-folding"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &options) override {
    bool changed = false;
    for (Node *node : graph.getNodes()) {
      if (!foldable(*node, options)) continue;
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

private:
  static bool foldable(const Node &node, const PassOptions &options) {
    for (Value *out : node.getOutputs())
      if (out->getType().getNumElements() > options.maxFoldedElements) return false;
    if (node.getSchema().foldFromTypes(node)) return true;
    return llvm::all_of(node.getInputs(), [](Value *in) { return !in || in->isConstant(); });
  }
};

} // namespace

std::unique_ptr<Pass> createConstantFolding() { return std::make_unique<ConstantFolding>(); }

} // namespace spcc
