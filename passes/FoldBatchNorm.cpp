//===- FoldBatchNorm.cpp - Inference BatchNormalization into its Conv ----===//
//
// Conv -> BatchNormalization with constant weights and statistics becomes one Conv:
// with s = scale / sqrt(var + epsilon) per output channel m,
//   W'[m, ...] = W[m, ...] * s[m],   B'[m] = (B[m] - mean[m]) * s[m] + bias[m].
// The folded weights keep the conv's zeros, so a pruned conv stays exactly as sparse.
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"

#include <cmath>

namespace spcc {
namespace {

bool isFloatConstant(const Value *v) {
  return v && v->isConstant() && v->getType().getDType() == DType::Float32;
}

/// The BatchNormalization that alone reads \p conv's output, when it can be folded.
Node *foldableBatchNorm(const Graph &graph, const Node &conv) {
  if (conv.getOpType() != "Conv" || !isFloatConstant(conv.getInput(1)) ||
      (conv.getInput(2) && !isFloatConstant(conv.getInput(2))))
    return nullptr;
  const Value *y = conv.getOutput(0);
  std::vector<Node *> users = graph.getUsers(y);
  if (users.size() != 1 || graph.isGraphOutput(y)) return nullptr;
  Node *bn = users.front();
  if (bn->getOpType() != "BatchNormalization" || bn->getInput(0) != y) return nullptr;
  // Training-mode statistics outputs would need the unfolded result.
  for (size_t i = 1; i < bn->getNumOutputs(); ++i)
    if (!graph.getUsers(bn->getOutput(i)).empty() || graph.isGraphOutput(bn->getOutput(i)))
      return nullptr;
  int64_t channels = conv.getInput(1)->getType().getDim(0);
  for (size_t i = 1; i <= 4; ++i) {
    const Value *param = bn->getInput(i);
    if (!isFloatConstant(param) || param->getType().getNumElements() != channels) return nullptr;
  }
  return bn;
}

class FoldBatchNorm : public Pass {
public:
  llvm::StringRef getName() const override { return "fold-batch-norm"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    bool changed = false;
    for (Node *conv : graph.getNodes()) {
      if (conv->isErased()) continue; // a BatchNormalization folded earlier in this walk
      Node *bn = foldableBatchNorm(graph, *conv);
      if (!bn) continue;
      fold(graph, *conv, *bn);
      changed = true;
    }
    if (changed) graph.removeUnusedValues();
    return changed;
  }

private:
  static void fold(Graph &graph, Node &conv, Node &bn) {
    const Tensor &weights = conv.getInput(1)->getConstant();
    int64_t channels = weights.getDims()[0];
    int64_t perChannel = weights.getNumElements() / std::max<int64_t>(channels, 1);
    auto param = [&](size_t i) { return bn.getInput(i)->getConstant().getData<float>(); };
    auto scale = param(1), shift = param(2), mean = param(3), variance = param(4);
    float epsilon = bn.getFloat("epsilon", 1e-5f);

    Tensor foldedWeights(weights.getType());
    Tensor foldedBias(TensorType(DType::Float32, {channels}));
    auto w = weights.getData<float>();
    auto wOut = foldedWeights.getMutableData<float>();
    auto bOut = foldedBias.getMutableData<float>();
    const Value *oldBias = conv.getInput(2);
    for (int64_t m = 0; m < channels; ++m) {
      size_t c = size_t(m);
      float s = scale[c] / std::sqrt(variance[c] + epsilon);
      for (int64_t i = m * perChannel; i < (m + 1) * perChannel; ++i)
        wOut[size_t(i)] = w[size_t(i)] * s;
      float b = oldBias ? oldBias->getConstant().getData<float>()[c] : 0.0f;
      bOut[c] = (b - mean[c]) * s + shift[c];
    }
    std::string base = conv.getName().empty() ? conv.getOutput(0)->getName() : conv.getName();
    conv.setInput(1, graph.addConstant(graph.makeUniqueName(base + "/folded_weight"),
                                       std::move(foldedWeights)));
    Value *bias =
        graph.addConstant(graph.makeUniqueName(base + "/folded_bias"), std::move(foldedBias));
    if (conv.getNumInputs() > 2)
      conv.setInput(2, bias);
    else
      conv.addInput(bias);
    graph.replaceAllUsesWith(bn.getOutput(0), conv.getOutput(0));
    graph.eraseNode(&bn);
  }
};

} // namespace

std::unique_ptr<Pass> createFoldBatchNorm() { return std::make_unique<FoldBatchNorm>(); }

} // namespace spcc
