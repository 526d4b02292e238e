//===- SparseLayer.cpp - A sparse layer as one generated product plus glue ===//
#include "backends/common/sparse/SparseLayer.h"

#include "runtime/kernels/SparseWorkspace.h"

#include <algorithm>
#include <cassert>

namespace spcc {
namespace {

/// Floats in the widest vector of any x86 kernel level (and in a cache line).
constexpr int64_t kWidestVector = 16;

int64_t wholeVectors(int64_t floats) {
  return (floats + kWidestVector - 1) / kWidestVector * kWidestVector;
}

/// Rows of C padded to whole cache lines when C is staged.
int64_t paddedRow(int64_t n) { return wholeVectors(n); }

void finish(SparseLayer &layer) {
  layer.params.m = layer.spec.weights.getRows();
  layer.params.n = layer.spec.n;
  layer.params.ldc = layer.spec.ldc;
  layer.params.workspace_floats =
      kernels::sparseBFloats(layer.params) + kernels::sparseCFloats(layer.params);
}

/// Positions of C for a convolution computed over rows of \p planeW positions.
int64_t compactedPositions(const ConvGeometry &g, int64_t planeW) {
  return paddedRow((g.outH() - 1) * planeW + g.outW());
}

} // namespace

PhasePlaneShape phasePlaneShape(const ConvGeometry &g) {
  int64_t s = g.stride;
  int64_t paddedH = g.inH + g.padTop + g.padBottom, paddedW = g.inW + g.padLeft + g.padRight;
  PhasePlaneShape separate = {(paddedH + s - 1) / s, (paddedW + s - 1) / s};
  // Output rows of whole vectors are computed alone, each vector from the aligned start of its
  // plane row on: no position past a row's end is computed and thrown away, and no output is
  // packed before it is stored (ResNet-50's 7x7 stem: 12544 positions for 12544 outputs, not
  // 112 rows of 115). The plane rows, widened to whole vectors, take more zeros to fill.
  if (g.outW() % kWidestVector == 0 && separate.width > g.outW())
    return {separate.height, wholeVectors(separate.width), true};
  if (s != 1 || std::min(g.padLeft, g.padRight) == 0) return separate;
  // A tap past a row's last column reads the next row's first ones, which are its left
  // padding: the rows need only the wider of the two paddings, and one zero row more below
  // for the last row's taps. Taken where it saves whole vectors of positions (a 7x7 layer at
  // 14x14: rows of 17 positions instead of 20, 240 computed instead of 288 for 196 outputs);
  // elsewhere the rows keep both paddings, which leaves more of the taps' loads aligned.
  PhasePlaneShape shared = {paddedH + 1, g.inW + std::max(g.padLeft, g.padRight)};
  if (compactedPositions(g, shared.width) < compactedPositions(g, separate.width)) return shared;
  return separate;
}

std::vector<int64_t> SparseLayer::shapeFields() const {
  return {spec.weights.getRows(),
          spec.weights.getCols(),
          spec.n,
          spec.ldc,
          params.b_layout,
          params.c_layout,
          images(),
          int64_t(spec.epilogue.bias.size()),
          spec.epilogue.residual,
          int64_t(spec.epilogue.activation.kind)};
}

int64_t SparseLayer::inputFloats() const {
  switch (params.b_layout) {
  case SPCC_SPARSE_B_PHASE_PLANES: return params.channels * params.in_h * params.in_w;
  case SPCC_SPARSE_B_TRANSPOSED: return params.channels * params.n;
  default: return spec.weights.getCols() == 0 ? 0 : spec.bRowOffsets.back() + spec.n;
  }
}

int64_t SparseLayer::outputFloats() const {
  if (params.c_layout == SPCC_SPARSE_C_COMPACT_ROWS) return params.m * params.out_h * params.out_w;
  return params.m * params.n;
}

SparseLayer planMatrixProduct(SparseTensor a, int64_t n) {
  SparseLayer layer;
  for (int64_t j = 0; j < a.getCols(); ++j) layer.spec.bRowOffsets.push_back(j * n);
  layer.spec.weights = std::move(a);
  layer.spec.n = n;
  layer.spec.ldc = n;
  layer.params.b_layout = SPCC_SPARSE_B_DIRECT;
  layer.params.c_layout = SPCC_SPARSE_C_DIRECT;
  finish(layer);
  return layer;
}

SparseLayer planConvolution(const Tensor &weights, const ConvGeometry &g, std::vector<float> bias) {
  SparseLayer layer;
  layer.spec.weights = SparseTensor::fromDense(weights);
  layer.spec.epilogue.bias = std::move(bias);
  spcc_sparse_params &p = layer.params;
  int64_t outH = g.outH(), outW = g.outW(), s = g.stride;
  bool pointwise = g.kernelH == 1 && g.kernelW == 1 && s == 1 && g.padTop == 0 && g.padLeft == 0 &&
                   g.padBottom == 0 && g.padRight == 0;
  if (pointwise) {
    for (int64_t c = 0; c < g.inChannels; ++c) layer.spec.bRowOffsets.push_back(c * g.inH * g.inW);
    layer.spec.n = layer.spec.ldc = g.inH * g.inW;
    p.b_layout = SPCC_SPARSE_B_DIRECT;
    p.c_layout = SPCC_SPARSE_C_DIRECT;
    finish(layer);
    return layer;
  }
  auto [planeH, planeW, outputRows] = phasePlaneShape(g);
  int64_t planeSize = planeH * planeW;
  // Tap (c, kh, kw) of output (y, x) is padded pixel (s*y + kh, s*x + kw): phase plane
  // (kh % s, kw % s), row y + kh / s, column x + kw / s.
  for (int64_t c = 0; c < g.inChannels; ++c)
    for (int64_t kh = 0; kh < g.kernelH; ++kh)
      for (int64_t kw = 0; kw < g.kernelW; ++kw)
        layer.spec.bRowOffsets.push_back(((kh % s) * s + kw % s) * g.inChannels * planeSize +
                                         c * planeSize + (kh / s) * planeW + kw / s);
  p.b_layout = SPCC_SPARSE_B_PHASE_PLANES;
  p.channels = g.inChannels;
  p.in_h = g.inH;
  p.in_w = g.inW;
  p.pad_top = g.padTop;
  p.pad_left = g.padLeft;
  p.stride = s;
  p.plane_h = planeH;
  p.plane_w = planeW;
  p.kernel_h = g.kernelH;
  p.kernel_w = g.kernelW;
  p.out_h = outH;
  p.out_w = outW;
  if (planeW == outW || outputRows) {
    // Output rows are whole plane rows, or the start of each: C is the output.
    layer.spec.n = layer.spec.ldc = outH * outW;
    if (outputRows) layer.spec.outputRows = {outW, planeW};
    p.c_layout = SPCC_SPARSE_C_DIRECT;
  } else {
    // Positions y * planeW + x, padded to whole vectors (masked vectors cost more than the
    // few positions computed in vain); the task stores the columns x < outW to the output.
    layer.spec.n = layer.spec.ldc = compactedPositions(g, planeW);
    layer.spec.compacted = {planeW, outW, outH * outW};
    p.c_layout = SPCC_SPARSE_C_COMPACT_ROWS;
  }
  finish(layer);
  return layer;
}

void runOverImages(SparseLayer &layer, int64_t images) {
  layer.params.images = images;
  layer.params.image_in_floats = layer.inputFloats();
  layer.params.image_out_floats = layer.outputFloats();
}

SparseLayer planTransposedProduct(SparseTensor a, int64_t rows, std::vector<float> bias) {
  SparseLayer layer;
  for (int64_t j = 0; j < a.getCols(); ++j) layer.spec.bRowOffsets.push_back(j * rows);
  layer.params.channels = a.getCols();
  layer.spec.weights = std::move(a);
  layer.spec.epilogue.bias = std::move(bias);
  layer.spec.n = layer.spec.ldc = rows;
  layer.params.b_layout = SPCC_SPARSE_B_TRANSPOSED;
  layer.params.c_layout = SPCC_SPARSE_C_TRANSPOSED;
  finish(layer);
  return layer;
}

void keepFeatureMajor(SparseLayer &layer, bool input, bool output) {
  assert(layer.params.b_layout == SPCC_SPARSE_B_TRANSPOSED &&
         layer.params.c_layout == SPCC_SPARSE_C_TRANSPOSED && "not a transposed product");
  // The generated code is the same: B's rows and C's rows are where they were in the
  // workspace, now in the input and output themselves. A residual, which the transpose back
  // would add, is then feature-major too, and the generated epilogue adds it.
  if (input) layer.params.b_layout = SPCC_SPARSE_B_DIRECT;
  if (output) layer.params.c_layout = SPCC_SPARSE_C_DIRECT;
  if (output && layer.readsResidual) layer.spec.epilogue.residual = true;
  finish(layer);
}

} // namespace spcc
