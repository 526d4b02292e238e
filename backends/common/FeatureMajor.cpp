//===- FeatureMajor.cpp - Dense kernels that take activations transposed -===//
#include "backends/common/FeatureMajor.h"

#include "backends/common/LoweringUtil.h"

#include <cassert>

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

namespace {

/// Calls \p edit on \p call's parameter struct, of type Params.
template <typename Params, typename Edit> void editParams(KernelCall &call, Edit edit) {
  assert(call.params.size() == sizeof(Params) && "parameters of another kernel");
  Params params;
  std::memcpy(&params, call.params.data(), sizeof(Params));
  edit(params);
  std::memcpy(call.params.data(), &params, sizeof(Params));
}

} // namespace

void setFeatureMajor(KernelCall &call, bool inputs, bool output) {
  if (call.symbol == "spcc_kernel_layer_norm") {
    editParams<spcc_layer_norm_params>(call, [&](spcc_layer_norm_params &p) {
      p.input_feature_major = inputs;
      p.output_feature_major = output;
    });
  } else if (call.symbol == "spcc_kernel_attention") {
    assert(inputs == output && "attention's activations share one layout");
    editParams<spcc_attention_params>(
        call, [&](spcc_attention_params &p) { p.feature_major = inputs && output; });
  } else {
    assert(!inputs && !output && "the kernel works token-major only");
  }
}

} // namespace spcc
