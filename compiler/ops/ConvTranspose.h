//===- ConvTranspose.h - Transposed convolution geometry -----------------===//
//
// ConvTranspose scatters each input element through the kernel: with X [N, C, in...],
// W [C, M/group, k...], output position o = i * stride + k * dilation - padBegin. Its schema
// (ConvTranspose.cpp) evaluates that directly; the expand-conv-transpose pass rewrites it as a
// Conv over the zero-upsampled input with the flipped, transposed kernel, so the backends run
// it with their convolutions (generated sparse code for a pruned kernel).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_CONVTRANSPOSE_H
#define SPCC_OPS_CONVTRANSPOSE_H

#include "compiler/ir/Node.h"
#include "compiler/ops/OpHelpers.h"

#include "llvm/Support/Error.h"

namespace spcc {

/// A ConvTranspose node's geometry, one entry per spatial axis, every padding rule resolved.
struct ConvTransposeGeometry {
  Dims in, kernel, strides, dilations, padsBegin, padsEnd, outputPadding, out;
  int64_t group = 1;
};

/// Checks \p node's inputs and attributes (`strides`, `dilations`, `pads`, `auto_pad`,
/// `output_padding`, `output_shape`, `group`, `kernel_shape`) and computes its geometry.
llvm::Expected<ConvTransposeGeometry> resolveConvTransposeGeometry(const Node &node);

} // namespace spcc

#endif
