//===- FusedEpilogue.h - What fused ops apply after their product -------===//
//
// The fuse-epilogues pass folds the elementwise ops after a Conv into one FusedConv node:
// a residual input Z added to the result, then an activation, named by attributes:
//   activation = "Relu" | "Clip" (activation_min, activation_max) | "Gelu" (erf form).
// Kernels apply them on the result before it is stored.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_FUSEDEPILOGUE_H
#define SPCC_OPS_FUSEDEPILOGUE_H

#include "compiler/ops/OpSchema.h"

namespace spcc {

/// A fused activation, the one description every stage uses: the IR's attributes, the dense
/// kernels' spcc_post_op (the same values, in C) and the generated sparse epilogues.
struct FusedActivation {
  enum class Kind { None, Relu, Clip, Gelu };
  Kind kind = Kind::None;
  float min = 0, max = 0; ///< Clip's bounds.
};

/// The activation \p node's attributes name; fails on an unknown name.
llvm::Expected<FusedActivation> fusedActivationOf(const Node &node);

/// Sets \p node's activation attributes.
void setFusedActivation(Node &node, const FusedActivation &activation);

/// Checks a fused node's residual Z (input 3, which must have the type of the node's \p output)
/// and its activation attributes.
llvm::Error verifyFusedEpilogue(const Node &node, const TensorType &output);

/// y[i] = activation(y[i] + residual[i]) for i < count (residual may be null).
void applyFusedEpilogue(const FusedActivation &activation, float *y, const float *residual,
                        int64_t count);

} // namespace spcc

#endif
