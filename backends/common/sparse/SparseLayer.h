//===- SparseLayer.h - A sparse layer as one generated product plus glue ===//
#ifndef SPCC_BACKENDS_COMMON_SPARSELAYER_H
#define SPCC_BACKENDS_COMMON_SPARSELAYER_H

#include "backends/common/sparse/SparseKernelSpec.h"
#include "compiler/ir/Tensor.h"
#include "runtime/kernels/SparseParams.h"

#include "llvm/Support/Error.h"

namespace spcc {

/// The product a layer's generated task computes, and the launch parameters that turn the
/// layer's tensors into that product's B and C (spcc_kernel_sparse). params.task and
/// params.tile_work_prefix stay null until code exists for it.
struct SparseLayer {
  SparseKernelSpec spec;
  spcc_sparse_params params{};
  /// The launch passes the node's residual (input 3): the generated epilogue adds it when C is
  /// the output itself, the transpose back adds it when C is staged transposed.
  bool readsResidual = false;

  /// Floats of one image of the layer's input and output tensors.
  int64_t inputFloats() const;
  int64_t outputFloats() const;
  /// Images the layer runs over (params.images, at least 1).
  int64_t images() const { return params.images > 1 ? params.images : 1; }
  /// What its code depends on besides the weights and spec.bRowOffsets (where each column of A
  /// reads B): A's rows and columns, n, ldc, the B and C layouts, the images, and the
  /// epilogue's bias length, residual and activation.
  std::vector<int64_t> shapeFields() const;
};

/// A transposed product (planTransposedProduct) that reads its input already feature-major
/// ([channels, rows], what it would transpose it to) and / or leaves its result feature-major
/// ([m, rows]) for a reader that wants it so; a residual then comes feature-major too. Call it
/// before the layer's code is generated.
void keepFeatureMajor(SparseLayer &layer, bool input, bool output);

/// Geometry of a 2-D convolution over one image (NCHW), dilation 1, one group.
struct ConvGeometry {
  int64_t inChannels = 0, inH = 0, inW = 0;
  int64_t kernelH = 1, kernelW = 1, stride = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int64_t outH() const { return (inH + padTop + padBottom - kernelH) / stride + 1; }
  int64_t outW() const { return (inW + padLeft + padRight - kernelW) / stride + 1; }
};

/// Rows and columns of each phase plane a convolution reads (SPCC_SPARSE_B_PHASE_PLANES).
struct PhasePlaneShape {
  int64_t height = 0, width = 0;
  /// Whether the layer computes its output rows only (OutputRowPositions): output rows of whole
  /// vectors, plane rows widened to whole vectors.
  bool outputRows = false;
};
PhasePlaneShape phasePlaneShape(const ConvGeometry &geometry);

/// C[m x n] = A * B, B [k x n] and C row-major as given.
SparseLayer planMatrixProduct(SparseTensor a, int64_t n);

/// Y[Cout, outH, outW] = conv(X[Cin, inH, inW], W[Cout, Cin, kh, kw]) + bias: a 1x1 stride-1
/// unpadded convolution reads X directly; others read zero-padded phase planes (one per
/// stride phase) in which every tap of every output is at a fixed offset.
SparseLayer planConvolution(const Tensor &weights, const ConvGeometry &geometry,
                            std::vector<float> bias);

/// Runs a convolution's layer over \p images images (NCHW, one after another): the product,
/// its tuning and its code stay those of one image.
void runOverImages(SparseLayer &layer, int64_t images);

/// Y[rows, M] = X[rows, K] * W[K, M] + bias, with W given as A = W^T [M, K]: computed
/// feature-major on transposed copies.
SparseLayer planTransposedProduct(SparseTensor a, int64_t rows, std::vector<float> bias);

} // namespace spcc

#endif
