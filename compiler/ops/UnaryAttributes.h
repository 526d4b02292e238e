//===- UnaryAttributes.h - The float attributes of unary activations -----===//
//
// LeakyRelu, Elu, Selu, Celu, HardSigmoid, ThresholdedRelu and Shrink (alpha = lambd, beta =
// bias) take float attributes with ONNX's defaults. The reference evaluation and the kernel
// lowering read them through this one function, so the two cannot disagree on a default.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_UNARYATTRIBUTES_H
#define SPCC_OPS_UNARYATTRIBUTES_H

#include "compiler/ir/Node.h"

namespace spcc {

struct UnaryAttributes {
  float alpha = 0.0f;
  float beta = 0.0f; ///< HardSigmoid's beta, Selu's gamma, Shrink's bias
};

/// \p node's alpha and beta (or gamma), its attributes or ONNX's defaults; zeros for an op
/// without them.
UnaryAttributes unaryAttributes(const Node &node);

} // namespace spcc

#endif
