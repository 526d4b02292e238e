//===- SpatialWindow.h - Sliding-window geometry of Conv and pooling -----===//
//
// Conv, MaxPool and AveragePool slide a window over the spatial axes of an NC... input. This
// header resolves their shared ONNX attributes (strides, dilations, pads, auto_pad, ceil_mode)
// into explicit per-axis numbers and the output extent, so each op's file only adds its own
// checks and its arithmetic.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_SPATIALWINDOW_H
#define SPCC_OPS_SPATIALWINDOW_H

#include "compiler/ops/OpHelpers.h"

#include <array>

namespace spcc {

/// A window walking the spatial axes of an input, with every padding rule resolved. Each vector
/// has one entry per spatial axis; all extents are in elements.
struct SpatialWindow {
  Dims kernel;    ///< Window extent in taps (before dilation).
  Dims strides;   ///< Step between neighbouring windows, >= 1.
  Dims dilations; ///< Step between neighbouring taps, >= 1.
  Dims padsBegin; ///< Implicit padding before the input (explicit or derived from auto_pad).
  Dims padsEnd;   ///< Implicit padding after the input.
  Dims outDims;   ///< Output extent, >= 1.
};

/// Reads the ints attribute \p key of \p count entries (\p dflt each when absent), each in
/// [\p min, kMaxTensorElements]; fails with BadModel naming the attribute otherwise.
llvm::Expected<Dims> readPerAxis(const Node &node, const std::string &key, size_t count,
                                 int64_t dflt, int64_t min);

/// The number of spatial axes of input \p index, laid out N, C, spatial...: fails with Shape
/// below rank 3 and with Unsupported above rank 5 (more than three spatial axes).
llvm::Expected<int> spatialRankOf(const Node &node, size_t index);

/// Reads `strides`, `dilations`, `pads`, `auto_pad` and, if \p allowCeilMode, `ceil_mode` of
/// \p node and computes the window for an input of spatial extent \p inSpatial and a kernel of
/// \p kernel taps, with ONNX's output-size formulas. Fails with BadModel for malformed attributes
/// and with Shape when an output extent would be below 1.
llvm::Expected<SpatialWindow> resolveSpatialWindow(const Node &node,
                                                   llvm::ArrayRef<int64_t> inSpatial,
                                                   llvm::ArrayRef<int64_t> kernel,
                                                   bool allowCeilMode);

/// A window over one to three spatial axes widened to exactly three by prepending unit axes
/// (extent 1, kernel 1, stride 1, dilation 1, no padding), so evaluators need one loop nest.
struct Window3D {
  std::array<int64_t, 3> in, out, kernel, stride, dilation, padBegin;
};

/// \p window for an input of spatial extent \p inSpatial (1 to 3 axes) as a Window3D.
Window3D toWindow3D(const SpatialWindow &window, llvm::ArrayRef<int64_t> inSpatial);

} // namespace spcc

#endif
