//===- Normalization.cpp - Normalizations and softmax --------------------===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <cmath>

namespace spcc {
namespace {

/// BatchNormalization in inference mode: Y = (X - mean) / sqrt(var + epsilon) * scale + B, per
/// channel (axis 1) of X [N, C, D1, ...].
class BatchNormalizationOp : public OpSchema {
public:
  // ONNX allows up to 5 outputs (training statistics); they are rejected with a clear message.
  BatchNormalizationOp() : OpSchema("BatchNormalization", 5, 5, 1, 5) {}

  /// Before opset 9, `spatial` = 0 asked for statistics per element rather than per channel.
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset >= 9 || !node.hasAttribute("spatial")) return llvm::Error::success();
    if (node.getInt("spatial", 1) != 1)
      return nodeError(node, ErrorCode::Unsupported,
                       "spatial = 0 (per-element statistics, opset " + llvm::Twine(opset) +
                           ") is not supported");
    node.removeAttribute("spatial");
    return llvm::Error::success();
  }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (node.getInt("training_mode", 0) != 0)
      return nodeError(node, ErrorCode::Unsupported,
                       "training_mode = 1 is not supported; only inference");
    if (node.getNumOutputs() > 1)
      return nodeError(node, ErrorCode::Unsupported,
                       "has " + llvm::Twine(node.getNumOutputs()) +
                           " outputs; only Y (inference) is supported");
    for (size_t i = 0; i < 5; ++i)
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    if (x.getRank() < 2)
      return nodeError(node, ErrorCode::Shape,
                       "input X must have rank >= 2 ([N, C, ...]), got " + x.str());
    static const char *const names[] = {"X", "scale", "B", "input_mean", "input_var"};
    for (size_t i = 1; i < 5; ++i) {
      const TensorType &param = node.getInput(i)->getType();
      if (param.getRank() != 1 || param.getDim(0) != x.getDim(1))
        return nodeError(node, ErrorCode::Shape,
                         llvm::Twine(names[i]) + " must have shape [" + llvm::Twine(x.getDim(1)) +
                             "] (the channels of X " + x.str() + "), got " + param.str());
    }
    return TypeList{x};
  }

  /// Images are independent.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    float epsilon = node.getFloat("epsilon", 1e-5f);
    const Tensor &x = inputs[0];
    int64_t batch = x.getDims()[0], channels = x.getDims()[1];
    int64_t spatial = channels == 0 || batch == 0 ? 0 : x.getNumElements() / (batch * channels);
    auto scale = inputs[1].getData<float>(), bias = inputs[2].getData<float>();
    auto mean = inputs[3].getData<float>(), var = inputs[4].getData<float>();
    // Y = X * mul + add per channel.
    std::vector<float> mul(static_cast<size_t>(channels)), add(static_cast<size_t>(channels));
    for (size_t c = 0; c < mul.size(); ++c) {
      mul[c] = scale[c] / std::sqrt(var[c] + epsilon);
      add[c] = bias[c] - mean[c] * mul[c];
    }
    Tensor out(x.getType());
    auto src = x.getData<float>();
    auto dst = out.getMutableData<float>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c) {
        size_t base = size_t((n * channels + c) * spatial);
        for (size_t i = base; i < base + size_t(spatial); ++i)
          dst[i] = src[i] * mul[size_t(c)] + add[size_t(c)];
      }
    return TensorList{out};
  }
};

/// LayerNormalization (opset 17): normalizes X over the axes from `axis` on, then applies Scale
/// and the optional B (both broadcast to those axes). Optional outputs Mean and InvStdDev have
/// X's dims with the normalized ones set to 1.
class LayerNormalizationOp : public OpSchema {
public:
  LayerNormalizationOp() : OpSchema("LayerNormalization", 2, 3, 1, 3) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    for (size_t i = 0; i < node.getNumInputs(); ++i) {
      if (!node.getInput(i)) continue;
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    }
    int64_t stashType = node.getInt("stash_type", 1);
    if (stashType != 1)
      return nodeError(node, ErrorCode::Unsupported,
                       "stash_type " + llvm::Twine(stashType) +
                           " is not supported; only 1 (float)");
    const TensorType &x = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), x.getRank());
    if (!axis) return axis.takeError();
    llvm::ArrayRef<int64_t> normDims = x.getDims().drop_front(size_t(*axis));
    static const char *const names[] = {"X", "Scale", "B"};
    for (size_t i = 1; i < node.getNumInputs(); ++i) {
      const Value *param = node.getInput(i);
      if (!param) continue;
      llvm::ArrayRef<int64_t> dims = param->getType().getDims();
      bool fits = dims.size() <= normDims.size();
      for (size_t d = 0; fits && d < dims.size(); ++d)
        fits = dims[d] == 1 || dims[d] == normDims[normDims.size() - dims.size() + d];
      if (!fits)
        return nodeError(node, ErrorCode::Shape,
                         llvm::Twine(names[i]) + " of shape " + dimsToString(dims) +
                             " does not broadcast to the normalized dims " +
                             dimsToString(normDims) + " of X " + x.str());
    }
    TypeList types{x};
    Dims statDims(x.getDims());
    for (size_t d = size_t(*axis); d < statDims.size(); ++d) statDims[d] = 1;
    for (size_t i = 1; i < node.getNumOutputs(); ++i)
      types.push_back(TensorType(DType::Float32, statDims));
    return types;
  }

  /// Rows are normalized independently: the samples may lie along any axis before `axis`.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    int rank = node.getInput(0)->getType().getRank();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), rank);
    if (!axis) return axis.takeError();
    for (size_t i = 1; i < inputs.size(); ++i)
      if (!inputs[i].isShared())
        return nodeError(node, ErrorCode::Unsupported,
                         "its scale and bias must be shared by every sample");
    if (inputs[0].isShared()) return SampleLayouts(node.getNumOutputs(), SampleLayout::shared());
    if (!inputs[0].isSplit() || inputs[0].axis >= *axis)
      return nodeError(node, ErrorCode::Unsupported,
                       "it normalizes over the axis that holds the samples of the run-time batch");
    return SampleLayouts(node.getNumOutputs(), inputs[0]);
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    auto axis = normalizeAxis(node, node.getInt("axis", -1), x.getRank());
    if (!axis) return axis.takeError();
    float epsilon = node.getFloat("epsilon", 1e-5f);
    llvm::ArrayRef<int64_t> normDims = x.getDims().drop_front(size_t(*axis));
    int64_t size = 1;
    for (int64_t d : normDims) size *= d;
    int64_t rows = size == 0 ? 0 : x.getNumElements() / size;
    std::vector<int64_t> scaleIndex = broadcastOffsets(normDims, inputs[1].getDims());
    auto scale = inputs[1].getData<float>();
    bool hasBias = inputs.size() > 2 && !inputs[2].isNull();
    std::vector<int64_t> biasIndex;
    llvm::ArrayRef<float> bias;
    if (hasBias) {
      biasIndex = broadcastOffsets(normDims, inputs[2].getDims());
      bias = inputs[2].getData<float>();
    }

    TensorList outs{Tensor(x.getType())};
    for (size_t i = 1; i < node.getNumOutputs(); ++i)
      outs.push_back(Tensor(node.getOutput(i)->getType()));
    auto src = x.getData<float>();
    auto dst = outs[0].getMutableData<float>();
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = src.data() + r * size;
      double sum = 0;
      for (int64_t j = 0; j < size; ++j) sum += row[j];
      double mean = sum / double(size);
      double sq = 0;
      for (int64_t j = 0; j < size; ++j) sq += (row[j] - mean) * (row[j] - mean);
      double invStdDev = 1.0 / std::sqrt(sq / double(size) + epsilon);
      float *outRow = dst.data() + r * size;
      for (int64_t j = 0; j < size; ++j) {
        float y = float((row[j] - mean) * invStdDev) * scale[size_t(scaleIndex[size_t(j)])];
        outRow[j] = hasBias ? y + bias[size_t(biasIndex[size_t(j)])] : y;
      }
      if (outs.size() > 1) outs[1].getMutableData<float>()[size_t(r)] = float(mean);
      if (outs.size() > 2) outs[2].getMutableData<float>()[size_t(r)] = float(invStdDev);
    }
    return outs;
  }
};

/// Softmax and LogSoftmax along one `axis` (opset 13 semantics; default -1).
class SoftmaxOp : public OpSchema {
public:
  SoftmaxOp(llvm::StringRef name, bool isLog) : OpSchema(name, 1, 1), isLog(isLog) {}

  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    return upgradeCoercedAxis(node, opset);
  }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), x.getRank());
    if (!axis) return axis.takeError();
    return TypeList{x};
  }

  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    auto axis = normalizeAxis(node, node.getInt("axis", -1), node.getInput(0)->getType().getRank());
    if (!axis) return axis.takeError();
    if (auto err = expectNotSplitAlong(node, inputs[0], *axis, "the softmax axis"))
      return std::move(err);
    return SampleLayouts{inputs[0]};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    auto axis = normalizeAxis(node, node.getInt("axis", -1), x.getRank());
    if (!axis) return axis.takeError();
    // View X as [outer, n, inner] with n the softmax axis.
    int64_t outer = 1, n = x.getDims()[size_t(*axis)], inner = 1;
    for (int d = 0; d < *axis; ++d) outer *= x.getDims()[size_t(d)];
    for (int d = *axis + 1; d < x.getRank(); ++d) inner *= x.getDims()[size_t(d)];
    Tensor out(x.getType());
    auto src = x.getData<float>();
    auto dst = out.getMutableData<float>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < inner; ++k) {
        size_t base = size_t(o * n * inner + k), step = size_t(inner);
        // Subtracting the max keeps exp from overflowing.
        float max = -INFINITY;
        for (int64_t j = 0; j < n; ++j) max = std::max(max, src[base + size_t(j) * step]);
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) sum += std::exp(double(src[base + size_t(j) * step] - max));
        double logSum = std::log(sum);
        for (int64_t j = 0; j < n; ++j) {
          size_t i = base + size_t(j) * step;
          double shifted = double(src[i] - max);
          dst[i] = float(isLog ? shifted - logSum : std::exp(shifted) / sum);
        }
      }
    return TensorList{out};
  }

private:
  bool isLog;
};

/// InstanceNormalization(X, scale, B): each [n, c] plane normalized by its own mean and
/// variance, then scale[c] * x + B[c].
class InstanceNormalizationOp : public OpSchema {
public:
  InstanceNormalizationOp() : OpSchema("InstanceNormalization", 3, 3) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    for (size_t i = 0; i < 3; ++i)
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    if (x.getRank() < 3)
      return nodeError(node, ErrorCode::Shape,
                       "input must have rank 3 or more (N, C, spatial axes), got " + x.str());
    for (size_t i = 1; i < 3; ++i)
      if (node.getInput(i)->getType().getDims() != llvm::ArrayRef<int64_t>{x.getDim(1)})
        return nodeError(node, ErrorCode::Shape,
                         "input " + llvm::Twine(i) + " must be [C] = [" + llvm::Twine(x.getDim(1)) +
                             "], got " + node.getInput(i)->getType().str());
    return TypeList{x};
  }

  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    Tensor out(x.getType());
    int64_t channels = x.getDims()[1], planes = x.getDims()[0] * channels;
    int64_t size = planes == 0 ? 0 : x.getNumElements() / planes;
    double epsilon = node.getFloat("epsilon", 1e-5f);
    auto src = x.getData<float>();
    auto scale = inputs[1].getData<float>(), bias = inputs[2].getData<float>();
    auto dst = out.getMutableData<float>();
    for (int64_t p = 0; p < planes; ++p) {
      const float *plane = src.data() + p * size;
      double mean = 0, variance = 0;
      for (int64_t i = 0; i < size; ++i) mean += plane[i];
      mean /= double(size);
      for (int64_t i = 0; i < size; ++i) variance += (plane[i] - mean) * (plane[i] - mean);
      variance /= double(size);
      double inv = 1.0 / std::sqrt(variance + epsilon);
      size_t c = size_t(p % channels);
      for (int64_t i = 0; i < size; ++i)
        dst[size_t(p * size + i)] = float((plane[i] - mean) * inv * scale[c] + bias[c]);
    }
    return TensorList{out};
  }
};

/// GroupNormalization(X, scale, bias) (opsets 18 and 21): the C channels of each sample split
/// into num_groups groups, each group's [C / G, spatial...] values normalized by their mean and
/// variance, then scale and bias applied per channel ([C], opset 21) or per group ([G], opset
/// 18's form; the two coincide when G = C). The expand-normalizations pass rewrites it into an
/// InstanceNormalization over the grouped view.
class GroupNormalizationOp : public OpSchema {
public:
  GroupNormalizationOp() : OpSchema("GroupNormalization", 3, 3) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    for (size_t i = 0; i < 3; ++i)
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    if (x.getRank() < 2)
      return nodeError(node, ErrorCode::Shape,
                       "input must have rank 2 or more (N, C, spatial axes), got " + x.str());
    int64_t groups = node.getInt("num_groups", 0), channels = x.getDim(1);
    if (!node.hasAttribute("num_groups") || groups < 1 || channels % groups != 0)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'num_groups' must be given and divide the " +
                           llvm::Twine(channels) + " channels, got " + llvm::Twine(groups));
    for (size_t i = 1; i < 3; ++i) {
      llvm::ArrayRef<int64_t> dims = node.getInput(i)->getType().getDims();
      if (dims != llvm::ArrayRef<int64_t>{channels} && dims != llvm::ArrayRef<int64_t>{groups})
        return nodeError(node, ErrorCode::Shape,
                         "input " + llvm::Twine(i) + " must be [C] = [" + llvm::Twine(channels) +
                             "] (or opset 18's [num_groups] = [" + llvm::Twine(groups) +
                             "]), got " + node.getInput(i)->getType().str());
    }
    return TypeList{x};
  }

  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    Tensor out(x.getType());
    int64_t batch = x.getDims()[0], channels = x.getDims()[1];
    int64_t groups = node.getInt("num_groups", 1), groupChannels = channels / groups;
    int64_t plane = batch * channels == 0 ? 0 : x.getNumElements() / (batch * channels);
    int64_t size = groupChannels * plane;
    double epsilon = node.getFloat("epsilon", 1e-5f);
    auto src = x.getData<float>();
    auto scale = inputs[1].getData<float>(), bias = inputs[2].getData<float>();
    bool perGroup = int64_t(scale.size()) != channels;
    auto dst = out.getMutableData<float>();
    for (int64_t p = 0; p < batch * groups; ++p) {
      const float *values = src.data() + p * size;
      double mean = 0, variance = 0;
      for (int64_t i = 0; i < size; ++i) mean += values[i];
      mean /= double(size);
      for (int64_t i = 0; i < size; ++i) variance += (values[i] - mean) * (values[i] - mean);
      variance /= double(size);
      double inv = 1.0 / std::sqrt(variance + epsilon);
      for (int64_t i = 0; i < size; ++i) {
        int64_t g = p % groups, c = g * groupChannels + i / plane;
        size_t k = size_t(perGroup ? g : c);
        dst[size_t(p * size + i)] = float((values[i] - mean) * inv * scale[k] + bias[k]);
      }
    }
    return TensorList{out};
  }
};

/// LpNormalization(X): x divided by the L1 or L2 norm (attribute p) of its vector along `axis`.
/// The expand-normalizations pass rewrites it into a ReduceL1 / ReduceL2 and a Div.
class LpNormalizationOp : public OpSchema {
public:
  LpNormalizationOp() : OpSchema("LpNormalization", 1, 1) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), x.getRank());
    if (!axis) return axis.takeError();
    int64_t p = node.getInt("p", 2);
    if (p != 1 && p != 2)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'p' must be 1 or 2, got " + llvm::Twine(p));
    return TypeList{x};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    auto axis = normalizeAxis(node, node.getInt("axis", -1), x.getType().getRank());
    if (!axis) return axis.takeError();
    bool l1 = node.getInt("p", 2) == 1;
    AxisSplit split = splitAtAxis(x.getDims(), *axis);
    Tensor out(x.getType());
    auto src = x.getData<float>();
    auto dst = out.getMutableData<float>();
    for (int64_t o = 0; o < split.outer; ++o)
      for (int64_t i = 0; i < split.inner; ++i) {
        size_t base = size_t(o * split.extent * split.inner + i);
        double norm = 0;
        for (int64_t e = 0; e < split.extent; ++e) {
          double v = src[base + size_t(e * split.inner)];
          norm += l1 ? std::fabs(v) : v * v;
        }
        norm = l1 ? norm : std::sqrt(norm);
        for (int64_t e = 0; e < split.extent; ++e) {
          size_t k = base + size_t(e * split.inner);
          dst[k] = float(src[k] / norm);
        }
      }
    return TensorList{out};
  }
};

/// LRN(X): x / (bias + alpha / size * sum of x^2 over the `size` channels around)^beta.
class LrnOp : public OpSchema {
public:
  LrnOp() : OpSchema("LRN", 1, 1) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    if (x.getRank() < 3)
      return nodeError(node, ErrorCode::Shape,
                       "input must have rank 3 or more (N, C, spatial axes), got " + x.str());
    if (node.getInt("size", 0) < 1)
      return nodeError(node, ErrorCode::BadModel, "attribute 'size' must be positive");
    return TypeList{x};
  }

  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    Tensor out(x.getType());
    int64_t n = x.getDims()[0], channels = x.getDims()[1];
    int64_t plane = n * channels == 0 ? 0 : x.getNumElements() / (n * channels);
    int64_t size = node.getInt("size", 1);
    double alpha = node.getFloat("alpha", 1e-4f), beta = node.getFloat("beta", 0.75f);
    double bias = node.getFloat("bias", 1.0f);
    int64_t below = (size - 1) / 2, above = size - 1 - below; // floor, ceil of (size - 1) / 2
    auto src = x.getData<float>();
    auto dst = out.getMutableData<float>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t i = 0; i < plane; ++i) {
          double sum = 0;
          for (int64_t k = std::max<int64_t>(0, c - below);
               k <= std::min<int64_t>(channels - 1, c + above); ++k) {
            double v = src[size_t((b * channels + k) * plane + i)];
            sum += v * v;
          }
          size_t e = size_t((b * channels + c) * plane + i);
          dst[e] = float(src[e] / std::pow(bias + alpha / double(size) * sum, beta));
        }
    return TensorList{out};
  }
};

} // namespace

std::unique_ptr<OpSchema> createBatchNormalizationSchema() {
  return std::make_unique<BatchNormalizationOp>();
}
std::unique_ptr<OpSchema> createLayerNormalizationSchema() {
  return std::make_unique<LayerNormalizationOp>();
}
std::unique_ptr<OpSchema> createSoftmaxSchema() {
  return std::make_unique<SoftmaxOp>("Softmax", /*isLog=*/false);
}
std::unique_ptr<OpSchema> createLogSoftmaxSchema() {
  return std::make_unique<SoftmaxOp>("LogSoftmax", /*isLog=*/true);
}

std::unique_ptr<OpSchema> createInstanceNormalizationSchema() {
  return std::make_unique<InstanceNormalizationOp>();
}
std::unique_ptr<OpSchema> createGroupNormalizationSchema() {
  return std::make_unique<GroupNormalizationOp>();
}
std::unique_ptr<OpSchema> createLpNormalizationSchema() {
  return std::make_unique<LpNormalizationOp>();
}
std::unique_ptr<OpSchema> createLRNSchema() { return std::make_unique<LrnOp>(); }

} // namespace spcc
