//===- Attention.cpp - Scaled dot-product attention as one op ------------===//
//
// FusedAttention is spcc's own op (the fuse-attention pass makes it): per batch b and head h,
//   O[b, :, h, :] = Softmax(scale * Q[b, :, h, :] * K[b, :, h, :]^T + mask[b, h]) * V[b, :, h, :]
// with Q [B, Sq, H, D], K [B, Sk, H, D], V [B, Sk, H, Dv] and O [B, Sq, H, Dv]: the layout the
// projections produce before exporters transpose heads out, so no transposes remain. The
// optional mask (input 3) broadcasts to [B, H, Sq, Sk].
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <cmath>

namespace spcc {
namespace {

class FusedAttentionOp : public OpSchema {
public:
  FusedAttentionOp() : OpSchema("FusedAttention", 3, 4) {}
  bool isInternal() const override { return true; }

  /// Sequences are independent; a mask holding samples must be [B, H, Sq, Sk].
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    if (inputs.size() > 3 && inputs[3].isSplit() && node.getInput(3)->getType().getRank() != 4)
      return nodeError(node, ErrorCode::Unsupported,
                       "a mask holding the samples of the run-time batch must be [B, H, Sq, Sk]");
    return leadingAxisSampleLayouts(node, inputs, {0, 1, 2, 3});
  }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    for (size_t i = 0; i < node.getNumInputs(); ++i) {
      if (!node.getInput(i)) continue;
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    }
    for (size_t i = 0; i < 3; ++i)
      if (auto err = expectInputRank(node, i, 4)) return std::move(err);
    llvm::ArrayRef<int64_t> q = node.getInput(0)->getType().getDims();
    llvm::ArrayRef<int64_t> k = node.getInput(1)->getType().getDims();
    llvm::ArrayRef<int64_t> v = node.getInput(2)->getType().getDims();
    if (k[0] != q[0] || v[0] != q[0] || k[2] != q[2] || v[2] != q[2] || k[3] != q[3] ||
        v[1] != k[1])
      return nodeError(node, ErrorCode::Shape,
                       "Q " + dimsToString(q) + ", K " + dimsToString(k) + " and V " +
                           dimsToString(v) +
                           " must be [B, Sq, H, D], [B, Sk, H, D] and [B, Sk, H, Dv]");
    if (const Value *mask = node.getInput(3)) {
      llvm::ArrayRef<int64_t> m = mask->getType().getDims();
      Dims scores{q[0], q[2], q[1], k[1]};
      bool fits = m.size() <= 4;
      for (size_t i = 0; fits && i < m.size(); ++i)
        fits = m[i] == 1 || m[i] == scores[4 - m.size() + i];
      if (!fits)
        return nodeError(node, ErrorCode::Shape,
                         "mask " + dimsToString(m) + " does not broadcast to the scores " +
                             dimsToString(scores));
    }
    return TypeList{TensorType(DType::Float32, {q[0], q[1], q[2], v[3]})};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    llvm::ArrayRef<int64_t> qDims = inputs[0].getDims(), vDims = inputs[2].getDims();
    int64_t batch = qDims[0], sq = qDims[1], heads = qDims[2], d = qDims[3];
    int64_t sk = vDims[1], dv = vDims[3];
    float scale = node.getFloat("scale", 1.0f);
    auto q = inputs[0].getData<float>(), k = inputs[1].getData<float>();
    auto v = inputs[2].getData<float>();
    // The mask's element for each score [b, h, i, j] (empty: no mask).
    const float *mask = nullptr;
    std::vector<int64_t> maskIndex;
    if (inputs.size() > 3 && !inputs[3].isNull()) {
      mask = inputs[3].getData<float>().data();
      maskIndex = broadcastOffsets({batch, heads, sq, sk}, inputs[3].getDims());
    }
    Tensor out(node.getOutput(0)->getType());
    auto o = out.getMutableData<float>();
    std::vector<double> scores(static_cast<size_t>(sk));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < sq; ++i) {
          const float *qRow = &q[size_t(((b * sq + i) * heads + h) * d)];
          double max = -INFINITY;
          for (int64_t j = 0; j < sk; ++j) {
            const float *kRow = &k[size_t(((b * sk + j) * heads + h) * d)];
            double dot = 0;
            for (int64_t e = 0; e < d; ++e) dot += double(qRow[e]) * kRow[e];
            double s = double(scale) * dot;
            if (mask) s += mask[maskIndex[size_t(((b * heads + h) * sq + i) * sk + j)]];
            scores[size_t(j)] = s;
            max = std::max(max, s);
          }
          double sum = 0;
          for (double &s : scores) sum += (s = std::exp(s - max));
          float *oRow = &o[size_t(((b * sq + i) * heads + h) * dv)];
          for (int64_t e = 0; e < dv; ++e) {
            double acc = 0;
            for (int64_t j = 0; j < sk; ++j)
              acc += scores[size_t(j)] * v[size_t(((b * sk + j) * heads + h) * dv + e)];
            oRow[e] = float(acc / sum);
          }
        }
    return TensorList{out};
  }
};

} // namespace

std::unique_ptr<OpSchema> createFusedAttentionSchema() {
  return std::make_unique<FusedAttentionOp>();
}

} // namespace spcc
