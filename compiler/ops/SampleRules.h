//===- SampleRules.h - Shared sample rules for a run-time batch ----------===//
//
// Building blocks of OpSchema::inferSampleLayouts. A graph compiled with a run-time batch runs
// once per sample, which is right only where no output element depends on two samples; each
// op proves that for its own semantics with these rules.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_SAMPLERULES_H
#define SPCC_OPS_SAMPLERULES_H

#include "compiler/ops/OpSchema.h"

namespace spcc {

/// The rule of elementwise ops with ONNX broadcasting: split inputs must split along the same
/// output axis (inputs aligned to the right), where shared inputs broadcast (dim 1 or absent).
/// Every output splits along that axis.
llvm::Expected<SampleLayouts> elementwiseSampleLayouts(const Node &node,
                                                       llvm::ArrayRef<SampleLayout> inputs);

/// The rule of ops that treat dim 0 as independent images or sequences (Conv, pooling, batch
/// normalization): inputs listed in \p splittable may split along axis 0, the others must be
/// shared; every output splits along axis 0.
llvm::Expected<SampleLayouts> leadingAxisSampleLayouts(const Node &node,
                                                       llvm::ArrayRef<SampleLayout> inputs,
                                                       llvm::ArrayRef<size_t> splittable);

/// The rule of ops that only reinterpret dims (Reshape, Flatten, Squeeze, Unsqueeze): data
/// split along axis a keeps each sample's block if some output axis starts at the same
/// row-major prefix and holds a multiple of \p batch. Inputs after the first may be shared or
/// batch-sized shape data.
llvm::Expected<SampleLayouts>
reshapeSampleLayouts(const Node &node, llvm::ArrayRef<SampleLayout> inputs, int64_t batch);

/// Fails where \p input, an input of \p node, holds the samples along \p axis or is data
/// computed from the batch size; \p what names the axis in the message ("the softmax axis").
llvm::Error expectNotSplitAlong(const Node &node, const SampleLayout &input, int axis,
                                llvm::StringRef what);

/// Base of elementwise ops (unary, broadcasting binary, Where, Cast): their sample rule is
/// elementwiseSampleLayouts.
class ElementwiseOpSchema : public OpSchema {
public:
  using OpSchema::OpSchema;
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return elementwiseSampleLayouts(node, inputs);
  }
};

} // namespace spcc

#endif
