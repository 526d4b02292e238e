//===- MatMul.cpp - Matrix products: MatMul and Gemm ---------------------===//
#include "compiler/ops/FusedEpilogue.h"
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

namespace spcc {
namespace {

/// c[m,n] += a[m,k] * b[k,n]; all three row-major and contiguous. The i-k-j order keeps the
/// innermost loop on contiguous rows of b and c.
void matmulAccumulate(const float *a, const float *b, float *c, int64_t m, int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    float *cRow = c + i * n;
    for (int64_t p = 0; p < k; ++p) {
      float av = a[i * k + p];
      const float *bRow = b + p * n;
      for (int64_t j = 0; j < n; ++j) cRow[j] += av * bRow[j];
    }
  }
}

/// \p src [rows, cols] row-major, transposed into [cols, rows].
std::vector<float> transposed(llvm::ArrayRef<float> src, int64_t rows, int64_t cols) {
  std::vector<float> dst(src.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[size_t(c * rows + r)] = src[size_t(r * cols + c)];
  return dst;
}

/// The operands of a numpy matmul seen as batches of matrices: 1-D operands promoted (A to
/// [1,K], B to [K,1]) and batch dims broadcast.
struct MatMulShape {
  Dims aBatch, bBatch, outBatch;
  int64_t m = 0, k = 0, n = 0;
  /// The output dims, without the promoted unit dims of 1-D operands.
  Dims outDims;
};

llvm::Expected<MatMulShape> matmulShape(const Node &node) {
  llvm::ArrayRef<int64_t> a = node.getInput(0)->getType().getDims();
  llvm::ArrayRef<int64_t> b = node.getInput(1)->getType().getDims();
  if (a.empty() || b.empty())
    return nodeError(node, ErrorCode::Shape,
                     "inputs must have rank >= 1, got " + dimsToString(a) + " and " +
                         dimsToString(b));
  MatMulShape s;
  s.m = a.size() >= 2 ? a[a.size() - 2] : 1;
  s.k = a.back();
  int64_t bk = b.size() >= 2 ? b[b.size() - 2] : b[0];
  s.n = b.size() >= 2 ? b.back() : 1;
  if (s.k != bk)
    return nodeError(node, ErrorCode::Shape,
                     "inner dims do not match: " + dimsToString(a) + " x " + dimsToString(b));
  if (a.size() > 2) s.aBatch.assign(a.begin(), a.end() - 2);
  if (b.size() > 2) s.bBatch.assign(b.begin(), b.end() - 2);
  auto batch = broadcastShapes(node, s.aBatch, s.bBatch);
  if (!batch) {
    llvm::consumeError(batch.takeError());
    return nodeError(node, ErrorCode::Shape,
                     "batch dims of " + dimsToString(a) + " and " + dimsToString(b) +
                         " do not broadcast");
  }
  s.outBatch = *batch;
  s.outDims = s.outBatch;
  if (a.size() >= 2) s.outDims.push_back(s.m);
  if (b.size() >= 2) s.outDims.push_back(s.n);
  return s;
}

/// MatMul with numpy semantics on float32.
class MatMulOp : public OpSchema {
public:
  MatMulOp() : OpSchema("MatMul", 2, 2) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    for (size_t i = 0; i < 2; ++i)
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    auto shape = matmulShape(node);
    if (!shape) return shape.takeError();
    return TypeList{TensorType(DType::Float32, shape->outDims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    auto shape = matmulShape(node);
    if (!shape) return shape.takeError();
    const MatMulShape &s = *shape;
    Tensor out(node.getOutput(0)->getType());
    // Index of each output batch's matrix in A and in B.
    std::vector<int64_t> aIndex = broadcastOffsets(s.outBatch, s.aBatch);
    std::vector<int64_t> bIndex = broadcastOffsets(s.outBatch, s.bBatch);
    const float *a = inputs[0].getData<float>().data();
    const float *b = inputs[1].getData<float>().data();
    float *c = out.getMutableData<float>().data();
    for (size_t batch = 0; batch < aIndex.size(); ++batch)
      matmulAccumulate(a + aIndex[batch] * s.m * s.k, b + bIndex[batch] * s.k * s.n,
                       c + int64_t(batch) * s.m * s.n, s.m, s.k, s.n);
    return TensorList{out};
  }

  /// Rows of A and columns of B are independent, and so are the matrices of a stack: the
  /// samples may lie along any axis but the reduction, as long as both operands agree.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    int ra = node.getInput(0)->getType().getRank(), rb = node.getInput(1)->getType().getRank();
    int outRank = node.getOutput(0)->getType().getRank();
    int outBatchRank = outRank - (ra >= 2) - (rb >= 2);
    auto refuse = [&](const llvm::Twine &why) {
      return nodeError(node, ErrorCode::Unsupported, why);
    };
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].kind == SampleLayout::Kind::BatchSized)
        return refuse("input " + llvm::Twine(i) + " is computed from the run-time batch size");
    // The output axis each operand's split axis becomes; -1 for the reduction axis.
    auto outAxisOfA = [&](int a) {
      if (a == ra - 1) return -1;
      return a == ra - 2 ? outBatchRank : outBatchRank - (ra - 2) + a;
    };
    auto outAxisOfB = [&](int b) {
      if (rb == 1 || b == rb - 2) return -1;
      return b == rb - 1 ? outBatchRank + (ra >= 2) : outBatchRank - (rb - 2) + b;
    };
    std::optional<int> axis;
    for (int operand = 0; operand < 2; ++operand) {
      if (!inputs[size_t(operand)].isSplit()) continue;
      int mapped = operand == 0 ? outAxisOfA(inputs[0].axis) : outAxisOfB(inputs[1].axis);
      if (mapped < 0)
        return refuse(llvm::Twine(operand == 0 ? "A" : "B") +
                      " holds the samples of the run-time batch along the reduction axis");
      if (axis && (*axis != mapped || mapped >= outBatchRank))
        return refuse("each output element would combine two samples of the run-time batch");
      axis = mapped;
    }
    if (!axis) return leadingAxisSampleLayouts(node, inputs, {}); // all shared, or refused
    // A shared operand must broadcast along a batch axis the samples lie on.
    for (int operand = 0; operand < 2 && *axis < outBatchRank; ++operand) {
      if (!inputs[size_t(operand)].isShared()) continue;
      int rank = operand == 0 ? ra : rb;
      int own = *axis - (outBatchRank - (rank - 2));
      if (own >= 0 && node.getInput(size_t(operand))->getType().getDims()[size_t(own)] != 1)
        return refuse("a shared operand has as many matrices as the run-time batch");
    }
    // FusedMatMul: the bias is per column, the residual has the output's shape.
    for (size_t i = 2; i < inputs.size(); ++i)
      if (!inputs[i].isShared() && !(i == 3 && inputs[i].axis == *axis))
        return refuse("input " + llvm::Twine(i) + " holds the samples along another axis");
    return SampleLayouts{SampleLayout::split(*axis)};
  }

protected:
  MatMulOp(llvm::StringRef name, int maxInputs) : OpSchema(name, 2, maxInputs) {}
};

/// FusedMatMul (spcc's own, made by the fuse-epilogues pass): MatMul, then the bias (input 2,
/// [N], broadcast along the last axis) and the residual Z (input 3, the output's shape) added,
/// then the activation of its attributes (FusedEpilogue.h).
class FusedMatMulOp : public MatMulOp {
public:
  FusedMatMulOp() : MatMulOp("FusedMatMul", 4) {}
  bool isInternal() const override { return true; }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    auto types = MatMulOp::inferTypes(node, known);
    if (!types) return types.takeError();
    const TensorType &y = (*types)[0];
    if (const Value *bias = node.getInput(2))
      if (bias->getType().getDType() != DType::Float32 || bias->getType().getRank() != 1 ||
          y.getRank() == 0 || bias->getType().getDims()[0] != y.getDims().back())
        return nodeError(node, ErrorCode::Shape,
                         "bias " + bias->getType().str() + " must be one value per column of " +
                             y.str());
    if (llvm::Error err = verifyFusedEpilogue(node, y)) return std::move(err);
    return types;
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    auto out = MatMulOp::evaluate(node, inputs);
    auto activation = fusedActivationOf(node);
    if (!out || !activation) return out ? activation.takeError() : out.takeError();
    Tensor &y = (*out)[0];
    auto values = y.getMutableData<float>();
    if (inputs.size() > 2 && !inputs[2].isNull()) {
      auto bias = inputs[2].getData<float>();
      for (size_t i = 0; i < values.size(); ++i) values[i] += bias[i % bias.size()];
    }
    const float *residual =
        inputs.size() > 3 && !inputs[3].isNull() ? inputs[3].getData<float>().data() : nullptr;
    applyFusedEpilogue(*activation, values.data(), residual, y.getNumElements());
    return out;
  }
};

/// Reads a 0/1 flag attribute.
llvm::Expected<bool> flagAttribute(const Node &node, const std::string &key) {
  int64_t v = node.getInt(key, 0);
  if (v != 0 && v != 1)
    return nodeError(node, ErrorCode::BadModel,
                     "attribute '" + key + "' must be 0 or 1, got " + llvm::Twine(v));
  return v == 1;
}

/// Gemm: Y = alpha * A' * B' + beta * C, with A' = transA ? A^T : A (likewise B'), on 2-D
/// float32 operands; the optional C broadcasts to [M, N].
class GemmOp : public OpSchema {
public:
  GemmOp() : OpSchema("Gemm", 2, 3) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    for (size_t i = 0; i < node.getNumInputs(); ++i) {
      if (!node.getInput(i)) continue;
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    }
    for (size_t i = 0; i < 2; ++i)
      if (auto err = expectInputRank(node, i, 2)) return std::move(err);
    auto transA = flagAttribute(node, "transA");
    if (!transA) return transA.takeError();
    auto transB = flagAttribute(node, "transB");
    if (!transB) return transB.takeError();
    llvm::ArrayRef<int64_t> a = node.getInput(0)->getType().getDims();
    llvm::ArrayRef<int64_t> b = node.getInput(1)->getType().getDims();
    int64_t m = *transA ? a[1] : a[0], ka = *transA ? a[0] : a[1];
    int64_t kb = *transB ? b[1] : b[0], n = *transB ? b[0] : b[1];
    if (ka != kb)
      return nodeError(node, ErrorCode::Shape,
                       "inner dims do not match: A " + dimsToString(a) +
                           (*transA ? " (transposed)" : "") + ", B " + dimsToString(b) +
                           (*transB ? " (transposed)" : ""));
    Dims outDims{m, n};
    if (const Value *c = node.getInput(2)) {
      llvm::ArrayRef<int64_t> cDims = c->getType().getDims();
      bool fits = cDims.size() <= 2;
      for (size_t i = 0; fits && i < cDims.size(); ++i) {
        int64_t target = outDims[2 - cDims.size() + i];
        fits = cDims[i] == 1 || cDims[i] == target;
      }
      if (!fits)
        return nodeError(node, ErrorCode::Shape,
                         "C of shape " + dimsToString(cDims) + " does not broadcast to " +
                             dimsToString(outDims));
    }
    return TypeList{TensorType(DType::Float32, outDims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    bool transA = node.getInt("transA", 0) != 0, transB = node.getInt("transB", 0) != 0;
    float alpha = node.getFloat("alpha", 1.0f), beta = node.getFloat("beta", 1.0f);
    Tensor out(node.getOutput(0)->getType());
    int64_t m = out.getDims()[0], n = out.getDims()[1];
    int64_t k = inputs[0].getDims()[transA ? 0 : 1];
    // Bring both operands to row-major [M,K] x [K,N] for the contiguous kernel.
    std::vector<float> aT, bT;
    const float *a = inputs[0].getData<float>().data();
    const float *b = inputs[1].getData<float>().data();
    if (transA) a = (aT = transposed(inputs[0].getData<float>(), k, m)).data();
    if (transB) b = (bT = transposed(inputs[1].getData<float>(), n, k)).data();
    auto dst = out.getMutableData<float>();
    matmulAccumulate(a, b, dst.data(), m, k, n);
    for (float &v : dst) v *= alpha;
    if (inputs.size() > 2 && !inputs[2].isNull()) {
      auto c = inputs[2].getData<float>();
      std::vector<int64_t> cIndex = broadcastOffsets(out.getDims(), inputs[2].getDims());
      for (size_t i = 0; i < dst.size(); ++i) dst[i] += beta * c[size_t(cIndex[i])];
    }
    return TensorList{out};
  }

  /// Rows of A' are independent: the samples may lie along M.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    int rowAxis = node.getInt("transA", 0) != 0 ? 1 : 0;
    for (size_t i = 1; i < inputs.size(); ++i)
      if (!inputs[i].isShared())
        return nodeError(node, ErrorCode::Unsupported,
                         "only A may hold the samples of the run-time batch");
    if (inputs[0].isShared()) return SampleLayouts{SampleLayout::shared()};
    if (!inputs[0].isSplit() || inputs[0].axis != rowAxis)
      return nodeError(node, ErrorCode::Unsupported,
                       "A holds the samples of the run-time batch along the reduction axis");
    if (const Value *c = node.getInput(2))
      if (c->getType().getRank() == 2 && c->getType().getDims()[0] != 1)
        return nodeError(node, ErrorCode::Unsupported,
                         "C has one row per row of the batch but is shared by every batch size");
    return SampleLayouts{SampleLayout::split(0)};
  }
};

} // namespace

std::unique_ptr<OpSchema> createMatMulSchema() { return std::make_unique<MatMulOp>(); }
std::unique_ptr<OpSchema> createFusedMatMulSchema() { return std::make_unique<FusedMatMulOp>(); }
std::unique_ptr<OpSchema> createGemmSchema() { return std::make_unique<GemmOp>(); }

} // namespace spcc
