//===- ConvTranspose.cpp - Transposed convolution ------------------------===//
#include "compiler/ops/ConvTranspose.h"

#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/OpSchema.h"
#include "compiler/ops/SpatialWindow.h"

namespace spcc {

llvm::Expected<ConvTransposeGeometry> resolveConvTransposeGeometry(const Node &node) {
  for (size_t i = 0; i < std::min<size_t>(node.getNumInputs(), 3); ++i)
    if (node.getInput(i))
      if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
  auto spatial = spatialRankOf(node, 0);
  if (!spatial) return spatial.takeError();
  size_t rank = size_t(*spatial);
  const TensorType &x = node.getInput(0)->getType();
  const TensorType &w = node.getInput(1)->getType();
  if (w.getRank() != x.getRank())
    return nodeError(node, ErrorCode::Shape,
                     "weight " + w.str() + " must have the rank of input " + x.str());
  ConvTransposeGeometry g;
  g.group = node.getInt("group", 1);
  if (g.group < 1)
    return nodeError(node, ErrorCode::BadModel,
                     "attribute 'group' must be at least 1, got " + llvm::Twine(g.group));
  if (x.getDim(1) != w.getDim(0) || x.getDim(1) % g.group != 0)
    return nodeError(node, ErrorCode::Shape,
                     "input " + x.str() + " must have the weight's " + llvm::Twine(w.getDim(0)) +
                         " channels, a multiple of group " + llvm::Twine(g.group));
  int64_t outChannels = w.getDim(1) * g.group;
  if (const Value *bias = node.getNumInputs() > 2 ? node.getInput(2) : nullptr)
    if (bias->getType().getDims() != llvm::ArrayRef<int64_t>{outChannels})
      return nodeError(node, ErrorCode::Shape,
                       "bias " + bias->getType().str() + " must have shape [" +
                           llvm::Twine(outChannels) + "]");
  g.in.assign(x.getDims().begin() + 2, x.getDims().end());
  g.kernel.assign(w.getDims().begin() + 2, w.getDims().end());
  if (node.hasAttribute("kernel_shape") &&
      llvm::ArrayRef<int64_t>(node.getInts("kernel_shape")) != llvm::ArrayRef<int64_t>(g.kernel))
    return nodeError(node, ErrorCode::Shape,
                     "attribute 'kernel_shape' " + dimsToString(node.getInts("kernel_shape")) +
                         " does not match weight " + w.str());
  for (auto [field, key, count, dflt, min] : {std::tuple{&g.strides, "strides", rank, 1, 1},
                                              {&g.dilations, "dilations", rank, 1, 1},
                                              {&g.outputPadding, "output_padding", rank, 0, 0}}) {
    auto values = readPerAxis(node, key, count, dflt, min);
    if (!values) return values.takeError();
    *field = std::move(*values);
  }
  auto pads = readPerAxis(node, "pads", 2 * rank, 0, 0);
  if (!pads) return pads.takeError();
  g.padsBegin.assign(pads->begin(), pads->begin() + long(rank));
  g.padsEnd.assign(pads->begin() + long(rank), pads->end());
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" &&
      autoPad != "VALID")
    return nodeError(node, ErrorCode::BadModel,
                     "attribute 'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '" +
                         autoPad + "'");
  std::vector<int64_t> outputShape = node.getInts("output_shape");
  if (!outputShape.empty() && outputShape.size() != rank && outputShape.size() != rank + 2)
    return nodeError(node, ErrorCode::BadModel,
                     "attribute 'output_shape' " + dimsToString(outputShape) + " must have " +
                         llvm::Twine(rank) + " spatial entries");
  if (outputShape.size() == rank + 2)
    outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  g.out.resize(rank);
  for (size_t a = 0; a < rank; ++a) {
    if (g.outputPadding[a] >= std::max(g.strides[a], g.dilations[a]))
      return nodeError(node, ErrorCode::BadModel,
                       "output_padding " + dimsToString(g.outputPadding) +
                           " must be below the stride or dilation on each axis");
    // Each factor is at most kMaxTensorElements (2^40): bound the products before forming them.
    double reach = double(g.strides[a]) * double(g.in[a] - 1) +
                   double(g.kernel[a] - 1) * double(g.dilations[a]);
    if (reach > double(kMaxTensorElements))
      return nodeError(node, ErrorCode::Shape,
                       "strides and dilations this large would make spatial axis " +
                           llvm::Twine(a) + " longer than a tensor may be");
    int64_t full =
        g.strides[a] * (g.in[a] - 1) + g.outputPadding[a] + (g.kernel[a] - 1) * g.dilations[a] + 1;
    // ONNX: a given output_shape (or SAME_*: input x stride) fixes the total padding, split
    // with the odd element at the end for SAME_UPPER and at the start otherwise.
    int64_t wanted = !outputShape.empty()            ? outputShape[a]
                     : autoPad.rfind("SAME", 0) == 0 ? g.in[a] * g.strides[a]
                                                     : -1;
    if (wanted >= 0) {
      // A total below zero (an output_shape past what the kernel covers) pads the output.
      int64_t total = full - wanted;
      bool upper = autoPad == "SAME_UPPER";
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); // floor, as ONNX's
      g.padsBegin[a] = upper ? half : total - half;
      g.padsEnd[a] = total - g.padsBegin[a];
    } else if (autoPad == "VALID") {
      g.padsBegin[a] = g.padsEnd[a] = 0;
    }
    g.out[a] = full - g.padsBegin[a] - g.padsEnd[a];
    if (g.out[a] < 1)
      return nodeError(node, ErrorCode::Shape,
                       "the output would have extent " + llvm::Twine(g.out[a]) +
                           " on spatial axis " + llvm::Twine(a));
  }
  return g;
}

namespace {

/// ConvTranspose (opset 11+ form; the older ones are the same op): Y[n, g*M/group + m, o] =
/// B + sum over c in the group and taps k with o = i * stride + k * dilation - padBegin of
/// X[n, g*C/group + c, i] * W[g*C/group + c, m, k].
class ConvTransposeOp : public OpSchema {
public:
  ConvTransposeOp() : OpSchema("ConvTranspose", 2, 3) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    auto g = resolveConvTransposeGeometry(node);
    if (!g) return g.takeError();
    const TensorType &x = node.getInput(0)->getType();
    Dims out{x.getDim(0), node.getInput(1)->getType().getDim(1) * g->group};
    out.append(g->out.begin(), g->out.end());
    return TypeList{TensorType(DType::Float32, out)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    auto geometry = resolveConvTransposeGeometry(node);
    if (!geometry) return geometry.takeError();
    // Widen to three spatial axes (leading unit axes) for one loop nest.
    ConvTransposeGeometry g = *geometry;
    while (g.in.size() < 3) {
      for (Dims *d : {&g.in, &g.kernel, &g.strides, &g.dilations, &g.out}) d->insert(d->begin(), 1);
      g.padsBegin.insert(g.padsBegin.begin(), 0);
    }
    const Tensor &x = inputs[0], &weight = inputs[1];
    int64_t batch = x.getDims()[0], channels = x.getDims()[1];
    int64_t groupChannels = channels / g.group, groupOut = weight.getDims()[1];
    int64_t outChannels = groupOut * g.group;
    int64_t inPlane = g.in[0] * g.in[1] * g.in[2], outPlane = g.out[0] * g.out[1] * g.out[2];
    int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
    Tensor out(node.getOutput(0)->getType());
    auto y = out.getMutableData<float>();
    auto src = x.getData<float>(), wts = weight.getData<float>();
    const float *bias =
        inputs.size() > 2 && !inputs[2].isNull() ? inputs[2].getData<float>().data() : nullptr;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t m = 0; m < outChannels; ++m)
        std::fill_n(y.begin() + (n * outChannels + m) * outPlane, outPlane, bias ? bias[m] : 0.0f);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c) {
        const float *plane = src.data() + (n * channels + c) * inPlane;
        int64_t firstOut = (c / groupChannels) * groupOut;
        for (int64_t m = 0; m < groupOut; ++m) {
          const float *kernel = wts.data() + (c * groupOut + m) * taps;
          float *target = y.data() + (n * outChannels + firstOut + m) * outPlane;
          for (int64_t i0 = 0; i0 < g.in[0]; ++i0)
            for (int64_t i1 = 0; i1 < g.in[1]; ++i1)
              for (int64_t i2 = 0; i2 < g.in[2]; ++i2) {
                float v = plane[(i0 * g.in[1] + i1) * g.in[2] + i2];
                for (int64_t k0 = 0; k0 < g.kernel[0]; ++k0) {
                  int64_t o0 = i0 * g.strides[0] + k0 * g.dilations[0] - g.padsBegin[0];
                  if (o0 < 0 || o0 >= g.out[0]) continue;
                  for (int64_t k1 = 0; k1 < g.kernel[1]; ++k1) {
                    int64_t o1 = i1 * g.strides[1] + k1 * g.dilations[1] - g.padsBegin[1];
                    if (o1 < 0 || o1 >= g.out[1]) continue;
                    for (int64_t k2 = 0; k2 < g.kernel[2]; ++k2) {
                      int64_t o2 = i2 * g.strides[2] + k2 * g.dilations[2] - g.padsBegin[2];
                      if (o2 < 0 || o2 >= g.out[2]) continue;
                      target[(o0 * g.out[1] + o1) * g.out[2] + o2] +=
                          v * kernel[(k0 * g.kernel[1] + k1) * g.kernel[2] + k2];
                    }
                  }
                }
              }
        }
      }
    return TensorList{out};
  }
};

} // namespace

std::unique_ptr<OpSchema> createConvTransposeSchema() {
  return std::make_unique<ConvTransposeOp>();
}

} // namespace spcc
