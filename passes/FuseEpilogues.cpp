//===- FuseEpilogues.cpp - Residual add and activation into their Conv ---===//
//
// Conv -> [Add(residual of the same shape)] -> [Relu | Clip with constant bounds] becomes one
// FusedConv that applies both on its result before storing it (FusedEpilogue.h), so neither
// the sum nor the activation makes another pass over memory. Bias needs no fusing: after
// fold-batch-norm every conv bias is already an input of the Conv. Each value of the chain but
// the last must have the chain's next node as its only reader.
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"

#include "compiler/ops/FusedEpilogue.h"

#include <cmath>

namespace spcc {
namespace {

/// Clip's bounds when both are constants (or absent).
std::optional<FusedActivation> constantClip(const Node &clip) {
  FusedActivation a;
  a.kind = FusedActivation::Kind::Clip;
  a.min = -INFINITY;
  a.max = INFINITY;
  for (size_t i = 1; i <= 2; ++i) {
    const Value *bound = clip.getInput(i);
    if (!bound) continue;
    if (!bound->isConstant() || bound->getType().getDType() != DType::Float32 ||
        bound->getType().getNumElements() != 1)
      return std::nullopt;
    (i == 1 ? a.min : a.max) = bound->getConstant().getData<float>()[0];
  }
  return a;
}

/// What follows one Conv and can be fused into it.
struct EpilogueChain {
  Value *residual = nullptr;
  FusedActivation activation;
  std::vector<Node *> fused; ///< In chain order.
  Value *result = nullptr;   ///< The value the fused node replaces.
};

EpilogueChain findChain(const Graph &graph, Node &conv) {
  EpilogueChain chain;
  Value *current = conv.getOutput(0);
  while (true) {
    std::vector<Node *> users = graph.getUsers(current);
    if (users.size() != 1 || graph.isGraphOutput(current)) break;
    Node *next = users.front();
    const std::string &op = next->getOpType();
    if (op == "Add" && !chain.residual && chain.fused.empty()) {
      Value *other = next->getInput(0) == current ? next->getInput(1) : next->getInput(0);
      if (other == current || other->getType() != current->getType()) break;
      chain.residual = other;
    } else if (op == "Relu") {
      chain.activation.kind = FusedActivation::Kind::Relu;
    } else if (op == "Clip") {
      std::optional<FusedActivation> clip = constantClip(*next);
      if (!clip) break;
      chain.activation = *clip;
    } else {
      break;
    }
    chain.fused.push_back(next);
    current = next->getOutput(0);
    if (chain.activation.kind != FusedActivation::Kind::None) break; // nothing after it
  }
  chain.result = current;
  return chain;
}

class FuseEpilogues : public Pass {
public:
  llvm::StringRef getName() const override { return "fuse-epilogues"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    bool changed = false;
    for (Node *conv : graph.getNodes()) {
      if (conv->getOpType() != "Conv" ||
          conv->getOutput(0)->getType().getDType() != DType::Float32)
        continue;
      EpilogueChain chain = findChain(graph, *conv);
      if (chain.fused.empty()) continue;
      conv->setOp("FusedConv", lookupOpSchema("FusedConv"));
      if (chain.residual) {
        while (conv->getNumInputs() < 3) conv->addInput(nullptr); // no bias
        conv->addInput(chain.residual);
      }
      setFusedActivation(*conv, chain.activation);
      graph.replaceAllUsesWith(chain.result, conv->getOutput(0));
      for (Node *node : chain.fused) graph.eraseNode(node);
      changed = true;
    }
    if (!changed) return false;
    graph.removeUnusedValues();
    // A residual may be computed after the conv it now feeds.
    if (llvm::Error err = graph.sortTopologically()) return std::move(err);
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createFuseEpilogues() { return std::make_unique<FuseEpilogues>(); }

} // namespace spcc
