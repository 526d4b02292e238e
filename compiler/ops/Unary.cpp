//===- Unary.cpp - Elementwise unary operators ---------------------------===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"
#include "compiler/ops/UnaryAttributes.h"

#include <cmath>
#include <functional>

namespace spcc {
namespace {

/// A float32 -> float32 elementwise op; \p fn sees the node's float attributes.
class FloatUnaryOp : public ElementwiseOpSchema {
public:
  using Fn = std::function<float(const UnaryAttributes &, float)>;
  FloatUnaryOp(llvm::StringRef name, Fn fn, int maxInputs = 1)
      : ElementwiseOpSchema(name, 1, maxInputs), fn(std::move(fn)) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    return TypeList{node.getInput(0)->getType()};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(inputs[0].getType());
    UnaryAttributes attributes = unaryAttributes(node);
    auto src = inputs[0].getData<float>();
    auto dst = out.getMutableData<float>();
    for (size_t i = 0; i < src.size(); ++i) dst[i] = fn(attributes, src[i]);
    return TensorList{out};
  }

private:
  Fn fn;
};

float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f)); }

float geluTanh(float x) {
  constexpr float k = 0.7978845608028654f; // sqrt(2 / pi)
  return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

/// Gelu (opset 20) checks its `approximate` attribute.
class GeluOp : public FloatUnaryOp {
public:
  GeluOp() : FloatUnaryOp("Gelu", [](const UnaryAttributes &, float x) { return gelu(x); }) {}
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    if (node.getString("approximate", "none") != "tanh")
      return FloatUnaryOp::evaluate(node, inputs);
    Tensor out(inputs[0].getType());
    auto src = inputs[0].getData<float>();
    auto dst = out.getMutableData<float>();
    for (size_t i = 0; i < src.size(); ++i) dst[i] = geluTanh(src[i]);
    return TensorList{out};
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    std::string mode = node.getString("approximate", "none");
    if (mode != "none" && mode != "tanh")
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'approximate' must be \"none\" or \"tanh\", got \"" + mode +
                           "\"");
    return FloatUnaryOp::inferTypes(node, known);
  }
};

/// Neg works on signed integers too.
class NegOp : public ElementwiseOpSchema {
public:
  NegOp() : ElementwiseOpSchema("Neg", 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err =
            expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32, DType::Int8}))
      return std::move(err);
    return TypeList{node.getInput(0)->getType()};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(inputs[0].getType());
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      auto src = inputs[0].getData<T>();
      auto dst = out.getMutableData<T>();
      for (size_t i = 0; i < src.size(); ++i) dst[i] = T(-src[i]);
    });
    return TensorList{out};
  }
};

/// Clip(x, min?, max?): bounds are optional scalar inputs (opset 11+).
class ClipOp : public ElementwiseOpSchema {
public:
  ClipOp() : ElementwiseOpSchema("Clip", 1, 3) {}
  /// Before opset 11 the bounds were the float attributes min and max.
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset >= 11) return llvm::Error::success();
    if (auto err = moveFloatAttributeToInput(node, graph, "min", 1)) return err;
    return moveFloatAttributeToInput(node, graph, "max", 2);
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32}))
      return std::move(err);
    DType dtype = node.getInput(0)->getType().getDType();
    for (size_t i = 1; i < node.getNumInputs(); ++i) {
      const Value *bound = node.getInput(i);
      if (!bound) continue;
      if (bound->getType().getDType() != dtype || bound->getType().getNumElements() != 1)
        return nodeError(node, ErrorCode::Shape,
                         "bound '" + bound->getName() + "' must be a scalar of the input's type");
    }
    return TypeList{node.getInput(0)->getType()};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(inputs[0].getType());
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (inputs.size() > 1 && !inputs[1].isNull()) lo = inputs[1].getData<T>()[0];
      if (inputs.size() > 2 && !inputs[2].isNull()) hi = inputs[2].getData<T>()[0];
      auto src = inputs[0].getData<T>();
      auto dst = out.getMutableData<T>();
      for (size_t i = 0; i < src.size(); ++i) dst[i] = std::min(std::max(src[i], lo), hi);
    });
    return TensorList{out};
  }
};

/// Identity, and Dropout in inference mode (its optional mask output is all true).
class PassThroughOp : public ElementwiseOpSchema {
public:
  PassThroughOp(llvm::StringRef name, int maxInputs, int maxOutputs)
      : ElementwiseOpSchema(name, 1, maxInputs, 1, maxOutputs) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &type = node.getInput(0)->getType();
    TypeList types{type};
    if (node.getNumOutputs() > 1) types.push_back(TensorType(DType::Bool, type.getDims()));
    if (node.getNumInputs() > 2 && node.getInput(2)) {
      // Training mode with a ratio of 0 (what F.dropout(p=0) exports) drops nothing either.
      const Tensor *training = known.size() > 2 ? known[2] : nullptr;
      const Tensor *ratio = known.size() > 1 ? known[1] : nullptr;
      bool keepsAll = ratio && ratio->getDType() == DType::Float32 &&
                      ratio->getNumElements() == 1 && ratio->getData<float>()[0] == 0.0f;
      if (!training || training->getNumElements() != 1 || (training->getAsInt(0) != 0 && !keepsAll))
        return nodeError(node, ErrorCode::Unsupported,
                         "training_mode must be a constant false for inference (or the ratio "
                         "a constant 0)");
    }
    return types;
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    TensorList outs{inputs[0]};
    if (node.getNumOutputs() > 1) {
      Tensor mask(node.getOutput(1)->getType());
      for (uint8_t &m : mask.getMutableData<uint8_t>()) m = 1;
      outs.push_back(mask);
    }
    return outs;
  }
};

/// Not of a bool; IsNaN and IsInf (detect_negative, detect_positive) of a float32: bool results.
class PredicateOp : public ElementwiseOpSchema {
public:
  explicit PredicateOp(llvm::StringRef name) : ElementwiseOpSchema(name, 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    bool isNot = getName() == "Not";
    if (auto err = expectInputDType(node, 0, {isNot ? DType::Bool : DType::Float32}))
      return std::move(err);
    return TypeList{TensorType(DType::Bool, node.getInput(0)->getType().getDims())};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    auto dst = out.getMutableData<uint8_t>();
    if (getName() == "Not") {
      auto src = inputs[0].getData<uint8_t>();
      for (size_t i = 0; i < dst.size(); ++i) dst[i] = src[i] ? 0 : 1;
      return TensorList{out};
    }
    bool negative = node.getInt("detect_negative", 1) != 0;
    bool positive = node.getInt("detect_positive", 1) != 0;
    auto src = inputs[0].getData<float>();
    for (size_t i = 0; i < dst.size(); ++i) {
      float v = src[i];
      dst[i] = getName() == "IsNaN" ? std::isnan(v)
                                    : std::isinf(v) && ((v > 0 && positive) || (v < 0 && negative));
    }
    return TensorList{out};
  }
};

class CastOp : public ElementwiseOpSchema {
public:
  explicit CastOp(llvm::StringRef name = "Cast", int maxInputs = 1)
      : ElementwiseOpSchema(name, 1, maxInputs) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    int64_t to = node.getInt("to", 0);
    std::optional<DType> dtype = dtypeFromOnnx(int(to));
    if (!dtype || *dtype == DType::Float16)
      return nodeError(node, ErrorCode::Unsupported,
                       "cast to " + onnxTypeName(int(to)) + " is not supported");
    if (node.getInput(0)->getType().getDType() == DType::Float16)
      return nodeError(node, ErrorCode::Unsupported, "cast from f16 is not supported");
    return TypeList{TensorType(*dtype, node.getInput(0)->getType().getDims())};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    const Tensor &in = inputs[0];
    bool toBool = out.getDType() == DType::Bool;
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      auto dst = out.getMutableData<T>();
      for (size_t i = 0; i < dst.size(); ++i) {
        double v = in.getAsDouble(int64_t(i));
        dst[i] = toBool ? T(v != 0.0) : T(v);
      }
    });
    return TensorList{out};
  }
};

float sigmoid(float x) {
  // Split by sign so exp never overflows.
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  float e = std::exp(x);
  return e / (1.0f + e);
}

} // namespace

/// A FloatUnaryOp named \p name computing \p fn(attributes, x).
std::unique_ptr<OpSchema> floatUnary(llvm::StringRef name, FloatUnaryOp::Fn fn) {
  return std::make_unique<FloatUnaryOp>(name, std::move(fn));
}

// NaN stays NaN through compare-and-select (a comparison with NaN is false), as in ONNX Runtime.
std::unique_ptr<OpSchema> createReluSchema() {
  return floatUnary("Relu", [](const UnaryAttributes &, float x) { return x < 0.0f ? 0.0f : x; });
}
std::unique_ptr<OpSchema> createLeakyReluSchema() {
  return floatUnary("LeakyRelu",
                    [](const UnaryAttributes &a, float x) { return x >= 0.0f ? x : x * a.alpha; });
}
std::unique_ptr<OpSchema> createSigmoidSchema() {
  return floatUnary("Sigmoid", [](const UnaryAttributes &, float x) { return sigmoid(x); });
}
std::unique_ptr<OpSchema> createTanhSchema() {
  return floatUnary("Tanh", [](const UnaryAttributes &, float x) { return std::tanh(x); });
}
std::unique_ptr<OpSchema> createErfSchema() {
  return floatUnary("Erf", [](const UnaryAttributes &, float x) { return std::erf(x); });
}
std::unique_ptr<OpSchema> createSqrtSchema() {
  return floatUnary("Sqrt", [](const UnaryAttributes &, float x) { return std::sqrt(x); });
}
std::unique_ptr<OpSchema> createExpSchema() {
  return floatUnary("Exp", [](const UnaryAttributes &, float x) { return std::exp(x); });
}
std::unique_ptr<OpSchema> createAbsSchema() {
  return floatUnary("Abs", [](const UnaryAttributes &, float x) { return std::fabs(x); });
}
std::unique_ptr<OpSchema> createCeilSchema() {
  return floatUnary("Ceil", [](const UnaryAttributes &, float x) { return std::ceil(x); });
}
std::unique_ptr<OpSchema> createFloorSchema() {
  return floatUnary("Floor", [](const UnaryAttributes &, float x) { return std::floor(x); });
}
// Halves round to even, as ONNX's Round (the default rounding mode).
std::unique_ptr<OpSchema> createRoundSchema() {
  return floatUnary("Round", [](const UnaryAttributes &, float x) { return std::nearbyint(x); });
}
std::unique_ptr<OpSchema> createSignSchema() {
  return floatUnary("Sign", [](const UnaryAttributes &, float x) {
    return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;
  });
}
std::unique_ptr<OpSchema> createReciprocalSchema() {
  return floatUnary("Reciprocal", [](const UnaryAttributes &, float x) { return 1.0f / x; });
}
std::unique_ptr<OpSchema> createLogSchema() {
  return floatUnary("Log", [](const UnaryAttributes &, float x) { return std::log(x); });
}
std::unique_ptr<OpSchema> createSinSchema() {
  return floatUnary("Sin", [](const UnaryAttributes &, float x) { return std::sin(x); });
}
std::unique_ptr<OpSchema> createCosSchema() {
  return floatUnary("Cos", [](const UnaryAttributes &, float x) { return std::cos(x); });
}
// log(1 + e^x) without overflow: x + log1p(e^-x) for positive x.
std::unique_ptr<OpSchema> createSoftplusSchema() {
  return floatUnary("Softplus", [](const UnaryAttributes &, float x) {
    return x > 0.0f ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  });
}
std::unique_ptr<OpSchema> createSoftsignSchema() {
  return floatUnary("Softsign",
                    [](const UnaryAttributes &, float x) { return x / (1.0f + std::fabs(x)); });
}
std::unique_ptr<OpSchema> createEluSchema() {
  return floatUnary("Elu", [](const UnaryAttributes &a, float x) {
    return x < 0.0f ? a.alpha * std::expm1(x) : x;
  });
}
std::unique_ptr<OpSchema> createSeluSchema() {
  return floatUnary("Selu", [](const UnaryAttributes &a, float x) {
    return a.beta * (x <= 0.0f ? a.alpha * std::expm1(x) : x);
  });
}
std::unique_ptr<OpSchema> createCeluSchema() {
  return floatUnary("Celu", [](const UnaryAttributes &a, float x) {
    return x < 0.0f ? a.alpha * std::expm1(x / a.alpha) : x;
  });
}
std::unique_ptr<OpSchema> createHardSigmoidSchema() {
  return floatUnary("HardSigmoid", [](const UnaryAttributes &a, float x) {
    float v = a.alpha * x + a.beta;
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
  });
}
std::unique_ptr<OpSchema> createHardSwishSchema() {
  return floatUnary("HardSwish", [](const UnaryAttributes &, float x) {
    float v = x / 6.0f + 0.5f;
    return x * (v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v);
  });
}
std::unique_ptr<OpSchema> createThresholdedReluSchema() {
  return floatUnary("ThresholdedRelu",
                    [](const UnaryAttributes &a, float x) { return x > a.alpha ? x : 0.0f; });
}
std::unique_ptr<OpSchema> createMishSchema() {
  return floatUnary("Mish", [](const UnaryAttributes &, float x) {
    float softplus = x > 0.0f ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    return x * std::tanh(softplus);
  });
}
std::unique_ptr<OpSchema> createTanSchema() {
  return floatUnary("Tan", [](const UnaryAttributes &, float x) { return std::tan(x); });
}
std::unique_ptr<OpSchema> createAsinSchema() {
  return floatUnary("Asin", [](const UnaryAttributes &, float x) { return std::asin(x); });
}
std::unique_ptr<OpSchema> createAcosSchema() {
  return floatUnary("Acos", [](const UnaryAttributes &, float x) { return std::acos(x); });
}
std::unique_ptr<OpSchema> createAtanSchema() {
  return floatUnary("Atan", [](const UnaryAttributes &, float x) { return std::atan(x); });
}
std::unique_ptr<OpSchema> createSinhSchema() {
  return floatUnary("Sinh", [](const UnaryAttributes &, float x) { return std::sinh(x); });
}
std::unique_ptr<OpSchema> createCoshSchema() {
  return floatUnary("Cosh", [](const UnaryAttributes &, float x) { return std::cosh(x); });
}
std::unique_ptr<OpSchema> createAsinhSchema() {
  return floatUnary("Asinh", [](const UnaryAttributes &, float x) { return std::asinh(x); });
}
std::unique_ptr<OpSchema> createAcoshSchema() {
  return floatUnary("Acosh", [](const UnaryAttributes &, float x) { return std::acosh(x); });
}
std::unique_ptr<OpSchema> createAtanhSchema() {
  return floatUnary("Atanh", [](const UnaryAttributes &, float x) { return std::atanh(x); });
}
std::unique_ptr<OpSchema> createShrinkSchema() {
  return floatUnary("Shrink", [](const UnaryAttributes &a, float x) {
    return x < -a.alpha ? x + a.beta : x > a.alpha ? x - a.beta : 0.0f;
  });
}
std::unique_ptr<OpSchema> createGeluSchema() { return std::make_unique<GeluOp>(); }
std::unique_ptr<OpSchema> createNegSchema() { return std::make_unique<NegOp>(); }
std::unique_ptr<OpSchema> createClipSchema() { return std::make_unique<ClipOp>(); }
std::unique_ptr<OpSchema> createIdentitySchema() {
  return std::make_unique<PassThroughOp>("Identity", 1, 1);
}
std::unique_ptr<OpSchema> createDropoutSchema() {
  return std::make_unique<PassThroughOp>("Dropout", 3, 2);
}
std::unique_ptr<OpSchema> createCastSchema() { return std::make_unique<CastOp>(); }

namespace {
/// CastLike(input, target): a Cast to the target's element type, which it becomes at import.
class CastLikeOp : public CastOp {
public:
  CastLikeOp() : CastOp("CastLike", 2) {}
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    const Value *target = node.getInput(1);
    if (!target) return nodeError(node, ErrorCode::BadModel, "input 1 (target_type) is missing");
    node.setAttribute("to", Attribute(int64_t(dtypeToOnnx(target->getType().getDType()))));
    node.setOp("Cast", lookupOpSchema("Cast"));
    node.setInputs({node.getInput(0)});
    return llvm::Error::success();
  }
};
} // namespace

std::unique_ptr<OpSchema> createCastLikeSchema() { return std::make_unique<CastLikeOp>(); }
std::unique_ptr<OpSchema> createNotSchema() { return std::make_unique<PredicateOp>("Not"); }
std::unique_ptr<OpSchema> createIsNaNSchema() { return std::make_unique<PredicateOp>("IsNaN"); }
std::unique_ptr<OpSchema> createIsInfSchema() { return std::make_unique<PredicateOp>("IsInf"); }

} // namespace spcc
