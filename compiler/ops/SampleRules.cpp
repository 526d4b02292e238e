//===- SampleRules.cpp - Shared sample rules for a run-time batch --------===//
#include "compiler/ops/SampleRules.h"

#include "compiler/ops/OpHelpers.h"

namespace spcc {

llvm::Expected<SampleLayouts>
OpSchema::inferSampleLayouts(const Node &node, llvm::ArrayRef<SampleLayout> inputs, int64_t) const {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].isShared())
      return nodeError(node, ErrorCode::Unsupported,
                       "input " + llvm::Twine(i) + " depends on the run-time batch, and " +
                           getName() + " has no rule for that (give the inputs a fixed batch)");
  return SampleLayouts(node.getNumOutputs(), SampleLayout::shared());
}

llvm::Expected<SampleLayouts> elementwiseSampleLayouts(const Node &node,
                                                       llvm::ArrayRef<SampleLayout> inputs) {
  int outRank = node.getOutput(0)->getType().getRank();
  std::optional<int> outAxis;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].kind == SampleLayout::Kind::BatchSized)
      return nodeError(node, ErrorCode::Unsupported,
                       "input " + llvm::Twine(i) + " is computed from the run-time batch size");
    if (!inputs[i].isSplit()) continue;
    int axis = outRank - node.getInput(i)->getType().getRank() + inputs[i].axis;
    if (outAxis && *outAxis != axis)
      return nodeError(node, ErrorCode::Unsupported,
                       "its inputs hold the samples of the run-time batch along different axes");
    outAxis = axis;
  }
  if (!outAxis) return SampleLayouts(node.getNumOutputs(), SampleLayout::shared());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value *in = node.getInput(i);
    if (!in || !inputs[i].isShared()) continue;
    int axis = *outAxis - (outRank - in->getType().getRank());
    if (axis >= 0 && in->getType().getDims()[size_t(axis)] != 1)
      return nodeError(node, ErrorCode::Unsupported,
                       "input " + llvm::Twine(i) +
                           " has as many entries as the batch along the "
                           "batch axis but is the same for every batch size");
  }
  return SampleLayouts(node.getNumOutputs(), SampleLayout::split(*outAxis));
}

llvm::Expected<SampleLayouts> leadingAxisSampleLayouts(const Node &node,
                                                       llvm::ArrayRef<SampleLayout> inputs,
                                                       llvm::ArrayRef<size_t> splittable) {
  bool anySplit = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].isShared()) continue;
    bool allowed = llvm::is_contained(splittable, i);
    if (!allowed || !inputs[i].isSplit() || inputs[i].axis != 0)
      return nodeError(node, ErrorCode::Unsupported,
                       "input " + llvm::Twine(i) +
                           (allowed ? " holds the samples of the run-time batch along an axis "
                                      "other than 0"
                                    : " depends on the run-time batch, where the op needs data "
                                      "shared by every sample"));
    anySplit = true;
  }
  return SampleLayouts(node.getNumOutputs(),
                       anySplit ? SampleLayout::split(0) : SampleLayout::shared());
}

llvm::Expected<SampleLayouts>
reshapeSampleLayouts(const Node &node, llvm::ArrayRef<SampleLayout> inputs, int64_t batch) {
  for (size_t i = 1; i < inputs.size(); ++i)
    if (inputs[i].isSplit())
      return nodeError(node, ErrorCode::Unsupported,
                       "its shape input " + llvm::Twine(i) + " varies with the sample");
  if (!inputs[0].isSplit()) {
    if (inputs[0].kind == SampleLayout::Kind::BatchSized ||
        llvm::any_of(inputs, [](const SampleLayout &l) { return !l.isShared(); }))
      return nodeError(node, ErrorCode::Unsupported,
                       "it gives data shared by all samples a shape that depends on the run-time "
                       "batch");
    return SampleLayouts(node.getNumOutputs(), SampleLayout::shared());
  }
  llvm::ArrayRef<int64_t> in = node.getInput(0)->getType().getDims();
  llvm::ArrayRef<int64_t> out = node.getOutput(0)->getType().getDims();
  int64_t prefix = 1;
  for (int a = 0; a < inputs[0].axis; ++a) prefix *= in[size_t(a)];
  // The samples' blocks stay whole when an output axis starts at the same row-major offset and
  // its extent still divides into `batch` blocks.
  int64_t outPrefix = 1;
  for (size_t b = 0; b < out.size(); ++b) {
    if (outPrefix == prefix && out[b] % batch == 0 && out[b] > 0)
      return SampleLayouts(node.getNumOutputs(), SampleLayout::split(int(b)));
    outPrefix *= out[b];
    if (outPrefix > prefix) break;
  }
  return nodeError(node, ErrorCode::Unsupported,
                   "its result interleaves the samples of the run-time batch");
}

llvm::Error expectNotSplitAlong(const Node &node, const SampleLayout &input, int axis,
                                llvm::StringRef what) {
  if (input.isSplit() && input.axis == axis)
    return nodeError(node, ErrorCode::Unsupported,
                     what + " is the axis that holds the samples of the run-time batch");
  if (input.kind == SampleLayout::Kind::BatchSized)
    return nodeError(node, ErrorCode::Unsupported,
                     "its input is computed from the run-time batch size");
  return llvm::Error::success();
}

} // namespace spcc
