//===- Shape.cpp - Shape queries and shape-only rearrangements -----------===//
//
// Shape, Reshape, Flatten, Squeeze, Unsqueeze, Expand, ConstantOfShape and Range. Their output
// shapes depend on input values (a target shape, axes, range bounds), which must be known at
// compile time. Data is moved without being interpreted, so every dtype works.
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace spcc {
namespace {

/// Reads the known 1-D int64 input \p index (a shape or a list of axes).
llvm::Expected<Dims> knownInts(const Node &node, KnownInputs known, size_t index,
                               llvm::StringRef what) {
  if (auto err = expectInputDType(node, index, {DType::Int64})) return std::move(err);
  if (auto err = expectInputRank(node, index, 1)) return std::move(err);
  auto tensor = requireKnown(node, known, index, what);
  if (!tensor) return tensor.takeError();
  return Dims((*tensor)->toInts());
}

/// Normalizes \p axes for \p rank and rejects repeated axes.
llvm::Expected<Dims> normalizeAxes(const Node &node, llvm::ArrayRef<int64_t> axes, int rank) {
  Dims out;
  for (int64_t axis : axes) {
    auto a = normalizeAxis(node, axis, rank);
    if (!a) return a.takeError();
    if (llvm::is_contained(out, *a))
      return nodeError(node, ErrorCode::BadModel, "axis " + llvm::Twine(axis) + " is repeated");
    out.push_back(*a);
  }
  return out;
}

/// Base of ops whose output is the input's data with other dims.
class ReshapeLikeOp : public OpSchema {
public:
  using OpSchema::OpSchema;
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    return TensorList{inputs[0].reshaped(node.getOutput(0)->getType().getDims())};
  }
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t batch) const override {
    return reshapeSampleLayouts(node, inputs, batch);
  }
};

/// Shape(data) with opset 15's start and end attributes: an int64 vector of dims.
class ShapeOp : public OpSchema {
public:
  ShapeOp() : OpSchema("Shape", 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    return TypeList{shapeOf(node).getType()};
  }
  llvm::Expected<TensorList> evaluate(const Node &node, llvm::ArrayRef<Tensor>) const override {
    return TensorList{shapeOf(node)};
  }
  std::optional<Tensor> foldFromTypes(const Node &node) const override { return shapeOf(node); }

private:
  /// The selected dims; start and end are clamped to [0, rank] after adding rank to negatives.
  static Tensor shapeOf(const Node &node) {
    llvm::ArrayRef<int64_t> dims = node.getInput(0)->getType().getDims();
    int64_t rank = int64_t(dims.size());
    auto clampIndex = [&](int64_t i) {
      if (i < 0) i += rank;
      return std::clamp<int64_t>(i, 0, rank);
    };
    int64_t start = clampIndex(node.getInt("start", 0));
    int64_t end = clampIndex(node.getInt("end", rank));
    llvm::ArrayRef<int64_t> selected =
        end > start ? dims.slice(size_t(start), size_t(end - start)) : llvm::ArrayRef<int64_t>();
    return Tensor::fromVector<int64_t>({int64_t(selected.size())}, selected);
  }
};

/// Size(data): the number of elements, an int64 scalar known from the input's type.
class SizeOp : public OpSchema {
public:
  SizeOp() : OpSchema("Size", 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    return TypeList{TensorType(DType::Int64, {})};
  }
  llvm::Expected<TensorList> evaluate(const Node &node, llvm::ArrayRef<Tensor>) const override {
    return TensorList{sizeOf(node)};
  }
  std::optional<Tensor> foldFromTypes(const Node &node) const override { return sizeOf(node); }

private:
  static Tensor sizeOf(const Node &node) {
    return Tensor::scalar<int64_t>(node.getInput(0)->getType().getNumElements());
  }
};

/// EyeLike(input): a matrix of input's shape with ones on diagonal k (columns - rows = k), of
/// element type `dtype` (default: the input's); known from the input's type alone.
class EyeLikeOp : public OpSchema {
public:
  EyeLikeOp() : OpSchema("EyeLike", 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    const TensorType &in = node.getInput(0)->getType();
    if (in.getRank() != 2)
      return nodeError(node, ErrorCode::Shape, "input must be 2-D, got " + in.str());
    DType dtype = in.getDType();
    if (node.hasAttribute("dtype")) {
      std::optional<DType> given = dtypeFromOnnx(int(node.getInt("dtype", 0)));
      if (!given || *given == DType::Float16)
        return nodeError(node, ErrorCode::Unsupported,
                         "dtype " + onnxTypeName(int(node.getInt("dtype", 0))) +
                             " is not supported");
      dtype = *given;
    }
    return TypeList{TensorType(dtype, in.getDims())};
  }
  llvm::Expected<TensorList> evaluate(const Node &node, llvm::ArrayRef<Tensor>) const override {
    return TensorList{*foldFromTypes(node)};
  }
  std::optional<Tensor> foldFromTypes(const Node &node) const override {
    auto types = inferTypes(node, {});
    if (!types) {
      llvm::consumeError(types.takeError());
      return std::nullopt;
    }
    Tensor eye((*types)[0]);
    int64_t rows = eye.getDims()[0], cols = eye.getDims()[1], k = node.getInt("k", 0);
    dispatchDType(eye.getDType(), [&](auto zero) {
      using T = decltype(zero);
      auto data = eye.getMutableData<T>();
      for (int64_t i = 0; i < rows; ++i)
        if (i + k >= 0 && i + k < cols) data[size_t(i * cols + i + k)] = T(1);
    });
    return eye;
  }
};

/// Reshape(data, shape): 0 copies the input dim (unless allowzero=1), one -1 is inferred.
class ReshapeOp : public ReshapeLikeOp {
public:
  ReshapeOp() : ReshapeLikeOp("Reshape", 2, 2) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &in = node.getInput(0)->getType();
    auto shape = knownInts(node, known, 1, "shape");
    if (!shape) return shape.takeError();
    bool allowZero = node.getInt("allowzero", 0) != 0;
    Dims dims;
    int inferred = -1;
    int64_t product = 1;
    for (size_t i = 0; i < shape->size(); ++i) {
      int64_t d = (*shape)[i];
      if (d == -1) {
        if (inferred >= 0)
          return nodeError(node, ErrorCode::BadModel,
                           "shape " + dimsToString(*shape) + " has more than one -1");
        inferred = int(i);
      } else if (d == 0 && !allowZero) {
        if (int(i) >= in.getRank())
          return nodeError(node, ErrorCode::Shape,
                           "shape " + dimsToString(*shape) + " copies dim " + llvm::Twine(i) +
                               " that input " + in.str() + " does not have");
        d = in.getDim(int(i));
      } else if (d < 0) {
        return nodeError(node, ErrorCode::BadModel,
                         "shape " + dimsToString(*shape) + " has a negative dim");
      }
      dims.push_back(d);
      if (d >= 0 && __builtin_mul_overflow(product, d, &product))
        return nodeError(node, ErrorCode::Shape,
                         "shape " + dimsToString(*shape) + " has too many elements");
    }
    if (allowZero && inferred >= 0 && product == 0)
      return nodeError(node, ErrorCode::BadModel,
                       "shape " + dimsToString(*shape) + " has both 0 and -1 with allowzero=1");
    int64_t total = in.getNumElements();
    if (inferred >= 0) {
      if (product == 0 || total % product != 0) return mismatch(node, in, *shape);
      dims[size_t(inferred)] = total / product;
    } else if (product != total) {
      return mismatch(node, in, *shape);
    }
    return TypeList{TensorType(in.getDType(), dims)};
  }

private:
  static llvm::Error mismatch(const Node &node, const TensorType &in,
                              llvm::ArrayRef<int64_t> shape) {
    return nodeError(node, ErrorCode::Shape,
                     "cannot reshape " + in.str() + " (" + llvm::Twine(in.getNumElements()) +
                         " elements) to " + dimsToString(shape));
  }
};

/// Flatten(data) to 2D at `axis` (in [-rank, rank]).
class FlattenOp : public ReshapeLikeOp {
public:
  FlattenOp() : ReshapeLikeOp("Flatten", 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    const TensorType &in = node.getInput(0)->getType();
    int64_t rank = in.getRank();
    int64_t axis = node.getInt("axis", 1);
    if (axis < -rank || axis > rank)
      return nodeError(node, ErrorCode::BadModel,
                       "axis " + llvm::Twine(axis) + " is out of range for rank " +
                           llvm::Twine(rank));
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= in.getDim(int(i));
    return TypeList{TensorType(in.getDType(), {outer, inner})};
  }
};

/// Squeeze(data, axes?): removes the listed dims of size 1, or every dim of size 1.
class SqueezeOp : public ReshapeLikeOp {
public:
  SqueezeOp() : ReshapeLikeOp("Squeeze", 1, 2) {}
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset >= 13) return llvm::Error::success();
    return moveIntsAttributeToInput(node, graph, "axes", 1);
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &in = node.getInput(0)->getType();
    llvm::SmallVector<bool, 4> drop(size_t(in.getRank()), false);
    if (node.getInput(1)) {
      auto axes = knownInts(node, known, 1, "axes");
      if (!axes) return axes.takeError();
      auto normalized = normalizeAxes(node, *axes, in.getRank());
      if (!normalized) return normalized.takeError();
      for (int64_t axis : *normalized) {
        if (in.getDim(int(axis)) != 1)
          return nodeError(node, ErrorCode::Shape,
                           "cannot squeeze dim " + llvm::Twine(axis) + " of size " +
                               llvm::Twine(in.getDim(int(axis))) + " in " + in.str());
        drop[size_t(axis)] = true;
      }
    } else {
      for (int i = 0; i < in.getRank(); ++i) drop[size_t(i)] = in.getDim(i) == 1;
    }
    Dims dims;
    for (int i = 0; i < in.getRank(); ++i)
      if (!drop[size_t(i)]) dims.push_back(in.getDim(i));
    return TypeList{TensorType(in.getDType(), dims)};
  }
};

/// Unsqueeze(data, axes): inserts dims of size 1; axes index the output.
class UnsqueezeOp : public ReshapeLikeOp {
public:
  UnsqueezeOp() : ReshapeLikeOp("Unsqueeze", 1, 2) {}
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset >= 13) return llvm::Error::success();
    return moveIntsAttributeToInput(node, graph, "axes", 1);
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &in = node.getInput(0)->getType();
    if (!node.getInput(1)) return nodeError(node, ErrorCode::BadModel, "input 1 (axes) is missing");
    auto axes = knownInts(node, known, 1, "axes");
    if (!axes) return axes.takeError();
    int outRank = in.getRank() + int(axes->size());
    auto normalized = normalizeAxes(node, *axes, outRank);
    if (!normalized) return normalized.takeError();
    Dims dims;
    llvm::ArrayRef<int64_t> rest = in.getDims();
    for (int i = 0; i < outRank; ++i) {
      if (llvm::is_contained(*normalized, i)) {
        dims.push_back(1);
      } else {
        dims.push_back(rest.front());
        rest = rest.drop_front();
      }
    }
    return TypeList{TensorType(in.getDType(), dims)};
  }
};

/// Expand(data, shape): broadcasts data and shape against each other.
class ExpandOp : public OpSchema {
public:
  ExpandOp() : OpSchema("Expand", 2, 2) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &in = node.getInput(0)->getType();
    auto shape = knownInts(node, known, 1, "shape");
    if (!shape) return shape.takeError();
    if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
      return nodeError(node, ErrorCode::BadModel,
                       "shape " + dimsToString(*shape) + " has a negative dim");
    auto dims = broadcastShapes(node, in.getDims(), *shape);
    if (!dims) return dims.takeError();
    return TypeList{TensorType(in.getDType(), *dims)};
  }
  /// Split data keeps its samples on the same axis (only dims of 1 broadcast).
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t batch) const override {
    if (!inputs[0].isSplit() || inputs[1].isSplit())
      return reshapeSampleLayouts(node, inputs, batch); // shared, or refused
    int offset = node.getOutput(0)->getType().getRank() - node.getInput(0)->getType().getRank();
    return SampleLayouts{SampleLayout::split(offset + inputs[0].axis)};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    std::vector<int64_t> offsets = broadcastOffsets(out.getDims(), inputs[0].getDims());
    dispatchElementSize(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      const T *src = reinterpret_cast<const T *>(inputs[0].getBytes().data());
      auto dst = out.getMutableData<T>();
      for (size_t i = 0; i < dst.size(); ++i) dst[i] = src[offsets[i]];
    });
    return TensorList{out};
  }
};

/// ConstantOfShape(shape): a tensor of the given shape filled with the one-element `value`
/// attribute (default float 0).
class ConstantOfShapeOp : public OpSchema {
public:
  ConstantOfShapeOp() : OpSchema("ConstantOfShape", 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    auto shape = knownInts(node, known, 0, "shape");
    if (!shape) return shape.takeError();
    if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
      return nodeError(node, ErrorCode::BadModel,
                       "shape " + dimsToString(*shape) + " has a negative dim");
    const Tensor *value = node.getTensor("value");
    if (value && value->getNumElements() != 1)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'value' must have one element, got " + value->getType().str());
    return TypeList{TensorType(value ? value->getDType() : DType::Float32, *shape)};
  }
  llvm::Expected<TensorList> evaluate(const Node &node, llvm::ArrayRef<Tensor>) const override {
    Tensor out(node.getOutput(0)->getType());
    const Tensor *value = node.getTensor("value");
    if (!value) return TensorList{out}; // zero-filled
    dispatchElementSize(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      T fill = *reinterpret_cast<const T *>(value->getBytes().data());
      for (T &x : out.getMutableData<T>()) x = fill;
    });
    return TensorList{out};
  }
};

/// Range(start, limit, delta): known scalars of one dtype; max(ceil((limit-start)/delta), 0)
/// elements start + i * delta.
class RangeOp : public OpSchema {
public:
  RangeOp() : OpSchema("Range", 3, 3) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    static const char *const names[] = {"start", "limit", "delta"};
    if (auto err = expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32}))
      return std::move(err);
    DType dtype = node.getInput(0)->getType().getDType();
    const Tensor *args[3];
    for (size_t i = 0; i < 3; ++i) {
      const TensorType &type = node.getInput(i)->getType();
      if (type.getDType() != dtype || type.getNumElements() != 1)
        return nodeError(node, ErrorCode::Shape,
                         llvm::Twine(names[i]) + " must be a scalar of the start's type " +
                             dtypeName(dtype) + ", got " + type.str());
      auto value = requireKnown(node, known, i, names[i]);
      if (!value) return value.takeError();
      args[i] = *value;
    }
    auto count = rangeLength(node, *args[0], *args[1], *args[2]);
    if (!count) return count.takeError();
    return TypeList{TensorType(dtype, {*count})};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    dispatchDType(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      T start = inputs[0].getData<T>()[0], delta = inputs[2].getData<T>()[0];
      auto dst = out.getMutableData<T>();
      for (size_t i = 0; i < dst.size(); ++i) {
        if constexpr (std::is_integral_v<T>) {
          // Wraps as the kernels' integer arithmetic does, instead of overflowing.
          using U = std::make_unsigned_t<T>;
          dst[i] = T(U(start) + U(i) * U(delta));
        } else {
          dst[i] = T(start + T(i) * delta);
        }
      }
    });
    return TensorList{out};
  }

private:
  /// Longest range spcc evaluates ahead; longer ones are surely a mistake in the model.
  static constexpr int64_t maxLength = int64_t(1) << 31;

  static llvm::Expected<int64_t> rangeLength(const Node &node, const Tensor &start,
                                             const Tensor &limit, const Tensor &delta) {
    double length;
    if (start.getDType() == DType::Float32) {
      float s = start.getData<float>()[0], l = limit.getData<float>()[0];
      float d = delta.getData<float>()[0];
      if (d == 0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
        return nodeError(node, ErrorCode::BadModel,
                         "start, limit and delta must be finite and delta nonzero");
      length = std::ceil(double(l - s) / double(d));
    } else {
      int64_t s = start.getAsInt(0), l = limit.getAsInt(0), d = delta.getAsInt(0);
      if (d == 0) return nodeError(node, ErrorCode::BadModel, "delta must be nonzero");
      // Exact ceil((l - s) / d) in 128 bits: l - s may not fit in 64.
      __int128 diff = __int128(l) - __int128(s);
      if (diff == 0 || (diff > 0) != (d > 0)) return int64_t(0);
      __int128 magnitude = diff > 0 ? diff : -diff, step = d > 0 ? d : -__int128(d);
      __int128 n = (magnitude + step - 1) / step;
      length = n > maxLength ? double(maxLength) + 1 : double(n);
    }
    if (length > double(maxLength))
      return nodeError(node, ErrorCode::Unsupported,
                       "range has more than " + llvm::Twine(maxLength) + " elements");
    return int64_t(std::max(length, 0.0));
  }
};

} // namespace

std::unique_ptr<OpSchema> createSizeSchema() { return std::make_unique<SizeOp>(); }
std::unique_ptr<OpSchema> createEyeLikeSchema() { return std::make_unique<EyeLikeOp>(); }
std::unique_ptr<OpSchema> createShapeSchema() { return std::make_unique<ShapeOp>(); }
std::unique_ptr<OpSchema> createReshapeSchema() { return std::make_unique<ReshapeOp>(); }
std::unique_ptr<OpSchema> createFlattenSchema() { return std::make_unique<FlattenOp>(); }
std::unique_ptr<OpSchema> createSqueezeSchema() { return std::make_unique<SqueezeOp>(); }
std::unique_ptr<OpSchema> createUnsqueezeSchema() { return std::make_unique<UnsqueezeOp>(); }
std::unique_ptr<OpSchema> createExpandSchema() { return std::make_unique<ExpandOp>(); }
std::unique_ptr<OpSchema> createConstantOfShapeSchema() {
  return std::make_unique<ConstantOfShapeOp>();
}
std::unique_ptr<OpSchema> createRangeSchema() { return std::make_unique<RangeOp>(); }

} // namespace spcc
