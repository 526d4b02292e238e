//===- Binary.cpp - Broadcasting elementwise binary operators, and Where -===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <cmath>
#include <limits>
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

/// Equal(A, B) -> bool, on float32, int64, int32 or bool inputs of one type.
class EqualOp : public ElementwiseOpSchema {
public:
  EqualOp() : ElementwiseOpSchema("Equal", 2, 2) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err =
            expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32, DType::Bool}))
      return std::move(err);
    if (auto err = expectSameDType(node, 0, 1)) return std::move(err);
    auto dims = broadcastShapes(node, node.getInput(0)->getType().getDims(),
                                node.getInput(1)->getType().getDims());
    if (!dims) return dims.takeError();
    return TypeList{TensorType(DType::Bool, *dims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    BroadcastIndex ia(out.getDims(), inputs[0].getDims());
    BroadcastIndex ib(out.getDims(), inputs[1].getDims());
    auto dst = out.getMutableData<uint8_t>();
    dispatchDType(inputs[0].getDType(), [&](auto zero) {
      using T = decltype(zero);
      auto a = inputs[0].getData<T>();
      auto b = inputs[1].getData<T>();
      for (int64_t i = 0, n = int64_t(dst.size()); i < n; ++i)
        dst[size_t(i)] = a[size_t(ia(i))] == b[size_t(ib(i))] ? 1 : 0;
    });
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
std::unique_ptr<OpSchema> createEqualSchema() { return std::make_unique<EqualOp>(); }
std::unique_ptr<OpSchema> createWhereSchema() { return std::make_unique<WhereOp>(); }

} // namespace spcc
