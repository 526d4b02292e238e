//===- PatternMatch.cpp - Small matchers shared by the recognition passes ===//
#include "passes/PatternMatch.h"

#include <cmath>

namespace spcc {

std::optional<float> scalarConstant(const Value *v) {
  if (!v || !v->isConstant() || v->getType().getDType() != DType::Float32 ||
      v->getType().getNumElements() != 1)
    return std::nullopt;
  return v->getConstant().getData<float>()[0];
}

bool isScalarNear(const Value *v, float expected) {
  std::optional<float> value = scalarConstant(v);
  return value && std::fabs(*value - expected) <= 1e-4f * std::fabs(expected);
}

Node *soleUser(const Graph &graph, const Value *v) {
  if (!v || graph.isGraphOutput(v)) return nullptr;
  std::vector<Node *> users = graph.getUsers(v);
  return users.size() == 1 ? users.front() : nullptr;
}

Value *otherOperand(const Node &node, const Value *v) {
  if (node.getNumInputs() != 2) return nullptr;
  if (node.getInput(0) == v) return node.getInput(1);
  if (node.getInput(1) == v) return node.getInput(0);
  return nullptr;
}

Node *asBinaryWith(Node *node, llvm::StringRef opType, const Value *v) {
  return node && node->getOpType() == opType && otherOperand(*node, v) ? node : nullptr;
}

Node *producedBy(const Value *v, llvm::StringRef opType) {
  Node *producer = v ? v->getProducer() : nullptr;
  return producer && producer->getOpType() == opType ? producer : nullptr;
}

} // namespace spcc
