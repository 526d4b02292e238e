//===- Resize.cpp - Resize and Upsample ----------------------------------===//
//
// Resize(X, roi, scales, sizes) interpolates float32 X to new dims, axis by axis: `nearest`,
// `linear` or `cubic`, with every coordinate transformation mode but tf_crop_and_resize (which
// reads roi) and every nearest mode. The scales or sizes must be known at compile time. Opset
// 18's `axes` names the axes they apply to; `keep_aspect_ratio_policy` other than "stretch" and
// `antialias` are refused by name. Canonical form: opset 13's, with opset 18's `axes`.
// Resize-10 (X, scales) and Upsample (opsets 7 and 9) become it at import, with the asymmetric
// coordinates and the floor rounding those versions defined.
//
// The reference evaluation follows ONNX's definition directly, in double: each output
// coordinate maps to an input coordinate; its 1, 2 or 4 neighbours (indices clamped into the
// axis, as ONNX pads with the edge) get weights; an output element sums the input elements of
// every combination of its axes' neighbours, weighted by the product of their weights.
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <cmath>

namespace spcc {
namespace {

/// One axis's interpolation: for each output coordinate, its neighbours and their weights.
struct AxisTaps {
  int taps = 1;
  std::vector<int64_t> index; // [out][taps]
  std::vector<double> weight; // [out][taps]
};

/// The input coordinate of output coordinate \p x. As in ONNX, the resized length is in * scale,
/// which is the output size when sizes are given but need not be an integer when scales are.
double sourceCoordinate(const std::string &mode, double x, double scale, int64_t in, int64_t out) {
  double resized = double(in) * scale;
  if (mode == "asymmetric") return x / scale;
  if (mode == "align_corners") return resized == 1 ? 0.0 : x * double(in - 1) / (resized - 1);
  if (mode == "pytorch_half_pixel") return resized > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "half_pixel_symmetric") {
    double adjustment = double(out) / (scale * double(in));
    double center = double(in) / 2.0;
    return center * (1.0 - adjustment) + (x + 0.5) / scale - 0.5;
  }
  return (x + 0.5) / scale - 0.5; // half_pixel
}

int64_t nearestIndex(const std::string &mode, double x) {
  double floor = std::floor(x);
  if (mode == "floor") return int64_t(floor);
  if (mode == "ceil") return int64_t(std::ceil(x));
  if (x - floor == 0.5) return int64_t(mode == "round_prefer_ceil" ? floor + 1 : floor);
  return int64_t(std::round(x));
}

AxisTaps axisTaps(const Node &node, int64_t in, int64_t out, double scale) {
  std::string mode = node.getString("mode", "nearest");
  std::string coordinates = node.getString("coordinate_transformation_mode", "half_pixel");
  std::string nearestMode = node.getString("nearest_mode", "round_prefer_floor");
  double a = node.getFloat("cubic_coeff_a", -0.75f);
  bool excludeOutside = node.getInt("exclude_outside", 0) != 0;
  AxisTaps axis;
  axis.taps = mode == "nearest" ? 1 : mode == "linear" ? 2 : 4;
  auto clamp = [&](int64_t i) { return std::min(std::max<int64_t>(i, 0), in - 1); };
  for (int64_t o = 0; o < out; ++o) {
    double x = sourceCoordinate(coordinates, double(o), scale, in, out);
    if (mode == "nearest") {
      axis.index.push_back(clamp(nearestIndex(nearestMode, x)));
      axis.weight.push_back(1.0);
      continue;
    }
    double floor = std::floor(x), t = x - floor;
    int64_t first = int64_t(floor) - (mode == "cubic" ? 1 : 0);
    std::vector<double> w;
    if (mode == "linear") {
      w = {1.0 - t, t};
    } else {
      double s = 1.0 - t;
      w = {((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
           ((a + 2) * t - (a + 3)) * t * t + 1, ((a + 2) * s - (a + 3)) * s * s + 1,
           ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
    }
    if (excludeOutside) {
      double sum = 0;
      for (int k = 0; k < axis.taps; ++k) {
        int64_t i = first + k;
        if (i < 0 || i >= in) w[size_t(k)] = 0;
        sum += w[size_t(k)];
      }
      if (sum != 0)
        for (double &v : w) v /= sum;
    }
    for (int k = 0; k < axis.taps; ++k) {
      axis.index.push_back(clamp(first + k));
      axis.weight.push_back(w[size_t(k)]);
    }
  }
  return axis;
}

class ResizeOp : public OpSchema {
public:
  explicit ResizeOp(llvm::StringRef name = "Resize") : OpSchema(name, 1, 4) {}

  /// Resize-10 took (X, scales) and rounded nearest neighbours down from asymmetric
  /// coordinates.
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset >= 11) return llvm::Error::success();
    return toCanonicalForm(node, node.getInput(1));
  }

  /// Moves opset-10-style (X, scales) into (X, roi, scales) with the old coordinates.
  static llvm::Error toCanonicalForm(Node &node, Value *scales) {
    std::string mode = node.getString("mode", "nearest");
    if (mode == "bilinear") mode = "linear";
    node.setAttribute("mode", Attribute(mode));
    node.setAttribute("coordinate_transformation_mode", Attribute(std::string("asymmetric")));
    node.setAttribute("nearest_mode", Attribute(std::string("floor")));
    node.setInputs({node.getInput(0), nullptr, scales});
    return llvm::Error::success();
  }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    auto plan = planOf(node, known);
    if (!plan) return plan.takeError();
    return TypeList{TensorType(DType::Float32, plan->outDims)};
  }

  /// Images are resized independently, unless the batch axis itself is resized.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    std::vector<int64_t> axes = node.getInts("axes");
    const Value *scales = node.getInput(2);
    bool batchAxisResized =
        node.getOutput(0)->getType().getDim(0) != node.getInput(0)->getType().getDim(0) ||
        (scales && scales->isConstant() && scales->getType().getNumElements() > 0 &&
         (axes.empty() || axes[0] == 0) && scales->getConstant().getAsDouble(0) != 1.0);
    if (batchAxisResized && inputs[0].isSplit() && inputs[0].axis == 0)
      return nodeError(node, ErrorCode::Unsupported,
                       "it resizes axis 0, which holds the samples of the run-time batch");
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    std::vector<const Tensor *> known;
    for (const Tensor &t : inputs) known.push_back(t.isNull() ? nullptr : &t);
    auto plan = planOf(node, known);
    if (!plan) return plan.takeError();
    const Tensor &x = inputs[0];
    int rank = x.getRank();
    std::vector<AxisTaps> axes;
    for (int d = 0; d < rank; ++d)
      axes.push_back(axisTaps(node, x.getDims()[size_t(d)], plan->outDims[size_t(d)],
                              plan->scales[size_t(d)]));
    Tensor out(TensorType(DType::Float32, plan->outDims));
    Dims inStrides = stridesOf(x.getDims());
    auto src = x.getData<float>();
    auto dst = out.getMutableData<float>();
    std::vector<int64_t> coord(size_t(rank), 0), tap(size_t(rank), 0);
    for (size_t o = 0; o < dst.size(); ++o) {
      int64_t rest = int64_t(o);
      for (int d = rank - 1; d >= 0; --d) {
        coord[size_t(d)] = rest % plan->outDims[size_t(d)];
        rest /= plan->outDims[size_t(d)];
      }
      // Every combination of the axes' neighbours.
      double sum = 0;
      std::fill(tap.begin(), tap.end(), 0);
      while (true) {
        double weight = 1;
        int64_t offset = 0;
        for (int d = 0; d < rank; ++d) {
          const AxisTaps &a = axes[size_t(d)];
          size_t k = size_t(coord[size_t(d)] * a.taps + tap[size_t(d)]);
          weight *= a.weight[k];
          offset += a.index[k] * inStrides[size_t(d)];
        }
        if (weight != 0) sum += weight * double(src[size_t(offset)]);
        int d = rank - 1;
        while (d >= 0 && ++tap[size_t(d)] == axes[size_t(d)].taps) tap[size_t(d--)] = 0;
        if (d < 0) break;
      }
      dst[o] = float(sum);
    }
    return TensorList{out};
  }

private:
  struct Plan {
    Dims outDims;
    std::vector<double> scales; ///< per axis, what the coordinate transform divides by
  };

  llvm::Expected<Plan> planOf(const Node &node, KnownInputs known) const {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    int rank = x.getRank();
    std::string mode = node.getString("mode", "nearest");
    if (mode != "nearest" && mode != "linear" && mode != "cubic")
      return nodeError(node, ErrorCode::BadModel,
                       "mode \"" + mode + "\" is not nearest, linear or cubic");
    std::string coordinates = node.getString("coordinate_transformation_mode", "half_pixel");
    if (coordinates == "tf_crop_and_resize")
      return nodeError(node, ErrorCode::Unsupported,
                       "coordinate_transformation_mode \"tf_crop_and_resize\" is not supported");
    if (!llvm::is_contained({"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                             "align_corners", "asymmetric"},
                            coordinates))
      return nodeError(node, ErrorCode::BadModel,
                       "unknown coordinate_transformation_mode \"" + coordinates + "\"");
    std::string nearestMode = node.getString("nearest_mode", "round_prefer_floor");
    if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
                            nearestMode))
      return nodeError(node, ErrorCode::BadModel, "unknown nearest_mode \"" + nearestMode + "\"");
    if (node.getInt("antialias", 0) != 0)
      return nodeError(node, ErrorCode::Unsupported, "antialias = 1 is not supported");
    std::string policy = node.getString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch")
      return nodeError(node, ErrorCode::Unsupported,
                       "keep_aspect_ratio_policy \"" + policy + "\" is not supported (stretch)");
    std::vector<int64_t> axes = node.getInts("axes");
    if (axes.empty())
      for (int d = 0; d < rank; ++d) axes.push_back(d);
    for (int64_t &axis : axes) {
      auto normalized = normalizeAxis(node, axis, rank);
      if (!normalized) return normalized.takeError();
      axis = *normalized;
    }
    const Value *scalesValue = node.getInput(2), *sizesValue = node.getInput(3);
    // An empty scales input stands for none (opsets 11-12 require the input).
    if (scalesValue && scalesValue->getType().getNumElements() == 0) scalesValue = nullptr;
    if (bool(scalesValue) == bool(sizesValue))
      return nodeError(node, ErrorCode::BadModel, "needs exactly one of scales and sizes");
    Plan plan;
    plan.outDims.assign(x.getDims().begin(), x.getDims().end());
    plan.scales.assign(size_t(rank), 1.0);
    size_t index = scalesValue ? 2 : 3;
    auto values = requireKnown(node, known, index, scalesValue ? "scales" : "sizes");
    if (!values) return values.takeError();
    if ((*values)->getNumElements() != int64_t(axes.size()))
      return nodeError(node, ErrorCode::Shape,
                       llvm::Twine(scalesValue ? "scales" : "sizes") + " has " +
                           llvm::Twine((*values)->getNumElements()) + " values for " +
                           llvm::Twine(axes.size()) + " axes of " + x.str());
    for (size_t i = 0; i < axes.size(); ++i) {
      size_t d = size_t(axes[i]);
      if (scalesValue) {
        double scale = (*values)->getAsDouble(int64_t(i));
        if (!(scale > 0) || !std::isfinite(scale))
          return nodeError(node, ErrorCode::BadModel,
                           "scale " + llvm::Twine(std::to_string(scale)) + " must be positive");
        double dim = std::floor(double(x.getDim(int(d))) * scale);
        if (dim > double(kMaxTensorElements))
          return nodeError(node, ErrorCode::Unsupported,
                           "scale " + llvm::Twine(std::to_string(scale)) + " makes axis " +
                               llvm::Twine(d) + " too large");
        plan.outDims[d] = int64_t(dim);
        plan.scales[d] = scale;
      } else {
        int64_t size = (*values)->getAsInt(int64_t(i));
        if (size < 0 || size > kMaxTensorElements)
          return nodeError(node, ErrorCode::BadModel,
                           "size " + llvm::Twine(size) + " of axis " + llvm::Twine(d) +
                               " is out of range");
        plan.outDims[d] = size;
        plan.scales[d] = x.getDim(int(d)) == 0 ? 1.0 : double(size) / double(x.getDim(int(d)));
      }
      if (plan.outDims[d] > 0 && x.getDim(int(d)) == 0)
        return nodeError(node, ErrorCode::Shape,
                         "cannot resize an empty axis " + llvm::Twine(d) + " of " + x.str());
    }
    return plan;
  }
};

/// Upsample (opsets 7 and 9, deprecated in 10): Resize-10 by another name, scales an attribute
/// in opset 7 and an input from 9.
class UpsampleOp : public ResizeOp {
public:
  UpsampleOp() : ResizeOp("Upsample") {}
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    Value *scales = node.getInput(1);
    if (node.hasAttribute("scales")) {
      std::vector<float> values = node.getFloats("scales");
      scales = graph.addConstant(graph.makeUniqueName(node.getName() + "_scales"),
                                 Tensor::fromVector<float>({int64_t(values.size())}, values));
      node.removeAttribute("scales");
    }
    node.setOp("Resize", lookupOpSchema("Resize"));
    return toCanonicalForm(node, scales);
  }
};

} // namespace

std::unique_ptr<OpSchema> createResizeSchema() { return std::make_unique<ResizeOp>(); }
std::unique_ptr<OpSchema> createUpsampleSchema() { return std::make_unique<UpsampleOp>(); }

} // namespace spcc
