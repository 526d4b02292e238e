//===- SparsePlanning.cpp - Which nodes are sparse products, and how -----===//
#include "backends/common/sparse/SparsePlanning.h"

#include "compiler/ops/FusedEpilogue.h"
#include "compiler/ops/SpatialWindow.h"

#include <vector>

namespace spcc {
namespace {

/// A [rows, cols] float constant as the CSR of its transpose, each value times \p scale.
SparseTensor transposedCsr(const Tensor &w, float scale) {
  int64_t rows = w.getDims()[0], cols = w.getDims()[1];
  Tensor t(TensorType(DType::Float32, {cols, rows}));
  auto in = w.getData<float>();
  auto out = t.getMutableData<float>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[size_t(j * rows + i)] = in[size_t(i * cols + j)] * scale;
  return SparseTensor::fromDense(t);
}

bool isFloatConstant(const Value *v, int64_t rank) {
  return v && v->isConstant() && v->getType().getDType() == DType::Float32 &&
         v->getType().getRank() == rank;
}

/// Moves a fused node's residual and activation into the generated epilogue; false when the
/// layer cannot apply them (other Clip bounds than ReLU6's; a residual for a result staged in
/// another layout than transposed, or followed by an activation when it is transposed).
bool moveEpilogueIntoLayer(const Node &node, SparseLayer &layer) {
  auto activation = fusedActivationOf(node);
  if (!activation) {
    llvm::consumeError(activation.takeError());
    return false;
  }
  SparseEpilogue &epilogue = layer.spec.epilogue;
  // The generated clamp is ReLU6's: other bounds stay on the dense kernels.
  if (activation->kind == FusedActivation::Kind::Clip &&
      (activation->min != 0.0f || activation->max != 6.0f))
    return false;
  epilogue.activation = *activation;
  if (node.getInput(3)) {
    layer.readsResidual = true;
    if (layer.params.c_layout == SPCC_SPARSE_C_DIRECT)
      epilogue.residual = true;
    else if (layer.params.c_layout != SPCC_SPARSE_C_TRANSPOSED ||
             epilogue.activation.kind != FusedActivation::Kind::None)
      return false;
  }
  return true;
}

std::optional<SparseLayer> planConv(const Node &node) {
  const Value *x = node.getInput(0), *w = node.getInput(1), *b = node.getInput(2);
  if (x->getType().getRank() != 4 || x->getType().getDims()[0] < 1 || !isFloatConstant(w, 4) ||
      node.getInt("group", 1) != 1 || (b && !isFloatConstant(b, 1)))
    return std::nullopt;
  llvm::ArrayRef<int64_t> xd = x->getType().getDims(), wd = w->getType().getDims();
  auto window = resolveSpatialWindow(node, xd.drop_front(2), wd.drop_front(2), false);
  if (!window) {
    llvm::consumeError(window.takeError());
    return std::nullopt;
  }
  if (window->dilations[0] != 1 || window->dilations[1] != 1 ||
      window->strides[0] != window->strides[1])
    return std::nullopt;
  ConvGeometry g{xd[1],
                 xd[2],
                 xd[3],
                 wd[2],
                 wd[3],
                 window->strides[0],
                 window->padsBegin[0],
                 window->padsBegin[1],
                 window->padsEnd[0],
                 window->padsEnd[1]};
  if (g.outH() != window->outDims[0] || g.outW() != window->outDims[1]) return std::nullopt;
  // The launch fills stride x stride phase planes of the padded input: a layer whose planes
  // would be no tensor spcc can hold stays dense.
  PhasePlaneShape shape = phasePlaneShape(g);
  TensorType planes(DType::Float32, {g.stride, g.stride, g.inChannels, shape.height, shape.width});
  if (!planes.hasRepresentableSize()) return std::nullopt;
  std::vector<float> bias;
  if (b)
    bias.assign(b->getConstant().getData<float>().begin(), b->getConstant().getData<float>().end());
  SparseLayer layer = planConvolution(w->getConstant(), g, std::move(bias));
  runOverImages(layer, xd[0]);
  if (!moveEpilogueIntoLayer(node, layer)) return std::nullopt;
  return layer;
}

/// Y[rows, M] = X[..., K] * W + bias for a MatMul or Gemm with constant weights.
std::optional<SparseLayer> planLinear(const Node &node) {
  const Value *x = node.getInput(0), *w = node.getInput(1);
  if (x->getType().getDType() != DType::Float32 || x->getType().getRank() < 2 ||
      !isFloatConstant(w, 2))
    return std::nullopt;
  bool gemm = node.getOpType() == "Gemm";
  if (gemm && node.getInt("transA", 0) != 0) return std::nullopt;
  bool transB = gemm && node.getInt("transB", 0) != 0;
  float alpha = gemm ? node.getFloat("alpha", 1.0f) : 1.0f;
  int64_t rows = x->getType().getNumElements() / x->getType().getDims().back();
  SparseTensor a;
  if (transB) {
    Tensor scaled(w->getType(), w->getConstant().getBytes());
    for (float &v : scaled.getMutableData<float>()) v *= alpha;
    a = SparseTensor::fromDense(scaled);
  } else {
    a = transposedCsr(w->getConstant(), alpha);
  }
  std::vector<float> bias;
  if (node.getOpType() == "FusedMatMul" && node.getInput(2)) {
    const Value *b = node.getInput(2);
    if (!isFloatConstant(b, 1)) return std::nullopt;
    bias.assign(b->getConstant().getData<float>().begin(), b->getConstant().getData<float>().end());
  }
  if (const Value *c = gemm ? node.getInput(2) : nullptr) {
    // Only a bias along the output features: C of [M], [1, M] or a scalar.
    if (!c->isConstant() || c->getType().getNumElements() != a.getRows()) {
      if (!c->isConstant() || c->getType().getNumElements() != 1) return std::nullopt;
    }
    llvm::ArrayRef<int64_t> cd = c->getType().getDims();
    if (c->getType().getRank() == 2 && cd[0] != 1) return std::nullopt;
    float beta = node.getFloat("beta", 1.0f);
    auto values = c->getConstant().getData<float>();
    for (int64_t i = 0; i < a.getRows(); ++i)
      bias.push_back(beta * values[values.size() == 1 ? 0 : size_t(i)]);
  }
  SparseLayer layer = planTransposedProduct(std::move(a), rows, std::move(bias));
  if (!moveEpilogueIntoLayer(node, layer)) return std::nullopt;
  return layer;
}

} // namespace

std::optional<SparseLayer> planSparseLayer(const Node &node) {
  if (node.getOpType() == "Conv" || node.getOpType() == "FusedConv") return planConv(node);
  if (node.getOpType() == "MatMul" || node.getOpType() == "FusedMatMul" ||
      node.getOpType() == "Gemm")
    return planLinear(node);
  return std::nullopt;
}

} // namespace spcc
