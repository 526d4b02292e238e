//===- FeatureMajor.cpp - Dense kernels that take activations transposed -===//
#include "backends/common/FeatureMajor.h"

#include "backends/common/LoweringUtil.h"

namespace spcc {

std::optional<FeatureMajorSlots> featureMajorSlots(const Node &node) {
  if (node.getOpType() == "LayerNormalization" && node.getNumOutputs() == 1) {
    llvm::ArrayRef<int64_t> x = lowering::dimsOf(node.getInput(0));
    auto axis = normalizeAxis(node, node.getInt("axis", -1), int(x.size()));
    if (!axis) {
      llvm::consumeError(axis.takeError());
      return std::nullopt;
    }
    int64_t rows = lowering::product(x.take_front(size_t(*axis)));
    FeatureMajorSlots slots;
    slots.inputRows.assign(node.getNumInputs(), 0);
    slots.inputRows[0] = rows;
    slots.outputRows = rows;
    return slots;
  }
  if (node.getOpType() == "FusedAttention") {
    llvm::ArrayRef<int64_t> q = lowering::dimsOf(node.getInput(0)),
                            k = lowering::dimsOf(node.getInput(1));
    FeatureMajorSlots slots;
    slots.inputRows.assign(node.getNumInputs(), 0); // the mask stays token-major
    slots.inputRows[0] = q[0] * q[1];
    slots.inputRows[1] = slots.inputRows[2] = k[0] * k[1];
    slots.outputRows = q[0] * q[1];
    slots.tied = true;
    return slots;
  }
  return std::nullopt;
}

} // namespace spcc
