//===- UnaryAttributes.cpp - The float attributes of unary activations ---===//
#include "compiler/ops/UnaryAttributes.h"

namespace spcc {

UnaryAttributes unaryAttributes(const Node &node) {
  const std::string &op = node.getOpType();
  UnaryAttributes a;
  if (op == "LeakyRelu") a.alpha = node.getFloat("alpha", 0.01f);
  if (op == "Elu" || op == "Celu" || op == "ThresholdedRelu")
    a.alpha = node.getFloat("alpha", 1.0f);
  if (op == "Selu") {
    a.alpha = node.getFloat("alpha", 1.67326319217681884765625f);
    a.beta = node.getFloat("gamma", 1.05070102214813232421875f);
  }
  if (op == "Shrink") {
    a.alpha = node.getFloat("lambd", 0.5f);
    a.beta = node.getFloat("bias", 0.0f);
  }
  if (op == "HardSigmoid") {
    a.alpha = node.getFloat("alpha", 0.2f);
    a.beta = node.getFloat("beta", 0.5f);
  }
  return a;
}

} // namespace spcc
