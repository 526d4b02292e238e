//===- ExpandNormalizations.cpp - GroupNormalization and LpNormalization -===//
//
// Two normalizations the backends run through others' kernels:
//   GroupNormalization: X [N, C, S...] viewed as [N, G, C/G * S], an InstanceNormalization with
//     unit scale and zero bias over that view, then the affine step: per group on the view
//     (opset 18's [G] scale and bias) or per channel on X's shape ([C]).
//   LpNormalization: X / ReduceL1-or-L2(X, axis, keepdims).
// Reshapes of constant scales and biases are folded after.
//
//===----------------------------------------------------------------------===//
#include "compiler/eval/ConstantFolder.h"
#include "compiler/ops/OpHelpers.h"
#include "passes/NodeEmitter.h"
#include "passes/Pass.h"

namespace spcc {
namespace {

Value *expandGroupNormalization(Node &node, NodeEmitter &emitter) {
  Value *x = node.getInput(0), *scale = node.getInput(1), *bias = node.getInput(2);
  llvm::ArrayRef<int64_t> dims = x->getType().getDims();
  int64_t batch = dims[0], channels = dims[1], groups = node.getInt("num_groups", 1);
  int64_t size = batch * groups == 0 ? 0 : x->getType().getNumElements() / (batch * groups);
  auto filled = [&](const char *what, float v) {
    return emitter.constant(
        what, Tensor::fromVector<float>({groups}, std::vector<float>(size_t(groups), v)));
  };
  Value *grouped = emitter.reshape(x, {batch, groups, size});
  Value *normalized =
      emitter.emit("InstanceNormalization", {grouped, filled("ones", 1), filled("zeros", 0)},
                   {{"epsilon", node.getFloat("epsilon", 1e-5f)}});
  if (scale->getType().getDim(0) != channels) { // opset 18: one scale and bias per group
    Value *scaled = emitter.emit("Mul", {normalized, emitter.reshape(scale, {groups, 1})});
    Value *shifted = emitter.emit("Add", {scaled, emitter.reshape(bias, {groups, 1})});
    return emitter.reshape(shifted, std::vector<int64_t>(dims.begin(), dims.end()));
  }
  std::vector<int64_t> perChannel(dims.size() - 1, 1);
  perChannel[0] = channels;
  Value *restored = emitter.reshape(normalized, std::vector<int64_t>(dims.begin(), dims.end()));
  Value *scaled = emitter.emit("Mul", {restored, emitter.reshape(scale, perChannel)});
  return emitter.emit("Add", {scaled, emitter.reshape(bias, perChannel)});
}

Value *expandLpNormalization(Node &node, NodeEmitter &emitter) {
  Value *x = node.getInput(0);
  auto axis = normalizeAxis(node, node.getInt("axis", -1), x->getType().getRank());
  if (!axis) {
    llvm::consumeError(axis.takeError()); // the shape rule checked it
    return nullptr;
  }
  const char *reduce = node.getInt("p", 2) == 1 ? "ReduceL1" : "ReduceL2";
  Value *norm = emitter.emit(reduce, {x, emitter.ints({*axis})}, {{"keepdims", int64_t(1)}});
  return emitter.emit("Div", {x, norm});
}

class ExpandNormalizations : public Pass {
public:
  llvm::StringRef getName() const override { return "expand-normalizations"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    bool changed = false;
    for (Node *node : graph.getNodes()) {
      bool group = node->getOpType() == "GroupNormalization";
      if (!group && node->getOpType() != "LpNormalization") continue;
      NodeEmitter emitter(graph, node->getName().empty() ? node->getOutput(0)->getName()
                                                         : node->getName());
      Value *out =
          group ? expandGroupNormalization(*node, emitter) : expandLpNormalization(*node, emitter);
      if (llvm::Error err = emitter.error()) return std::move(err);
      if (!out) return nodeError(*node, ErrorCode::Internal, "could not be expanded");
      graph.replaceAllUsesWith(node->getOutput(0), out);
      graph.eraseNode(node);
      changed = true;
    }
    if (!changed) return false;
    graph.removeUnusedValues();
    if (llvm::Error err = graph.sortTopologically()) return std::move(err);
    auto folded = foldConstants(graph); // the scales' and biases' Reshapes
    if (!folded) return folded.takeError();
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createExpandNormalizations() {
  return std::make_unique<ExpandNormalizations>();
}

} // namespace spcc
