//===- Binary.cpp - Broadcasting elementwise binary operators, and Where -===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

namespace spcc {
namespace {

/// Maps each element of a broadcast output to the element of one input it reads. Inputs that
/// already have the output's shape are read in place, without an offset table.
class BroadcastIndex {
public:
  BroadcastIndex(llvm::ArrayRef<int64_t> outDims, llvm::ArrayRef<int64_t> inDims)
      : identity(outDims == inDims) {
    if (!identity) offsets = broadcastOffsets(outDims, inDims);
  }
  int64_t operator()(int64_t i) const { return identity ? i : offsets[size_t(i)]; }

private:
  bool identity;
  std::vector<int64_t> offsets;
};

/// Fails unless inputs \p a and \p b have the same element type.
llvm::Error expectSameDType(const Node &node, size_t a, size_t b) {
  const Value *va = node.getInput(a), *vb = node.getInput(b);
  DType da = va->getType().getDType(), db = vb->getType().getDType();
  if (da == db) return llvm::Error::success();
  return nodeError(node, ErrorCode::Shape,
                   "inputs have different element types: '" + va->getName() + "' is " +
                       dtypeName(da) + ", '" + vb->getName() + "' is " + dtypeName(db));
}

enum class ArithKind { Add, Sub, Mul, Div };

/// a OP b where integer overflow wraps around (two's complement) instead of being undefined.
template <ArithKind Kind, typename T> T wrappingArith(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    if constexpr (Kind == ArithKind::Add) return T(U(a) + U(b));
    if constexpr (Kind == ArithKind::Sub) return T(U(a) - U(b));
    if constexpr (Kind == ArithKind::Mul) return T(U(a) * U(b));
    // Div: the caller rules out b == 0; MIN / -1 is the one overflowing quotient.
    if (b == T(-1)) return T(U(0) - U(a));
    return T(a / b); // C++ integer division truncates toward zero, as ONNX's Div.
  } else {
    if constexpr (Kind == ArithKind::Add) return a + b;
    if constexpr (Kind == ArithKind::Sub) return a - b;
    if constexpr (Kind == ArithKind::Mul) return a * b;
    return a / b;
  }
}

/// Add, Sub, Mul, Div on float32, int64 and int32; both inputs of one type.
template <ArithKind Kind> class ArithOp : public ElementwiseOpSchema {
public:
  explicit ArithOp(llvm::StringRef name) : ElementwiseOpSchema(name, 2, 2) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32}))
      return std::move(err);
    if (auto err = expectSameDType(node, 0, 1)) return std::move(err);
    auto dims = broadcastShapes(node, node.getInput(0)->getType().getDims(),
                                node.getInput(1)->getType().getDims());
    if (!dims) return dims.takeError();
    return TypeList{TensorType(node.getInput(0)->getType().getDType(), *dims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    BroadcastIndex ia(out.getDims(), inputs[0].getDims());
    BroadcastIndex ib(out.getDims(), inputs[1].getDims());
    bool divByZero = false;
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      auto a = inputs[0].getData<T>();
      auto b = inputs[1].getData<T>();
      auto dst = out.getMutableData<T>();
      for (int64_t i = 0, n = int64_t(dst.size()); i < n; ++i) {
        T x = a[size_t(ia(i))], y = b[size_t(ib(i))];
        if constexpr (Kind == ArithKind::Div && std::is_integral_v<T>) {
          if (y == T(0)) {
            divByZero = true;
            return;
          }
        }
        dst[size_t(i)] = wrappingArith<Kind>(x, y);
      }
    });
    if (divByZero) return nodeError(node, ErrorCode::Shape, "integer division by zero");
    return TensorList{out};
  }
};

/// Pow(X, Y): float32 base; the exponent is float32, int64 or int32.
class PowOp : public ElementwiseOpSchema {
public:
  PowOp() : ElementwiseOpSchema("Pow", 2, 2) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    if (auto err = expectInputDType(node, 1, {DType::Float32, DType::Int64, DType::Int32}))
      return std::move(err);
    auto dims = broadcastShapes(node, node.getInput(0)->getType().getDims(),
                                node.getInput(1)->getType().getDims());
    if (!dims) return dims.takeError();
    return TypeList{TensorType(DType::Float32, *dims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    BroadcastIndex ia(out.getDims(), inputs[0].getDims());
    BroadcastIndex ib(out.getDims(), inputs[1].getDims());
    auto base = inputs[0].getData<float>();
    // The exponent converted to float once (ONNX casts an integer exponent).
    const Tensor &expTensor = inputs[1];
    std::vector<float> exponent(size_t(expTensor.getNumElements()));
    for (size_t i = 0; i < exponent.size(); ++i)
      exponent[i] = float(expTensor.getAsDouble(int64_t(i)));
    auto dst = out.getMutableData<float>();
    for (int64_t i = 0, n = int64_t(dst.size()); i < n; ++i)
      dst[size_t(i)] = std::pow(base[size_t(ia(i))], exponent[size_t(ib(i))]);
    return TensorList{out};
  }
};

/// The broadcast type of \p node's two inputs, which must share an element type of \p dtypes,
/// with \p result as element type (the inputs' when nullopt).
llvm::Expected<TypeList> sameTypedBinaryTypes(const Node &node, std::initializer_list<DType> dtypes,
                                              std::optional<DType> result) {
  if (auto err = expectInputDType(node, 0, dtypes)) return std::move(err);
  if (auto err = expectSameDType(node, 0, 1)) return std::move(err);
  auto dims = broadcastShapes(node, node.getInput(0)->getType().getDims(),
                              node.getInput(1)->getType().getDims());
  if (!dims) return dims.takeError();
  return TypeList{TensorType(result.value_or(node.getInput(0)->getType().getDType()), *dims)};
}

/// out[i] = fn(a[ia(i)], b[ib(i)]) over the broadcast output, for inputs of C++ type In and an
/// output of type Out (In when void); \p fn may set \p failed to reject the data.
template <typename In, typename Out, typename Fn>
void mapBroadcast(llvm::ArrayRef<Tensor> inputs, Tensor &out, Fn fn) {
  BroadcastIndex ia(out.getDims(), inputs[0].getDims());
  BroadcastIndex ib(out.getDims(), inputs[1].getDims());
  auto a = inputs[0].getData<In>();
  auto b = inputs[1].getData<In>();
  auto dst = out.getMutableData<Out>();
  for (int64_t i = 0, n = int64_t(dst.size()); i < n; ++i)
    dst[size_t(i)] = fn(a[size_t(ia(i))], b[size_t(ib(i))]);
}

enum class CompareKind { Equal, Greater, Less, GreaterOrEqual, LessOrEqual };

/// Equal, Greater, Less, GreaterOrEqual, LessOrEqual -> bool, on inputs of one type (float32,
/// int64, int32; Equal also bool).
class CompareOp : public ElementwiseOpSchema {
public:
  CompareOp(llvm::StringRef name, CompareKind kind) : ElementwiseOpSchema(name, 2, 2), kind(kind) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (kind == CompareKind::Equal)
      return sameTypedBinaryTypes(node, {DType::Float32, DType::Int64, DType::Int32, DType::Bool},
                                  DType::Bool);
    return sameTypedBinaryTypes(node, {DType::Float32, DType::Int64, DType::Int32}, DType::Bool);
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    dispatchDType(inputs[0].getDType(), [&](auto zero) {
      using T = decltype(zero);
      mapBroadcast<T, uint8_t>(inputs, out, [&](T x, T y) {
        switch (kind) {
        case CompareKind::Equal: return uint8_t(x == y);
        case CompareKind::Greater: return uint8_t(x > y);
        case CompareKind::Less: return uint8_t(x < y);
        case CompareKind::GreaterOrEqual: return uint8_t(x >= y);
        case CompareKind::LessOrEqual: return uint8_t(x <= y);
        }
        return uint8_t(0);
      });
    });
    return TensorList{out};
  }

private:
  CompareKind kind;
};

/// Max and Min of two inputs of one type (the importer splits ONNX's variadic forms); a NaN
/// operand gives NaN, as numpy's maximum and minimum.
class MinMaxOp : public ElementwiseOpSchema {
public:
  MinMaxOp(llvm::StringRef name, bool isMax) : ElementwiseOpSchema(name, 2, 2), isMax(isMax) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    return sameTypedBinaryTypes(node, {DType::Float32, DType::Int64, DType::Int32}, std::nullopt);
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      mapBroadcast<T, T>(inputs, out,
                         [&](T x, T y) { return x != x || (isMax ? x > y : x < y) ? x : y; });
    });
    return TensorList{out};
  }

private:
  bool isMax;
};

/// Mod(A, B): the remainder with the divisor's sign (fmod = 0, integers only) or the
/// dividend's (fmod = 1, as C's fmod).
class ModOp : public ElementwiseOpSchema {
public:
  ModOp() : ElementwiseOpSchema("Mod", 2, 2) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    int64_t fmod = node.getInt("fmod", 0);
    if (fmod != 0 && fmod != 1)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'fmod' must be 0 or 1, got " + llvm::Twine(fmod));
    if (fmod == 0 && node.getInput(0)->getType().getDType() == DType::Float32)
      return nodeError(node, ErrorCode::BadModel, "fmod = 0 is for integers; float needs 1");
    return sameTypedBinaryTypes(node, {DType::Float32, DType::Int64, DType::Int32}, std::nullopt);
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    bool floored = node.getInt("fmod", 0) == 0, byZero = false;
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      mapBroadcast<T, T>(inputs, out, [&](T x, T y) -> T {
        if constexpr (std::is_integral_v<T>) {
          if (y == T(0)) {
            byZero = true;
            return T(0);
          }
          if (y == T(-1)) return T(0);
          T r = T(x % y);
          if (floored && r != T(0) && ((r < 0) != (y < 0))) r = T(r + y);
          return r;
        } else {
          return std::fmod(x, y);
        }
      });
    });
    if (byZero) return nodeError(node, ErrorCode::Shape, "integer modulo by zero");
    return TensorList{out};
  }
};

enum class LogicKind { And, Or, Xor };

/// And, Or, Xor of bool inputs.
class LogicOp : public ElementwiseOpSchema {
public:
  LogicOp(llvm::StringRef name, LogicKind kind) : ElementwiseOpSchema(name, 2, 2), kind(kind) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    return sameTypedBinaryTypes(node, {DType::Bool}, std::nullopt);
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    mapBroadcast<uint8_t, uint8_t>(inputs, out, [&](uint8_t x, uint8_t y) {
      bool a = x != 0, b = y != 0;
      return uint8_t(kind == LogicKind::And ? a && b : kind == LogicKind::Or ? a || b : a != b);
    });
    return TensorList{out};
  }

private:
  LogicKind kind;
};

/// PRelu(X, slope): X where X >= 0, X * slope elsewhere; the slope broadcasts to X's shape.
class PReluOp : public ElementwiseOpSchema {
public:
  PReluOp() : ElementwiseOpSchema("PRelu", 2, 2) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    auto types = sameTypedBinaryTypes(node, {DType::Float32}, std::nullopt);
    if (!types) return types.takeError();
    const TensorType &x = node.getInput(0)->getType();
    if ((*types)[0] != x)
      return nodeError(node, ErrorCode::Shape,
                       "slope " + node.getInput(1)->getType().str() +
                           " must broadcast to the input's shape " + x.str());
    return types;
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    mapBroadcast<float, float>(inputs, out,
                               [](float x, float slope) { return x < 0.0f ? x * slope : x; });
    return TensorList{out};
  }
};

/// Where(condition, X, Y): bool condition; X and Y of one type; all three broadcast together.
class WhereOp : public ElementwiseOpSchema {
public:
  WhereOp() : ElementwiseOpSchema("Where", 3, 3) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Bool})) return std::move(err);
    if (auto err = expectInputDType(
            node, 1,
            {DType::Float32, DType::Int64, DType::Int32, DType::Int8, DType::UInt8, DType::Bool}))
      return std::move(err);
    if (auto err = expectSameDType(node, 1, 2)) return std::move(err);
    llvm::ArrayRef<int64_t> c = node.getInput(0)->getType().getDims();
    llvm::ArrayRef<int64_t> x = node.getInput(1)->getType().getDims();
    llvm::ArrayRef<int64_t> y = node.getInput(2)->getType().getDims();
    auto cx = broadcastShapes(node, c, x);
    auto dims = cx ? broadcastShapes(node, *cx, y) : llvm::Expected<Dims>(cx.takeError());
    if (!dims) {
      llvm::consumeError(dims.takeError());
      return nodeError(node, ErrorCode::Shape,
                       "shapes " + dimsToString(c) + ", " + dimsToString(x) + " and " +
                           dimsToString(y) + " do not broadcast");
    }
    return TypeList{TensorType(node.getInput(1)->getType().getDType(), *dims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    BroadcastIndex ic(out.getDims(), inputs[0].getDims());
    BroadcastIndex ix(out.getDims(), inputs[1].getDims());
    BroadcastIndex iy(out.getDims(), inputs[2].getDims());
    auto cond = inputs[0].getData<uint8_t>();
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      auto x = inputs[1].getData<T>();
      auto y = inputs[2].getData<T>();
      auto dst = out.getMutableData<T>();
      for (int64_t i = 0, n = int64_t(dst.size()); i < n; ++i)
        dst[size_t(i)] = cond[size_t(ic(i))] ? x[size_t(ix(i))] : y[size_t(iy(i))];
    });
    return TensorList{out};
  }
};

} // namespace

std::unique_ptr<OpSchema> createAddSchema() {
  return std::make_unique<ArithOp<ArithKind::Add>>("Add");
}
std::unique_ptr<OpSchema> createSubSchema() {
  return std::make_unique<ArithOp<ArithKind::Sub>>("Sub");
}
std::unique_ptr<OpSchema> createMulSchema() {
  return std::make_unique<ArithOp<ArithKind::Mul>>("Mul");
}
std::unique_ptr<OpSchema> createDivSchema() {
  return std::make_unique<ArithOp<ArithKind::Div>>("Div");
}
std::unique_ptr<OpSchema> createPowSchema() { return std::make_unique<PowOp>(); }
std::unique_ptr<OpSchema> createEqualSchema() {
  return std::make_unique<CompareOp>("Equal", CompareKind::Equal);
}
std::unique_ptr<OpSchema> createGreaterSchema() {
  return std::make_unique<CompareOp>("Greater", CompareKind::Greater);
}
std::unique_ptr<OpSchema> createLessSchema() {
  return std::make_unique<CompareOp>("Less", CompareKind::Less);
}
std::unique_ptr<OpSchema> createGreaterOrEqualSchema() {
  return std::make_unique<CompareOp>("GreaterOrEqual", CompareKind::GreaterOrEqual);
}
std::unique_ptr<OpSchema> createLessOrEqualSchema() {
  return std::make_unique<CompareOp>("LessOrEqual", CompareKind::LessOrEqual);
}
std::unique_ptr<OpSchema> createMaxSchema() { return std::make_unique<MinMaxOp>("Max", true); }
std::unique_ptr<OpSchema> createMinSchema() { return std::make_unique<MinMaxOp>("Min", false); }
std::unique_ptr<OpSchema> createModSchema() { return std::make_unique<ModOp>(); }
std::unique_ptr<OpSchema> createAndSchema() {
  return std::make_unique<LogicOp>("And", LogicKind::And);
}
std::unique_ptr<OpSchema> createOrSchema() {
  return std::make_unique<LogicOp>("Or", LogicKind::Or);
}
std::unique_ptr<OpSchema> createXorSchema() {
  return std::make_unique<LogicOp>("Xor", LogicKind::Xor);
}
std::unique_ptr<OpSchema> createPReluSchema() { return std::make_unique<PReluOp>(); }
std::unique_ptr<OpSchema> createWhereSchema() { return std::make_unique<WhereOp>(); }

} // namespace spcc
