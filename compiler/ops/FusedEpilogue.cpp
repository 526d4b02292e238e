//===- FusedEpilogue.cpp - What fused ops apply after their product -----===//
#include "compiler/ops/FusedEpilogue.h"

#include <cmath>

namespace spcc {

llvm::Error verifyFusedEpilogue(const Node &node, const TensorType &output) {
  if (const Value *residual = node.getInput(3))
    if (residual->getType() != output)
      return nodeError(node, ErrorCode::Shape,
                       "residual " + residual->getType().str() + " must match the output " +
                           output.str());
  auto activation = fusedActivationOf(node);
  return activation ? llvm::Error::success() : activation.takeError();
}

llvm::Expected<FusedActivation> fusedActivationOf(const Node &node) {
  FusedActivation a;
  std::string name = node.getString("activation", "");
  if (name.empty()) return a;
  if (name == "Relu") {
    a.kind = FusedActivation::Kind::Relu;
  } else if (name == "Gelu") {
    a.kind = FusedActivation::Kind::Gelu;
  } else if (name == "Clip") {
    a.kind = FusedActivation::Kind::Clip;
    a.min = node.getFloat("activation_min", -INFINITY);
    a.max = node.getFloat("activation_max", INFINITY);
  } else {
    return nodeError(node, ErrorCode::BadModel,
                     "unknown fused activation '" + name + "' (Relu, Clip or Gelu)");
  }
  return a;
}

void setFusedActivation(Node &node, const FusedActivation &activation) {
  switch (activation.kind) {
  case FusedActivation::Kind::None: node.removeAttribute("activation"); return;
  case FusedActivation::Kind::Relu:
    node.setAttribute("activation", Attribute(std::string("Relu")));
    return;
  case FusedActivation::Kind::Gelu:
    node.setAttribute("activation", Attribute(std::string("Gelu")));
    return;
  case FusedActivation::Kind::Clip:
    node.setAttribute("activation", Attribute(std::string("Clip")));
    node.setAttribute("activation_min", Attribute(activation.min));
    node.setAttribute("activation_max", Attribute(activation.max));
    return;
  }
}

void applyFusedEpilogue(const FusedActivation &activation, float *y, const float *residual,
                        int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    float v = y[i] + (residual ? residual[i] : 0.0f);
    switch (activation.kind) {
    case FusedActivation::Kind::None: break;
    // Compare-and-select keeps NaN, as ONNX's Relu and Clip do.
    case FusedActivation::Kind::Relu: v = v < 0.0f ? 0.0f : v; break;
    case FusedActivation::Kind::Clip:
      v = v < activation.min ? activation.min : v > activation.max ? activation.max : v;
      break;
    case FusedActivation::Kind::Gelu: v = 0.5f * v * (1.0f + std::erf(v * float(M_SQRT1_2))); break;
    }
    y[i] = v;
  }
}

} // namespace spcc
