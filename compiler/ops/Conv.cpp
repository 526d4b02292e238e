//===- Conv.cpp - Convolution --------------------------------------------===//
#include "compiler/ops/FusedEpilogue.h"
#include "compiler/ops/SampleRules.h"
#include "compiler/ops/SpatialWindow.h"

namespace spcc {
namespace {

/// Output positions o in [lo, hi) whose tap `o * stride + offset` lands inside [0, in).
std::pair<int64_t, int64_t> validOutputRange(int64_t in, int64_t out, int64_t stride,
                                             int64_t offset) {
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = in - 1 - offset; // The largest o * stride allowed.
  int64_t hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  return {lo, std::max(lo, hi)};
}

/// One output channel's plane += weight * (a shifted, strided view of one input plane): the
/// contribution of a single kernel tap (kd, kh, kw), rows innermost.
void accumulateTap(const Window3D &w, const float *in, float weight,
                   const std::array<int64_t, 3> &tap, float *out) {
  std::array<int64_t, 3> offset;
  std::array<std::pair<int64_t, int64_t>, 3> range;
  for (int a = 0; a < 3; ++a) {
    offset[a] = tap[a] * w.dilation[a] - w.padBegin[a];
    range[a] = validOutputRange(w.in[a], w.out[a], w.stride[a], offset[a]);
  }
  auto [owLo, owHi] = range[2];
  int64_t sw = w.stride[2];
  // A tap that maps each output (h, w) plane onto the input's one to one (1x1 kernels, stride 1,
  // no padding) is a single contiguous loop per depth slice.
  int64_t rowsPlane = w.out[1] * w.out[2];
  if (sw == 1 && w.stride[1] == 1 && offset[1] == 0 && offset[2] == 0 && w.in[1] == w.out[1] &&
      w.in[2] == w.out[2]) {
    for (int64_t od = range[0].first; od < range[0].second; ++od) {
      const float *src = in + (od * w.stride[0] + offset[0]) * rowsPlane;
      float *dst = out + od * rowsPlane;
      for (int64_t i = 0; i < rowsPlane; ++i) dst[i] += weight * src[i];
    }
    return;
  }
  for (int64_t od = range[0].first; od < range[0].second; ++od) {
    int64_t id = od * w.stride[0] + offset[0];
    for (int64_t oh = range[1].first; oh < range[1].second; ++oh) {
      int64_t ih = oh * w.stride[1] + offset[1];
      const float *src = in + (id * w.in[1] + ih) * w.in[2];
      float *dst = out + (od * w.out[1] + oh) * w.out[2];
      int64_t ow0 = offset[2];
      if (sw == 1)
        for (int64_t ow = owLo; ow < owHi; ++ow) dst[ow] += weight * src[ow + ow0];
      else
        for (int64_t ow = owLo; ow < owHi; ++ow) dst[ow] += weight * src[ow * sw + ow0];
    }
  }
}

/// Conv (opset 11+): Y[n, m] = B[m] + sum over the group's input channels c and kernel taps k of
/// W[m, c, k] * X[n, g * C/group + c, o * stride + k * dilation - padBegin]. Float32; one to three
/// spatial axes; X is [N, C, spatial...], W is [M, C/group, kernel...], B is [M].
class ConvOp : public OpSchema {
public:
  ConvOp() : OpSchema("Conv", 2, 3) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    for (size_t i = 0; i < std::min<size_t>(node.getNumInputs(), 3); ++i)
      if (node.getInput(i))
        if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    auto spatial = spatialRankOf(node, 0);
    if (!spatial) return spatial.takeError();
    const TensorType &x = node.getInput(0)->getType();
    const TensorType &w = node.getInput(1)->getType();
    if (w.getRank() != x.getRank())
      return nodeError(node, ErrorCode::Shape,
                       "weight " + w.str() + " must have the rank of input " + x.str());
    int64_t group = node.getInt("group", 1);
    if (group < 1)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'group' must be at least 1, got " + llvm::Twine(group));
    int64_t channels = x.getDim(1), outChannels = w.getDim(0);
    if (channels != w.getDim(1) * group)
      return nodeError(node, ErrorCode::Shape,
                       "input " + x.str() + " has " + llvm::Twine(channels) +
                           " channels but weight " + w.str() + " with group " + llvm::Twine(group) +
                           " expects " + llvm::Twine(w.getDim(1) * group));
    if (outChannels % group != 0)
      return nodeError(node, ErrorCode::Shape,
                       "weight " + w.str() + " has " + llvm::Twine(outChannels) +
                           " output channels, not a multiple of group " + llvm::Twine(group));
    if (const Value *bias = node.getInput(2))
      if (bias->getType().getDims() != llvm::ArrayRef<int64_t>{outChannels})
        return nodeError(node, ErrorCode::Shape,
                         "bias " + bias->getType().str() + " must have shape [" +
                             llvm::Twine(outChannels) + "]");
    llvm::ArrayRef<int64_t> kernel = w.getDims().drop_front(2);
    if (node.hasAttribute("kernel_shape")) {
      std::vector<int64_t> kernelShape = node.getInts("kernel_shape");
      if (llvm::ArrayRef<int64_t>(kernelShape) != kernel)
        return nodeError(node, ErrorCode::Shape,
                         "attribute 'kernel_shape' " + dimsToString(kernelShape) +
                             " does not match weight " + w.str());
    }
    auto window = resolveSpatialWindow(node, x.getDims().drop_front(2), kernel, false);
    if (!window) return window.takeError();
    Dims outDims{x.getDim(0), outChannels};
    outDims.append(window->outDims.begin(), window->outDims.end());
    return TypeList{TensorType(DType::Float32, outDims)};
  }

  /// Loops per output channel over (input channel, kernel tap), adding each tap's contribution
  /// to the whole output plane with rows innermost. Zero weights are skipped, as compiled code
  /// drops them.
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0], &weight = inputs[1];
    llvm::ArrayRef<int64_t> inSpatial = x.getDims().drop_front(2);
    auto window = resolveSpatialWindow(node, inSpatial, weight.getDims().drop_front(2), false);
    if (!window) return window.takeError();
    Window3D w = toWindow3D(*window, inSpatial);

    Tensor out(node.getOutput(0)->getType());
    int64_t batch = x.getDims()[0], channels = x.getDims()[1], outChannels = weight.getDims()[0];
    int64_t group = node.getInt("group", 1);
    int64_t groupChannels = channels / group, groupOutChannels = outChannels / group;
    int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
    int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
    int64_t kernelSize = w.kernel[0] * w.kernel[1] * w.kernel[2];
    const float *src = x.getData<float>().data();
    const float *wts = weight.getData<float>().data();
    const float *bias =
        inputs.size() > 2 && !inputs[2].isNull() ? inputs[2].getData<float>().data() : nullptr;
    float *dst = out.getMutableData<float>().data();

    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t m = 0; m < outChannels; ++m) {
        float *plane = dst + (n * outChannels + m) * outPlane;
        std::fill(plane, plane + outPlane, bias ? bias[m] : 0.0f);
        int64_t firstChannel = (m / groupOutChannels) * groupChannels;
        for (int64_t c = 0; c < groupChannels; ++c) {
          const float *in = src + (n * channels + firstChannel + c) * inPlane;
          const float *kernel = wts + (m * groupChannels + c) * kernelSize;
          std::array<int64_t, 3> tap;
          for (tap[0] = 0; tap[0] < w.kernel[0]; ++tap[0])
            for (tap[1] = 0; tap[1] < w.kernel[1]; ++tap[1])
              for (tap[2] = 0; tap[2] < w.kernel[2]; ++tap[2]) {
                float wv = kernel[(tap[0] * w.kernel[1] + tap[1]) * w.kernel[2] + tap[2]];
                if (wv != 0.0f) accumulateTap(w, in, wv, tap, plane);
              }
        }
      }
    }
    return TensorList{out};
  }

  /// Images are independent; FusedConv's residual (input 3) has the output's shape.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0, 3});
  }

protected:
  ConvOp(llvm::StringRef name, int maxInputs) : OpSchema(name, 2, maxInputs) {}
};

/// FusedConv (spcc's own, made by the fuse-epilogues pass): Conv, then the residual Z (input 3,
/// the output's shape) added, then the activation of its attributes (FusedEpilogue.h).
class FusedConvOp : public ConvOp {
public:
  FusedConvOp() : ConvOp("FusedConv", 4) {}
  bool isInternal() const override { return true; }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    auto types = ConvOp::inferTypes(node, known);
    if (!types) return types.takeError();
    if (llvm::Error err = verifyFusedEpilogue(node, (*types)[0])) return std::move(err);
    return types;
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    auto out = ConvOp::evaluate(node, inputs);
    auto activation = fusedActivationOf(node);
    if (!out || !activation) return out ? activation.takeError() : out.takeError();
    const float *residual =
        inputs.size() > 3 && !inputs[3].isNull() ? inputs[3].getData<float>().data() : nullptr;
    Tensor &y = (*out)[0];
    applyFusedEpilogue(*activation, y.getMutableData<float>().data(), residual, y.getNumElements());
    return out;
  }
};

} // namespace

std::unique_ptr<OpSchema> createConvSchema() { return std::make_unique<ConvOp>(); }
std::unique_ptr<OpSchema> createFusedConvSchema() { return std::make_unique<FusedConvOp>(); }

} // namespace spcc
