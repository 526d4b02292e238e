//===- RecognizeLayerNorm.cpp - Decomposed LayerNorm into one op ---------===//
//
// Exports before opset 17 spell LayerNorm over the last axis as nine ops, five of them full
// passes over the activation:
//   mean = ReduceMean(x), d = x - mean, var = ReduceMean(Pow(d, 2)),
//   y = d / Sqrt(var + epsilon) * gamma + beta              (both ReduceMeans: last axis, keepdims)
// with constant gamma and beta of the last axis' size (beta optional). It becomes one
// LayerNormalization(x, gamma, beta) {axis = -1, epsilon}, a single kernel.
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"
#include "passes/PatternMatch.h"

#include "compiler/ops/OpSchema.h"

namespace spcc {
namespace {

struct LayerNormMatch {
  Value *x = nullptr, *gamma = nullptr, *beta = nullptr;
  float epsilon = 0;
  std::vector<Node *> nodes; ///< The pattern's nodes; the last one becomes the LayerNormalization.
};

/// A ReduceMean over only the last axis of its input that keeps dims.
bool reducesLastAxis(const Node &node) {
  if (node.getOpType() != "ReduceMean" || node.getNumInputs() != 1 ||
      node.getInt("keepdims", 1) != 1)
    return false;
  std::vector<int64_t> axes = node.getInts("axes");
  int64_t rank = node.getInput(0)->getType().getRank();
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

/// A float constant holding one value per element of the last axis, shaped [size].
bool isLastAxisVector(const Value *v, int64_t size) {
  return v && v->isConstant() && v->getType().getDType() == DType::Float32 &&
         v->getType().getRank() == 1 && v->getType().getDims()[0] == size;
}

std::optional<LayerNormMatch> matchLayerNorm(const Graph &graph, Node &mean) {
  if (!reducesLastAxis(mean)) return std::nullopt;
  LayerNormMatch match;
  match.x = mean.getInput(0);
  if (match.x->getType().getDType() != DType::Float32) return std::nullopt;
  int64_t size = match.x->getType().getDims().back();
  // d = x - mean, read by the Pow and the Div only.
  Node *sub = soleUser(graph, mean.getOutput(0));
  if (!sub || sub->getOpType() != "Sub" || sub->getInput(0) != match.x ||
      sub->getInput(1) != mean.getOutput(0))
    return std::nullopt;
  Value *d = sub->getOutput(0);
  std::vector<Node *> readers = graph.getUsers(d);
  if (readers.size() != 2 || graph.isGraphOutput(d)) return std::nullopt;
  Node *pow = readers[0]->getOpType() == "Pow" ? readers[0] : readers[1];
  Node *div = pow == readers[0] ? readers[1] : readers[0];
  if (pow->getOpType() != "Pow" || pow->getInput(0) != d || !isScalarNear(pow->getInput(1), 2.0f))
    return std::nullopt;
  // var + epsilon, its square root, and d divided by it.
  Node *variance = soleUser(graph, pow->getOutput(0));
  if (!variance || !reducesLastAxis(*variance)) return std::nullopt;
  Node *addEpsilon = soleUser(graph, variance->getOutput(0));
  if (!asBinaryWith(addEpsilon, "Add", variance->getOutput(0))) return std::nullopt;
  std::optional<float> epsilon = scalarConstant(otherOperand(*addEpsilon, variance->getOutput(0)));
  Node *sqrt = soleUser(graph, addEpsilon->getOutput(0));
  if (!epsilon || !sqrt || sqrt->getOpType() != "Sqrt" ||
      soleUser(graph, sqrt->getOutput(0)) != div || div->getOpType() != "Div" ||
      div->getInput(0) != d || div->getInput(1) != sqrt->getOutput(0))
    return std::nullopt;
  match.epsilon = *epsilon;
  // * gamma [+ beta]
  Node *scale = soleUser(graph, div->getOutput(0));
  if (!asBinaryWith(scale, "Mul", div->getOutput(0))) return std::nullopt;
  match.gamma = otherOperand(*scale, div->getOutput(0));
  if (!isLastAxisVector(match.gamma, size)) return std::nullopt;
  match.nodes = {&mean, sub, pow, variance, addEpsilon, sqrt, div, scale};
  Node *shift = soleUser(graph, scale->getOutput(0));
  if (asBinaryWith(shift, "Add", scale->getOutput(0)) &&
      isLastAxisVector(otherOperand(*shift, scale->getOutput(0)), size)) {
    match.beta = otherOperand(*shift, scale->getOutput(0));
    match.nodes.push_back(shift);
  }
  return match;
}

class RecognizeLayerNorm : public Pass {
public:
  llvm::StringRef getName() const override { return "recognize-layer-norm"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    // Matched first, rewritten after: a rewrite erases nodes the walk has not reached yet.
    std::vector<LayerNormMatch> matches;
    for (Node *node : graph.getNodes())
      if (std::optional<LayerNormMatch> match = matchLayerNorm(graph, *node))
        matches.push_back(std::move(*match));
    for (LayerNormMatch &match : matches) {
      Node *norm = match.nodes.back();
      match.nodes.pop_back();
      for (Node *n : match.nodes) graph.eraseNode(n);
      norm->setOp("LayerNormalization", lookupOpSchema("LayerNormalization"));
      std::vector<Value *> inputs = {match.x, match.gamma};
      if (match.beta) inputs.push_back(match.beta);
      norm->setInputs(inputs);
      norm->setAttribute("axis", Attribute(int64_t(-1)));
      norm->setAttribute("epsilon", Attribute(match.epsilon));
    }
    if (!matches.empty()) graph.removeUnusedValues();
    return !matches.empty();
  }
};

} // namespace

std::unique_ptr<Pass> createRecognizeLayerNorm() { return std::make_unique<RecognizeLayerNorm>(); }

} // namespace spcc
