//===- FeatureMajor.h - Dense kernels that take activations transposed ---===//
//
// A sparse product computes feature-major: its activations are [features, rows], the
// transpose of ONNX's token-major [rows, features] (LayoutSelection.h). Some dense kernels
// read and write that layout too, so the values between sparse products need no transposes:
// this says which (lowerToKernelCall's KernelLayout then asks for it).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_FEATUREMAJOR_H
#define SPCC_BACKENDS_FEATUREMAJOR_H

#include "backends/common/KernelLowering.h"

#include <optional>

namespace spcc {

/// The activations a node's dense kernel can exchange feature-major. A value stored
/// feature-major with `rows` rows holds element r * (size / rows) + f at f * rows + r.
struct FeatureMajorSlots {
  /// Per input, the rows it is stored with when feature-major (0: token-major only).
  std::vector<int64_t> inputRows;
  /// Output 0's rows when feature-major.
  int64_t outputRows = 0;
  /// The inputs with rows and the output take one layout together; otherwise the inputs
  /// together and the output on its own.
  bool tied = false;
};

/// The slots of \p node's kernel, or nothing when it works token-major only (LayerNormalization
/// with one output and FusedAttention have them).
std::optional<FeatureMajorSlots> featureMajorSlots(const Node &node);

} // namespace spcc

#endif
