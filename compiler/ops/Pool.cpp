//===- Pool.cpp - Pooling ------------------------------------------------===//
#include "compiler/ops/SampleRules.h"
#include "compiler/ops/SpatialWindow.h"

#include <limits>

namespace spcc {
namespace {

/// The taps of one window along one axis: input positions start + t * dilation for t < kernel.
/// Counts those inside the input and those inside the padded input [-padBegin, in + padEnd).
struct AxisTaps {
  int64_t start, validCount, paddedCount;
};

AxisTaps axisTaps(int64_t start, int64_t kernel, int64_t dilation, int64_t in, int64_t padBegin,
                  int64_t padEnd) {
  AxisTaps taps{start, 0, 0};
  for (int64_t t = 0; t < kernel; ++t) {
    int64_t i = start + t * dilation;
    taps.validCount += i >= 0 && i < in;
    taps.paddedCount += i >= -padBegin && i < in + padEnd;
  }
  return taps;
}

/// MaxPool and AveragePool: a window given by `kernel_shape` over float32 NC[D]HW input, with
/// strides, pads, dilations, auto_pad and ceil_mode.
class WindowPoolOp : public OpSchema {
public:
  WindowPoolOp(llvm::StringRef name, bool isMax)
      : OpSchema(name, 1, 1, 1, isMax ? 2 : 1), isMax(isMax) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (isMax && node.getNumOutputs() > 1)
      return nodeError(node, ErrorCode::Unsupported, "the Indices output is not supported");
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    if (!isMax) {
      int64_t includePad = node.getInt("count_include_pad", 0);
      if (includePad != 0 && includePad != 1)
        return nodeError(node, ErrorCode::BadModel,
                         "attribute 'count_include_pad' must be 0 or 1, got " +
                             llvm::Twine(includePad));
    }
    auto window = resolve(node);
    if (!window) return window.takeError();
    const TensorType &x = node.getInput(0)->getType();
    Dims outDims{x.getDim(0), x.getDim(1)};
    outDims.append(window->outDims.begin(), window->outDims.end());
    return TypeList{TensorType(DType::Float32, outDims)};
  }

  /// Images are independent.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    auto window = resolve(node);
    if (!window) return window.takeError();
    llvm::ArrayRef<int64_t> inSpatial = x.getDims().drop_front(2);
    Window3D w = toWindow3D(*window, inSpatial);
    std::array<int64_t, 3> padEnd{0, 0, 0};
    for (size_t i = 0; i < inSpatial.size(); ++i)
      padEnd[3 - inSpatial.size() + i] = window->padsEnd[i];
    bool includePad = node.getInt("count_include_pad", 0) != 0;

    Tensor out(node.getOutput(0)->getType());
    int64_t planes = x.getDims()[0] * x.getDims()[1];
    int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
    int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
    const float *src = x.getData<float>().data();
    float *dst = out.getMutableData<float>().data();
    auto tapsAt = [&](int a, int64_t o) {
      return axisTaps(o * w.stride[a] - w.padBegin[a], w.kernel[a], w.dilation[a], w.in[a],
                      w.padBegin[a], padEnd[a]);
    };

    for (int64_t p = 0; p < planes; ++p) {
      const float *in = src + p * inPlane;
      float *plane = dst + p * outPlane;
      for (int64_t od = 0; od < w.out[0]; ++od) {
        AxisTaps td = tapsAt(0, od);
        for (int64_t oh = 0; oh < w.out[1]; ++oh) {
          AxisTaps th = tapsAt(1, oh);
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            AxisTaps tw = tapsAt(2, ow);
            float acc = isMax ? -std::numeric_limits<float>::infinity() : 0.0f;
            for (int64_t kd = 0; kd < w.kernel[0]; ++kd) {
              int64_t id = td.start + kd * w.dilation[0];
              if (id < 0 || id >= w.in[0]) continue;
              for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
                int64_t ih = th.start + kh * w.dilation[1];
                if (ih < 0 || ih >= w.in[1]) continue;
                const float *row = in + (id * w.in[1] + ih) * w.in[2];
                for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
                  int64_t iw = tw.start + kw * w.dilation[2];
                  if (iw < 0 || iw >= w.in[2]) continue;
                  // A NaN in the window makes the maximum NaN (numpy, PyTorch).
                  float v = row[iw];
                  acc = isMax ? (acc >= v || acc != acc ? acc : v) : acc + v;
                }
              }
            }
            if (!isMax) {
              int64_t count = includePad ? td.paddedCount * th.paddedCount * tw.paddedCount
                                         : td.validCount * th.validCount * tw.validCount;
              acc = count > 0 ? acc / float(count) : 0.0f;
            }
            plane[(od * w.out[1] + oh) * w.out[2] + ow] = acc;
          }
        }
      }
    }
    return TensorList{out};
  }

private:
  /// The window of \p node's `kernel_shape` over its input.
  llvm::Expected<SpatialWindow> resolve(const Node &node) const {
    auto spatial = spatialRankOf(node, 0);
    if (!spatial) return spatial.takeError();
    if (!node.hasAttribute("kernel_shape"))
      return nodeError(node, ErrorCode::BadModel, "attribute 'kernel_shape' is required");
    std::vector<int64_t> kernel = node.getInts("kernel_shape");
    if (int(kernel.size()) != *spatial)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'kernel_shape' " + dimsToString(kernel) + " must have " +
                           llvm::Twine(*spatial) + " entries, one per spatial axis");
    return resolveSpatialWindow(node, node.getInput(0)->getType().getDims().drop_front(2), kernel,
                                true);
  }

  bool isMax;
};

/// GlobalAveragePool and GlobalMaxPool: the mean or maximum of each [n, c] plane, keeping the
/// spatial axes as 1s. A NaN in a plane makes its maximum NaN, as MaxPool.
class GlobalPoolOp : public OpSchema {
public:
  GlobalPoolOp(llvm::StringRef name, bool isMax) : OpSchema(name, 1, 1), isMax(isMax) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    if (x.getRank() < 3)
      return nodeError(node, ErrorCode::Shape,
                       "input must have rank 3 or more (N, C, spatial axes), got " + x.str());
    Dims outDims(x.getDims().begin(), x.getDims().end());
    std::fill(outDims.begin() + 2, outDims.end(), 1);
    return TypeList{TensorType(DType::Float32, outDims)};
  }

  /// Images are independent.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    Tensor out(node.getOutput(0)->getType());
    int64_t planes = x.getDims()[0] * x.getDims()[1];
    int64_t planeSize = planes == 0 ? 0 : x.getNumElements() / planes;
    auto src = x.getData<float>();
    auto dst = out.getMutableData<float>();
    for (int64_t p = 0; p < planes; ++p) {
      const float *plane = src.data() + p * planeSize;
      if (isMax) {
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; i < planeSize; ++i)
          if (plane[i] != plane[i] || (best == best && plane[i] > best)) best = plane[i];
        dst[size_t(p)] = best;
        continue;
      }
      double sum = 0;
      for (int64_t i = 0; i < planeSize; ++i) sum += plane[i];
      dst[size_t(p)] = planeSize > 0 ? float(sum / double(planeSize)) : 0.0f;
    }
    return TensorList{out};
  }

private:
  bool isMax;
};

} // namespace

std::unique_ptr<OpSchema> createMaxPoolSchema() {
  return std::make_unique<WindowPoolOp>("MaxPool", true);
}
std::unique_ptr<OpSchema> createAveragePoolSchema() {
  return std::make_unique<WindowPoolOp>("AveragePool", false);
}
std::unique_ptr<OpSchema> createGlobalMaxPoolSchema() {
  return std::make_unique<GlobalPoolOp>("GlobalMaxPool", true);
}
std::unique_ptr<OpSchema> createGlobalAveragePoolSchema() {
  return std::make_unique<GlobalPoolOp>("GlobalAveragePool", false);
}

} // namespace spcc
