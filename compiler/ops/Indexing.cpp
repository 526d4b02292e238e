//===- Indexing.cpp - Scatter, GatherND and OneHot -------------------------===//
//
// Operators that address elements through an index tensor read at run time: ScatterND,
// ScatterElements (and opset 9's Scatter, imported as it), GatherND and OneHot. Negative
// indices count from the end. An index outside its axis fails the reference evaluation
// (InvalidArgument); OneHot's indices are values, not addresses, so one outside [-depth, depth)
// gives a row of off values as ONNX says.
//
// Duplicate indices in a scatter: updates apply in the order of the index tensor (row-major),
// so with reduction "none" the last write wins (ONNX leaves it undefined) and the reductions
// accumulate in that order.
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/OpHelpers.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <type_traits>

namespace spcc {
namespace {

int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

/// An index of an axis of \p dim, negative ones counted from the end; -1 when out of range.
int64_t normalizeIndex(int64_t index, int64_t dim) {
  if (index < -dim || index >= dim) return -1;
  return index < 0 ? index + dim : index;
}

llvm::Error indexError(const Node &node, int64_t index, int64_t dim) {
  return nodeError(node, ErrorCode::InvalidArgument,
                   "index " + llvm::Twine(index) + " is out of range for an axis of size " +
                       llvm::Twine(dim));
}

/// How a scatter combines an update with the element it lands on.
enum class Reduction { None, Add, Mul, Max, Min };

/// The `reduction` attribute of ScatterND and ScatterElements.
llvm::Expected<Reduction> scatterReduction(const Node &node) {
  std::string name = node.getString("reduction", "none");
  if (name == "none") return Reduction::None;
  if (name == "add") return Reduction::Add;
  if (name == "mul") return Reduction::Mul;
  if (name == "max") return Reduction::Max;
  if (name == "min") return Reduction::Min;
  return nodeError(node, ErrorCode::BadModel,
                   "reduction \"" + name + "\" is not none, add, mul, max or min");
}

/// `reduction` came with opset 16 (none, add, mul) and max and min with opset 18.
llvm::Error checkReductionOpset(const Node &node, int opset) {
  if (!node.hasAttribute("reduction")) return llvm::Error::success();
  std::string name = node.getString("reduction", "none");
  int since = name == "max" || name == "min" ? 18 : 16;
  if (opset >= since) return llvm::Error::success();
  return nodeError(node, ErrorCode::BadModel,
                   "reduction \"" + name + "\" needs opset " + llvm::Twine(since) +
                       "; the model imports opset " + llvm::Twine(opset));
}

/// The scatter's data types: any dtype when updates replace elements, float32, int64 and int32
/// for the reductions.
llvm::Error checkScatterTypes(const Node &node) {
  auto reduction = scatterReduction(node);
  if (!reduction) return reduction.takeError();
  const TensorType &data = node.getInput(0)->getType();
  if (*reduction != Reduction::None)
    if (auto err = expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32}))
      return err;
  if (node.getInput(2)->getType().getDType() != data.getDType())
    return nodeError(node, ErrorCode::BadModel,
                     "updates " + node.getInput(2)->getType().str() +
                         " must have the dtype of data " + data.str());
  return llvm::Error::success();
}

/// a combined with b; integers wrap.
template <typename T> T combine(Reduction reduction, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    if (reduction == Reduction::Add) return T(U(a) + U(b));
    if (reduction == Reduction::Mul) return T(U(a) * U(b));
  } else {
    if (reduction == Reduction::Add) return a + b;
    if (reduction == Reduction::Mul) return a * b;
  }
  if (reduction == Reduction::Max) return std::max(a, b);
  if (reduction == Reduction::Min) return std::min(a, b);
  return b;
}

/// Applies the updates to \p out in order: slice u of \p updates (\p sliceElements elements)
/// lands on the elements of \p out from targets[u] on.
void applyUpdates(Tensor &out, const Tensor &updates, llvm::ArrayRef<int64_t> targets,
                  int64_t sliceElements, Reduction reduction) {
  if (reduction == Reduction::None) {
    size_t size = dtypeSize(out.getDType()), chunk = size_t(sliceElements) * size;
    for (size_t u = 0; u < targets.size(); ++u)
      if (chunk > 0)
        std::memcpy(out.getMutableBytes().data() + size_t(targets[u]) * size,
                    updates.getBytes().data() + u * chunk, chunk);
    return;
  }
  dispatchDType(out.getDType(), [&](auto zero) {
    using T = decltype(zero);
    T *dst = out.getMutableData<T>().data();
    const T *src = updates.getData<T>().data();
    for (size_t u = 0; u < targets.size(); ++u)
      for (int64_t j = 0; j < sliceElements; ++j)
        dst[targets[u] + j] =
            combine(reduction, dst[targets[u] + j], src[int64_t(u) * sliceElements + j]);
  });
}

/// ScatterND(data, indices, updates): a copy of data where each row of indices' last axis
/// (k = indices.shape[-1] int64 coordinates) addresses a slice data[i0, ..., ik-1, ...] that the
/// matching slice of updates (shape indices.shape[:-1] + data.shape[k:]) replaces or is
/// combined with by `reduction`.
class ScatterNDOp : public OpSchema {
public:
  ScatterNDOp() : OpSchema("ScatterND", 3, 3) {}
  llvm::Error upgrade(Node &node, int opset, Graph &) const override {
    return checkReductionOpset(node, opset);
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 1, {DType::Int64})) return std::move(err);
    if (auto err = checkScatterTypes(node)) return std::move(err);
    const TensorType &data = node.getInput(0)->getType();
    const TensorType &indices = node.getInput(1)->getType();
    const TensorType &updates = node.getInput(2)->getType();
    if (indices.getRank() < 1 || indices.getDims().back() > data.getRank())
      return nodeError(node, ErrorCode::Shape,
                       "indices " + indices.str() +
                           " must have a last dim of at most the rank of data " + data.str());
    int64_t k = indices.getDims().back();
    Dims expected(indices.getDims().drop_back());
    expected.append(data.getDims().begin() + k, data.getDims().end());
    if (updates.getDims() != llvm::ArrayRef<int64_t>(expected))
      return nodeError(node, ErrorCode::Shape,
                       "updates " + updates.str() + " must have dims " + dimsToString(expected) +
                           " for data " + data.str() + " and indices " + indices.str());
    return TypeList{data};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &data = inputs[0], &indices = inputs[1], &updates = inputs[2];
    auto reduction = scatterReduction(node);
    if (!reduction) return reduction.takeError();
    llvm::ArrayRef<int64_t> dims = data.getDims();
    int64_t k = indices.getDims().back();
    Dims strides = stridesOf(dims);
    int64_t slice = product(dims.drop_front(size_t(k)));
    std::vector<int64_t> targets;
    for (int64_t u = 0, n = product(indices.getDims().drop_back()); u < n; ++u) {
      int64_t offset = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t index = indices.getAsInt(u * k + j), dim = dims[size_t(j)];
        int64_t i = normalizeIndex(index, dim);
        if (i < 0) return indexError(node, index, dim);
        offset += i * strides[size_t(j)];
      }
      targets.push_back(offset);
    }
    Tensor out(data.getType(), data.getBytes());
    applyUpdates(out, updates, targets, slice, *reduction);
    return TensorList{out};
  }
};

/// ScatterElements(data, indices, updates) along `axis`: a copy of data where the element of
/// updates at position p (indices and updates have one shape, of data's rank and no larger off
/// the axis) lands on data at p with p[axis] replaced by indices[p]. Scatter (opsets 9 and 10)
/// is the same op without `reduction` and is imported as it.
class ScatterElementsOp : public OpSchema {
public:
  explicit ScatterElementsOp(llvm::StringRef name = "ScatterElements") : OpSchema(name, 3, 3) {}
  llvm::Error upgrade(Node &node, int opset, Graph &) const override {
    return checkReductionOpset(node, opset);
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 1, {DType::Int64, DType::Int32})) return std::move(err);
    if (auto err = checkScatterTypes(node)) return std::move(err);
    const TensorType &data = node.getInput(0)->getType();
    const TensorType &indices = node.getInput(1)->getType();
    const TensorType &updates = node.getInput(2)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", 0), data.getRank());
    if (!axis) return axis.takeError();
    if (indices.getRank() != data.getRank() || updates.getDims() != indices.getDims())
      return nodeError(node, ErrorCode::Shape,
                       "indices " + indices.str() + " and updates " + updates.str() +
                           " must have one shape, of the rank of data " + data.str());
    for (int d = 0; d < data.getRank(); ++d)
      if (d != *axis && indices.getDim(d) > data.getDim(d))
        return nodeError(node, ErrorCode::Shape,
                         "indices " + indices.str() + " exceed data " + data.str() + " on axis " +
                             llvm::Twine(d));
    return TypeList{data};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &data = inputs[0], &indices = inputs[1], &updates = inputs[2];
    auto reduction = scatterReduction(node);
    if (!reduction) return reduction.takeError();
    int rank = data.getRank();
    int axis = int(node.getInt("axis", 0));
    if (axis < 0) axis += rank;
    int64_t axisDim = data.getDims()[size_t(axis)];
    Dims dataStrides = stridesOf(data.getDims());
    llvm::ArrayRef<int64_t> dims = indices.getDims();
    std::vector<int64_t> targets;
    for (int64_t e = 0, n = indices.getNumElements(); e < n; ++e) {
      int64_t index = indices.getAsInt(e);
      int64_t i = normalizeIndex(index, axisDim);
      if (i < 0) return indexError(node, index, axisDim);
      int64_t rest = e, offset = 0;
      for (int d = rank - 1; d >= 0; --d) {
        int64_t coord = rest % dims[size_t(d)];
        rest /= dims[size_t(d)];
        offset += (d == axis ? i : coord) * dataStrides[size_t(d)];
      }
      targets.push_back(offset);
    }
    Tensor out(data.getType(), data.getBytes());
    applyUpdates(out, updates, targets, 1, *reduction);
    return TensorList{out};
  }
};

/// Scatter of opsets 9 and 10 (deprecated in 11): ScatterElements by another name.
class ScatterOp : public ScatterElementsOp {
public:
  ScatterOp() : ScatterElementsOp("Scatter") {}
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    node.setOp("ScatterElements", lookupOpSchema("ScatterElements"));
    return node.getSchema().upgrade(node, opset, graph);
  }
};

/// GatherND(data, indices) with `batch_dims` b: for each of the leading b axes (shared by data
/// and indices) and each row of indices' last axis (k int64 coordinates, 1 <= k <= rank - b),
/// the slice data[batch..., i0, ..., ik-1, ...]. Output dims: indices.shape[:-1] +
/// data.shape[b + k:].
class GatherNDOp : public OpSchema {
public:
  GatherNDOp() : OpSchema("GatherND", 2, 2) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 1, {DType::Int64})) return std::move(err);
    const TensorType &data = node.getInput(0)->getType();
    const TensorType &indices = node.getInput(1)->getType();
    int64_t b = node.getInt("batch_dims", 0);
    int r = data.getRank(), q = indices.getRank();
    if (b < 0 || b >= std::min(r, q))
      return nodeError(node, ErrorCode::BadModel,
                       "batch_dims " + llvm::Twine(b) + " must be below the ranks of data " +
                           data.str() + " and indices " + indices.str());
    int64_t k = indices.getDims().back();
    if (k < 1 || k > r - b)
      return nodeError(node, ErrorCode::Shape,
                       "indices " + indices.str() + " must have a last dim in [1, " +
                           llvm::Twine(r - b) + "] for data " + data.str() + " and batch_dims " +
                           llvm::Twine(b));
    if (indices.getDims().take_front(size_t(b)) != data.getDims().take_front(size_t(b)))
      return nodeError(node, ErrorCode::Shape,
                       "the first " + llvm::Twine(b) + " dims of indices " + indices.str() +
                           " and data " + data.str() + " must match");
    Dims dims(indices.getDims().drop_back());
    dims.append(data.getDims().begin() + b + k, data.getDims().end());
    return TypeList{TensorType(data.getDType(), dims)};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &data = inputs[0], &indices = inputs[1];
    size_t b = size_t(node.getInt("batch_dims", 0));
    llvm::ArrayRef<int64_t> dims = data.getDims();
    int64_t k = indices.getDims().back();
    int64_t batches = product(dims.take_front(b));
    int64_t tuples = batches == 0 ? 0 : indices.getNumElements() / k / batches;
    int64_t slice = product(dims.drop_front(b + size_t(k)));
    Dims strides = stridesOf(dims);
    int64_t batchStride = b == 0 ? 0 : strides[b - 1];
    Tensor out(node.getOutput(0)->getType());
    size_t size = dtypeSize(data.getDType()), chunk = size_t(slice) * size;
    for (int64_t t = 0; t < batches * tuples; ++t) {
      int64_t offset = t / std::max<int64_t>(tuples, 1) * batchStride;
      for (int64_t j = 0; j < k; ++j) {
        int64_t index = indices.getAsInt(t * k + j), dim = dims[b + size_t(j)];
        int64_t i = normalizeIndex(index, dim);
        if (i < 0) return indexError(node, index, dim);
        offset += i * strides[b + size_t(j)];
      }
      if (chunk > 0)
        std::memcpy(out.getMutableBytes().data() + size_t(t) * chunk,
                    data.getBytes().data() + size_t(offset) * size, chunk);
    }
    return TensorList{out};
  }
};

/// OneHot(indices, depth, values) along `axis` (default -1, the new last axis): out has the
/// indices' dims with depth inserted at axis and holds values[1] (on) where the coordinate on
/// axis equals the index (negative counted from the end, floats truncated), values[0] (off)
/// elsewhere. depth, a scalar, must be known at compile time.
class OneHotOp : public OpSchema {
public:
  OneHotOp() : OpSchema("OneHot", 3, 3) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    if (auto err = expectInputDType(node, 0, {DType::Int64, DType::Int32, DType::Float32}))
      return std::move(err);
    if (auto err = expectInputDType(node, 1, {DType::Int64, DType::Int32, DType::Float32}))
      return std::move(err);
    const TensorType &indices = node.getInput(0)->getType();
    const TensorType &values = node.getInput(2)->getType();
    if (values.getRank() != 1 || values.getDim(0) != 2)
      return nodeError(node, ErrorCode::Shape,
                       "values " + values.str() + " must hold two elements: off, on");
    if (node.getInput(1)->getType().getNumElements() != 1)
      return nodeError(node, ErrorCode::Shape,
                       "depth " + node.getInput(1)->getType().str() + " must be a scalar");
    auto depthTensor = requireKnown(node, known, 1, "depth");
    if (!depthTensor) return depthTensor.takeError();
    auto depth = depthOf(node, **depthTensor);
    if (!depth) return depth.takeError();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), indices.getRank() + 1);
    if (!axis) return axis.takeError();
    if (indices.getNumElements() > kMaxTensorElements / *depth)
      return nodeError(node, ErrorCode::Unsupported, "the one-hot tensor would be too large");
    Dims dims(indices.getDims());
    dims.insert(dims.begin() + *axis, *depth);
    return TypeList{TensorType(values.getDType(), dims)};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &indices = inputs[0], &values = inputs[2];
    auto depth = depthOf(node, inputs[1]);
    if (!depth) return depth.takeError();
    int axis = int(node.getInt("axis", -1));
    if (axis < 0) axis += indices.getRank() + 1;
    int64_t inner = product(indices.getDims().drop_front(size_t(axis)));
    Tensor out(node.getOutput(0)->getType());
    size_t size = dtypeSize(values.getDType());
    for (int64_t e = 0, n = out.getNumElements(); e < n; ++e) {
      int64_t i = e % inner, d = e / inner % *depth, o = e / inner / *depth;
      int64_t index = oneHotIndex(indices.getAsDouble(o * inner + i), *depth);
      std::memcpy(out.getMutableBytes().data() + size_t(e) * size,
                  values.getBytes().data() + (index == d ? size : 0), size);
    }
    return TensorList{out};
  }

private:
  static llvm::Expected<int64_t> depthOf(const Node &node, const Tensor &depth) {
    double value = depth.getAsDouble(0);
    if (!(value >= 1 && value <= double(kMaxTensorElements))) {
      char text[32];
      std::snprintf(text, sizeof(text), "%g", value);
      return nodeError(node, ErrorCode::BadModel,
                       llvm::Twine("depth must be a positive count, got ") + text);
    }
    return int64_t(value);
  }
  /// The index on the one-hot axis (truncated, negative counted from the end); -1 when outside
  /// [-depth, depth), which gives a row of off values. The kernel computes it alike.
  static int64_t oneHotIndex(double value, int64_t depth) {
    if (!(value > double(-depth - 1) && value < double(depth))) return -1;
    int64_t index = int64_t(value);
    return normalizeIndex(index, depth);
  }
};

} // namespace

std::unique_ptr<OpSchema> createScatterNDSchema() { return std::make_unique<ScatterNDOp>(); }
std::unique_ptr<OpSchema> createScatterElementsSchema() {
  return std::make_unique<ScatterElementsOp>();
}
std::unique_ptr<OpSchema> createScatterSchema() { return std::make_unique<ScatterOp>(); }
std::unique_ptr<OpSchema> createGatherNDSchema() { return std::make_unique<GatherNDOp>(); }
std::unique_ptr<OpSchema> createOneHotSchema() { return std::make_unique<OneHotOp>(); }

} // namespace spcc
