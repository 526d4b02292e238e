//===- RecognizeGelu.cpp - Decomposed GELU into one Gelu op --------------===//
//
// Exporters without a GELU op spell it out in five to eight elementwise ops, each a pass over
// memory. Both forms become one Gelu (which fuse-epilogues can then move into the producing
// layer):
//   erf:  0.5 * x * (1 + Erf(x / sqrt(2)))                         (also x * (1 / sqrt(2)))
//   tanh: 0.5 * x * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 * Pow(x, 3))))  approximate="tanh"
// The outer product may be grouped as (x * b) * 0.5, (x * 0.5) * b or x * (b * 0.5). Every
// intermediate value must have its one reader inside the pattern.
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"
#include "passes/PatternMatch.h"

#include "compiler/ops/OpSchema.h"

#include <cmath>

namespace spcc {
namespace {

struct GeluMatch {
  Value *x = nullptr;
  std::vector<Node *> nodes; ///< The pattern's nodes; the last one becomes the Gelu.
  bool tanhForm = false;
};

/// The value after `0.5 * x * onePlus` in one of its groupings; appends its nodes to \p match.
bool matchHalfProduct(const Graph &graph, const Value *onePlus, GeluMatch &match) {
  Node *first = soleUser(graph, onePlus);
  if (!asBinaryWith(first, "Mul", onePlus)) return false;
  Value *other = otherOperand(*first, onePlus);
  if (other == match.x || isScalarNear(other, 0.5f)) {
    // (onePlus * x) * 0.5 or (onePlus * 0.5) * x.
    Node *second = soleUser(graph, first->getOutput(0));
    if (!asBinaryWith(second, "Mul", first->getOutput(0))) return false;
    Value *rest = otherOperand(*second, first->getOutput(0));
    if (!(other == match.x ? isScalarNear(rest, 0.5f) : rest == match.x)) return false;
    match.nodes.push_back(first);
    match.nodes.push_back(second);
    return true;
  }
  // onePlus * (x * 0.5).
  Node *half = producedBy(other, "Mul");
  if (!half || soleUser(graph, other) != first || !otherOperand(*half, match.x) ||
      !isScalarNear(otherOperand(*half, match.x), 0.5f))
    return false;
  match.nodes.push_back(half);
  match.nodes.push_back(first);
  return true;
}

/// `activation -> Add(., 1) -> 0.5 * x * (.)` after the Erf or Tanh node.
bool matchTail(const Graph &graph, Node &activation, GeluMatch &match) {
  Value *y = activation.getOutput(0);
  Node *addOne = soleUser(graph, y);
  if (!asBinaryWith(addOne, "Add", y) || !isScalarNear(otherOperand(*addOne, y), 1.0f))
    return false;
  match.nodes.push_back(&activation);
  match.nodes.push_back(addOne);
  return matchHalfProduct(graph, addOne->getOutput(0), match);
}

std::optional<GeluMatch> matchErfForm(const Graph &graph, Node &erf) {
  Value *scaled = erf.getInput(0);
  Node *scale = scaled->getProducer();
  if (!scale || soleUser(graph, scaled) != &erf) return std::nullopt;
  GeluMatch match;
  if (scale->getOpType() == "Div" && isScalarNear(scale->getInput(1), float(M_SQRT2))) {
    match.x = scale->getInput(0);
  } else if (scale->getOpType() == "Mul") {
    for (size_t i = 0; i < 2 && !match.x; ++i)
      if (isScalarNear(scale->getInput(1 - i), float(M_SQRT1_2))) match.x = scale->getInput(i);
  }
  if (!match.x) return std::nullopt;
  match.nodes.push_back(scale);
  if (!matchTail(graph, erf, match)) return std::nullopt;
  return match;
}

std::optional<GeluMatch> matchTanhForm(const Graph &graph, Node &tanh) {
  constexpr float sqrtTwoOverPi = 0.7978845608028654f;
  Value *scaled = tanh.getInput(0);
  Node *scale = producedBy(scaled, "Mul");
  if (!scale || soleUser(graph, scaled) != &tanh) return std::nullopt;
  Value *inner = nullptr;
  for (size_t i = 0; i < 2 && !inner; ++i)
    if (isScalarNear(scale->getInput(1 - i), sqrtTwoOverPi)) inner = scale->getInput(i);
  // inner = x + 0.044715 * Pow(x, 3)
  Node *sum = producedBy(inner, "Add");
  if (!sum || soleUser(graph, inner) != scale) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    Value *cubic = sum->getInput(1 - i);
    Node *times = producedBy(cubic, "Mul");
    if (!times || soleUser(graph, cubic) != sum) continue;
    for (size_t j = 0; j < 2; ++j) {
      Value *cube = times->getInput(1 - j);
      Node *pow = producedBy(cube, "Pow");
      if (!isScalarNear(times->getInput(j), 0.044715f) || !pow || soleUser(graph, cube) != times ||
          pow->getInput(0) != sum->getInput(i) || !isScalarNear(pow->getInput(1), 3.0f))
        continue;
      GeluMatch match;
      match.x = sum->getInput(i);
      match.tanhForm = true;
      match.nodes = {pow, times, sum, scale};
      if (!matchTail(graph, tanh, match)) return std::nullopt;
      return match;
    }
  }
  return std::nullopt;
}

class RecognizeGelu : public Pass {
public:
  llvm::StringRef getName() const override { return "recognize-gelu"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    // Matched first, rewritten after: a rewrite erases nodes the walk has not reached yet.
    std::vector<GeluMatch> matches;
    for (Node *node : graph.getNodes()) {
      std::optional<GeluMatch> match;
      if (node->getOpType() == "Erf") match = matchErfForm(graph, *node);
      if (node->getOpType() == "Tanh") match = matchTanhForm(graph, *node);
      if (match && match->x->getType().getDType() == DType::Float32)
        matches.push_back(std::move(*match));
    }
    for (GeluMatch &match : matches) {
      Node *gelu = match.nodes.back();
      match.nodes.pop_back();
      for (Node *n : match.nodes) graph.eraseNode(n);
      gelu->setOp("Gelu", lookupOpSchema("Gelu"));
      gelu->setInputs({match.x});
      if (match.tanhForm) gelu->setAttribute("approximate", Attribute(std::string("tanh")));
    }
    bool changed = !matches.empty();
    if (changed) graph.removeUnusedValues();
    return changed;
  }
};

} // namespace

std::unique_ptr<Pass> createRecognizeGelu() { return std::make_unique<RecognizeGelu>(); }

} // namespace spcc
