//===- DataMovement.cpp - Operators that move data ------------------------===//
//
// Transpose, Concat, Split, Slice, Gather and Pad. They copy elements without interpreting
// them, so every dtype works; values that decide output shapes (Split's split, Slice's
// starts/ends/axes/steps, Pad's pads) must be known at compile time.
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace spcc {
namespace {

/// The bytes of a freshly created tensor, for memcpy.
uint8_t *mutableBytes(Tensor &t) { return t.getMutableData<uint8_t>().data(); }

int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

/// Reads the known 1-D integer input \p index (int64, or int32 where \p allowInt32).
llvm::Expected<Dims> knownInts(const Node &node, KnownInputs known, size_t index,
                               llvm::StringRef what, bool allowInt32 = false) {
  if (auto err = allowInt32 ? expectInputDType(node, index, {DType::Int64, DType::Int32})
                            : expectInputDType(node, index, {DType::Int64}))
    return std::move(err);
  if (auto err = expectInputRank(node, index, 1)) return std::move(err);
  auto tensor = requireKnown(node, known, index, what);
  if (!tensor) return tensor.takeError();
  return Dims((*tensor)->toInts());
}

/// Fills \p out (row-major) from \p in: the output element at index i comes from input element
/// base + sum(i[a] * inSteps[a]). Transposes and strided slices are such copies.
void stridedCopy(const Tensor &in, Tensor &out, int64_t base, llvm::ArrayRef<int64_t> inSteps) {
  llvm::ArrayRef<int64_t> dims = out.getDims();
  if (out.getNumElements() == 0) return;
  int rank = int(dims.size());
  dispatchElementSize(out.getDType(), [&](auto zero) {
    using T = decltype(zero);
    const T *src = reinterpret_cast<const T *>(in.getBytes().data());
    T *dst = out.getMutableData<T>().data();
    if (rank == 0) {
      dst[0] = src[base];
      return;
    }
    int64_t inner = dims[size_t(rank - 1)], innerStep = inSteps[size_t(rank - 1)];
    Dims index(size_t(rank), 0);
    int64_t offset = base;
    for (int64_t rows = out.getNumElements() / inner; rows > 0; --rows) {
      for (int64_t j = 0; j < inner; ++j) *dst++ = src[offset + j * innerStep];
      // Advance the outer axes like an odometer.
      for (int a = rank - 2; a >= 0; --a) {
        offset += inSteps[size_t(a)];
        if (++index[size_t(a)] < dims[size_t(a)]) break;
        offset -= inSteps[size_t(a)] * dims[size_t(a)];
        index[size_t(a)] = 0;
      }
    }
  });
}

/// Transpose(data) by `perm` (default: reversed axes).
class TransposeOp : public OpSchema {
public:
  TransposeOp() : OpSchema("Transpose", 1, 1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    const TensorType &in = node.getInput(0)->getType();
    auto perm = permutation(node);
    if (!perm) return perm.takeError();
    Dims dims;
    for (int64_t p : *perm) dims.push_back(in.getDim(int(p)));
    return TypeList{TensorType(in.getDType(), dims)};
  }
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    if (!inputs[0].isSplit()) return leadingAxisSampleLayouts(node, inputs, {});
    auto perm = permutation(node);
    if (!perm) return perm.takeError();
    int outAxis = int(llvm::find(*perm, int64_t(inputs[0].axis)) - perm->begin());
    return SampleLayouts{SampleLayout::split(outAxis)};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    auto perm = permutation(node);
    if (!perm) return perm.takeError();
    Dims inStrides = stridesOf(inputs[0].getDims()), steps;
    for (int64_t p : *perm) steps.push_back(inStrides[size_t(p)]);
    Tensor out(node.getOutput(0)->getType());
    stridedCopy(inputs[0], out, 0, steps);
    return TensorList{out};
  }

private:
  static llvm::Expected<Dims> permutation(const Node &node) {
    int rank = node.getInput(0)->getType().getRank();
    if (!node.hasAttribute("perm")) {
      Dims perm;
      for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
      return perm;
    }
    std::vector<int64_t> permAttr = node.getInts("perm");
    Dims perm(permAttr.begin(), permAttr.end());
    llvm::SmallVector<bool, 4> seen(size_t(rank), false);
    bool valid = int(perm.size()) == rank;
    for (int64_t p : perm) {
      if (!valid || p < 0 || p >= rank || seen[size_t(p)]) {
        valid = false;
        break;
      }
      seen[size_t(p)] = true;
    }
    if (!valid)
      return nodeError(node, ErrorCode::BadModel,
                       "perm " + dimsToString(perm) + " is not a permutation of the " +
                           llvm::Twine(rank) + " axes of the input");
    return perm;
  }
};

/// Concat(inputs...) along `axis`: same dtype and rank, equal dims off the axis.
class ConcatOp : public OpSchema {
public:
  ConcatOp() : OpSchema("Concat", 1, -1) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (!node.hasAttribute("axis"))
      return nodeError(node, ErrorCode::BadModel, "attribute 'axis' is required");
    const TensorType &first = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", 0), first.getRank());
    if (!axis) return axis.takeError();
    Dims dims(first.getDims());
    dims[size_t(*axis)] = 0;
    for (size_t i = 0; i < node.getNumInputs(); ++i) {
      const Value *v = node.getInput(i);
      if (!v)
        return nodeError(node, ErrorCode::BadModel, "input " + llvm::Twine(i) + " is missing");
      const TensorType &type = v->getType();
      bool fits = type.getDType() == first.getDType() && type.getRank() == first.getRank();
      for (int a = 0; fits && a < first.getRank(); ++a)
        fits = a == *axis || type.getDim(a) == first.getDim(a);
      if (!fits)
        return nodeError(node, ErrorCode::Shape,
                         "input " + llvm::Twine(i) + " ('" + v->getName() + "') of type " +
                             type.str() + " does not fit input 0 of type " + first.str() +
                             " on axis " + llvm::Twine(*axis));
      dims[size_t(*axis)] += type.getDim(*axis);
    }
    return TypeList{TensorType(first.getDType(), dims)};
  }
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    auto axis = normalizeAxis(node, node.getInt("axis", 0), node.getInput(0)->getType().getRank());
    if (!axis) return axis.takeError();
    if (!inputs[0].isSplit()) return leadingAxisSampleLayouts(node, inputs, {});
    for (const SampleLayout &input : inputs)
      if (!(input == inputs[0]))
        return nodeError(node, ErrorCode::Unsupported,
                         "it joins data of every sample with data shared by all samples");
    if (auto err = expectNotSplitAlong(node, inputs[0], *axis, "the concatenation axis"))
      return std::move(err);
    return SampleLayouts{inputs[0]};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    Tensor out(node.getOutput(0)->getType());
    int rank = out.getRank();
    int axis = int(node.getInt("axis", 0));
    if (axis < 0) axis += rank;
    int64_t outer = product(out.getDims().take_front(size_t(axis)));
    size_t elementSize = dtypeSize(out.getDType());
    uint8_t *dst = mutableBytes(out);
    for (int64_t o = 0; o < outer; ++o) {
      for (const Tensor &in : inputs) {
        size_t chunk = size_t(product(in.getDims().drop_front(size_t(axis)))) * elementSize;
        if (chunk == 0) continue;
        std::memcpy(dst, in.getBytes().data() + size_t(o) * chunk, chunk);
        dst += chunk;
      }
    }
    return TensorList{out};
  }
};

/// Split(data, split?) along `axis` into node.getNumOutputs() parts: the sizes in `split`, or
/// equal parts.
class SplitOp : public OpSchema {
public:
  SplitOp() : OpSchema("Split", 1, 2, 1, std::numeric_limits<int>::max()) {}
  /// Before opset 13 the sizes were the attribute `split`; from opset 18 `num_outputs` may ask
  /// for equal parts, the last one smaller when the dim does not divide.
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset < 13) return moveIntsAttributeToInput(node, graph, "split", 1);
    if (!node.hasAttribute("num_outputs")) return llvm::Error::success();
    int64_t parts = node.getInt("num_outputs", 0);
    if (parts != int64_t(node.getNumOutputs()) || node.getInput(1))
      return nodeError(node, ErrorCode::BadModel,
                       "num_outputs = " + llvm::Twine(parts) + " must equal its " +
                           llvm::Twine(node.getNumOutputs()) + " outputs, without input 'split'");
    const TensorType &in = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", 0), in.getRank());
    if (!axis) return axis.takeError();
    int64_t dim = in.getDim(*axis), chunk = (dim + parts - 1) / parts;
    std::vector<int64_t> sizes;
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= chunk)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, left)));
    node.removeAttribute("num_outputs");
    while (node.getNumInputs() < 2) node.addInput(nullptr);
    node.setInput(1, graph.addConstant(graph.makeUniqueName(node.getName() + "_split"),
                                       Tensor::fromVector<int64_t>({parts}, sizes)));
    return llvm::Error::success();
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &in = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", 0), in.getRank());
    if (!axis) return axis.takeError();
    int64_t dim = in.getDim(*axis);
    int64_t parts = int64_t(node.getNumOutputs());
    Dims sizes;
    if (node.getInput(1)) {
      auto split = knownInts(node, known, 1, "split");
      if (!split) return split.takeError();
      sizes = *split;
      int64_t total = 0;
      for (int64_t s : sizes) total += s;
      if (int64_t(sizes.size()) != parts || llvm::any_of(sizes, [](int64_t s) { return s < 0; }) ||
          total != dim)
        return nodeError(node, ErrorCode::Shape,
                         "split " + dimsToString(sizes) + " does not divide dim " +
                             llvm::Twine(*axis) + " of " + in.str() + " into " +
                             llvm::Twine(parts) + " parts");
    } else {
      if (dim % parts != 0)
        return nodeError(node, ErrorCode::Shape,
                         "dim " + llvm::Twine(*axis) + " of " + in.str() + " does not split into " +
                             llvm::Twine(parts) + " equal parts");
      sizes.assign(size_t(parts), dim / parts);
    }
    TypeList types;
    for (int64_t s : sizes) {
      Dims dims(in.getDims());
      dims[size_t(*axis)] = s;
      types.push_back(TensorType(in.getDType(), dims));
    }
    return types;
  }
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    auto axis = normalizeAxis(node, node.getInt("axis", 0), node.getInput(0)->getType().getRank());
    if (!axis) return axis.takeError();
    if (inputs.size() > 1 && !inputs[1].isShared())
      return nodeError(node, ErrorCode::Unsupported, "its sizes depend on the run-time batch");
    if (auto err = expectNotSplitAlong(node, inputs[0], *axis, "the split axis"))
      return std::move(err);
    return SampleLayouts(node.getNumOutputs(), inputs[0]);
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    int axis = int(node.getInt("axis", 0));
    if (axis < 0) axis += in.getRank();
    int64_t outer = product(in.getDims().take_front(size_t(axis)));
    size_t elementSize = dtypeSize(in.getDType());
    size_t row = size_t(product(in.getDims().drop_front(size_t(axis)))) * elementSize;
    TensorList outs;
    size_t start = 0; // byte offset of the current part within a row
    for (Value *v : node.getOutputs()) {
      Tensor out(v->getType());
      size_t chunk = size_t(product(out.getDims().drop_front(size_t(axis)))) * elementSize;
      if (chunk > 0) {
        uint8_t *dst = mutableBytes(out);
        for (int64_t o = 0; o < outer; ++o)
          std::memcpy(dst + size_t(o) * chunk, in.getBytes().data() + size_t(o) * row + start,
                      chunk);
      }
      start += chunk;
      outs.push_back(out);
    }
    return outs;
  }
};

/// Per-axis start and step of a slice, and the output dims.
struct SliceParams {
  Dims starts, steps, dims;
};

/// Slice's clamping as ONNX defines it, for the values of starts, ends, axes? and steps?
/// (nullptr where absent).
llvm::Expected<SliceParams> computeSlice(const Node &node, llvm::ArrayRef<int64_t> inDims,
                                         llvm::ArrayRef<const Tensor *> args) {
  int rank = int(inDims.size());
  llvm::SmallVector<int64_t> starts = args[0]->toInts(), ends = args[1]->toInts();
  llvm::SmallVector<int64_t> axes, steps;
  for (size_t i = 0; i < starts.size(); ++i) {
    axes.push_back(args[2] ? args[2]->getAsInt(int64_t(i)) : int64_t(i));
    steps.push_back(args[3] ? args[3]->getAsInt(int64_t(i)) : 1);
  }
  SliceParams params{Dims(size_t(rank), 0), Dims(size_t(rank), 1), Dims(inDims)};
  llvm::SmallVector<bool, 4> seen(size_t(rank), false);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto axis = normalizeAxis(node, axes[i], rank);
    if (!axis) return axis.takeError();
    if (seen[size_t(*axis)])
      return nodeError(node, ErrorCode::BadModel, "axis " + llvm::Twine(axes[i]) + " is repeated");
    seen[size_t(*axis)] = true;
    int64_t step = steps[i], dim = inDims[size_t(*axis)];
    if (step == 0) return nodeError(node, ErrorCode::BadModel, "steps must be nonzero");
    int64_t start = starts[i], end = ends[i];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t length;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      length = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
      end = std::clamp<int64_t>(end, -1, dim - 1);
      int64_t stride =
          step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
      length = dim > 0 && start > end ? (start - end - 1) / stride + 1 : 0;
    }
    params.starts[size_t(*axis)] = start;
    // A step wider than the axis takes one element; keep it small so offsets cannot overflow.
    params.steps[size_t(*axis)] = length > 1 ? step : 1;
    params.dims[size_t(*axis)] = length;
  }
  return params;
}

/// Slice(data, starts, ends, axes?, steps?) with known starts, ends, axes and steps.
class SliceOp : public OpSchema {
public:
  SliceOp() : OpSchema("Slice", 3, 5) {}
  /// Before opset 10 starts, ends and axes were attributes.
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset >= 10) return llvm::Error::success();
    size_t index = 1;
    for (const char *attr : {"starts", "ends", "axes"})
      if (auto err = moveIntsAttributeToInput(node, graph, attr, index++)) return err;
    return llvm::Error::success();
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    static const char *const names[] = {"starts", "ends", "axes", "steps"};
    const TensorType &in = node.getInput(0)->getType();
    llvm::SmallVector<const Tensor *, 4> args;
    size_t count = 0;
    for (size_t i = 1; i <= 4; ++i) {
      if (!node.getInput(i)) {
        args.push_back(nullptr);
        continue;
      }
      auto values = knownInts(node, known, i, names[i - 1], /*allowInt32=*/true);
      if (!values) return values.takeError();
      if (i > 1 && values->size() != count)
        return nodeError(node, ErrorCode::Shape,
                         llvm::Twine(names[i - 1]) + " has " + llvm::Twine(values->size()) +
                             " values but starts has " + llvm::Twine(count));
      count = values->size();
      args.push_back(known[i]);
    }
    auto params = computeSlice(node, in.getDims(), args);
    if (!params) return params.takeError();
    return TypeList{TensorType(in.getDType(), params->dims)};
  }
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    // Starts and ends may be computed from the batch size (a slice up to the batch's end);
    // every sample is kept whole when the samples' axis is taken in full, forward.
    for (size_t i = 1; i < inputs.size(); ++i)
      if (inputs[i].isSplit() || (i > 2 && !inputs[i].isShared()) ||
          (node.getInput(i) && !node.getInput(i)->isConstant()))
        return nodeError(node, ErrorCode::Unsupported,
                         "its " + llvm::Twine(i > 2 ? "axes and steps" : "starts and ends") +
                             " are not fixed for the run-time batch");
    if (!inputs[0].isSplit()) return reshapeSampleLayouts(node, inputs, 1); // shared, or refused
    llvm::SmallVector<const Tensor *, 4> args;
    for (size_t i = 1; i <= 4; ++i)
      args.push_back(node.getInput(i) ? &node.getInput(i)->getConstant() : nullptr);
    llvm::ArrayRef<int64_t> in = node.getInput(0)->getType().getDims();
    auto params = computeSlice(node, in, args);
    if (!params) return params.takeError();
    size_t axis = size_t(inputs[0].axis);
    if (params->dims[axis] != in[axis] || params->steps[axis] != 1)
      return nodeError(node, ErrorCode::Unsupported,
                       "it slices the axis that holds the samples of the run-time batch");
    return SampleLayouts{inputs[0]};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    llvm::SmallVector<const Tensor *, 4> args;
    for (size_t i = 1; i <= 4; ++i)
      args.push_back(i < inputs.size() && !inputs[i].isNull() ? &inputs[i] : nullptr);
    auto params = computeSlice(node, inputs[0].getDims(), args);
    if (!params) return params.takeError();
    Dims inStrides = stridesOf(inputs[0].getDims()), steps;
    int64_t base = 0;
    for (size_t a = 0; a < inStrides.size(); ++a) {
      base += params->starts[a] * inStrides[a];
      steps.push_back(params->steps[a] * inStrides[a]);
    }
    Tensor out(node.getOutput(0)->getType());
    stridedCopy(inputs[0], out, base, steps);
    return TensorList{out};
  }
};

/// Gather(data, indices) along `axis`; indices may be negative (counted from the end).
class GatherOp : public OpSchema {
public:
  GatherOp() : OpSchema("Gather", 2, 2) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &data = node.getInput(0)->getType();
    if (auto err = expectInputDType(node, 1, {DType::Int64, DType::Int32})) return std::move(err);
    const TensorType &indices = node.getInput(1)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", 0), data.getRank());
    if (!axis) return axis.takeError();
    if (known.size() > 1 && known[1])
      if (auto err = checkIndices(node, *known[1], data.getDim(*axis), ErrorCode::BadModel))
        return std::move(err);
    Dims dims(data.getDims().take_front(size_t(*axis)));
    dims.append(indices.getDims().begin(), indices.getDims().end());
    dims.append(data.getDims().begin() + *axis + 1, data.getDims().end());
    return TypeList{TensorType(data.getDType(), dims)};
  }
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    auto axis = normalizeAxis(node, node.getInt("axis", 0), node.getInput(0)->getType().getRank());
    if (!axis) return axis.takeError();
    if (inputs[0].isSplit() && inputs[1].isSplit())
      return nodeError(node, ErrorCode::Unsupported,
                       "both data and indices hold the samples of the run-time batch");
    if (inputs[1].isSplit()) return SampleLayouts{SampleLayout::split(*axis + inputs[1].axis)};
    if (!inputs[0].isSplit()) return leadingAxisSampleLayouts(node, inputs, {});
    if (auto err = expectNotSplitAlong(node, inputs[0], *axis, "the gather axis"))
      return std::move(err);
    int indicesRank = node.getInput(1)->getType().getRank();
    int split = inputs[0].axis;
    return SampleLayouts{SampleLayout::split(split < *axis ? split : split + indicesRank - 1)};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &data = inputs[0], &indices = inputs[1];
    int axis = int(node.getInt("axis", 0));
    if (axis < 0) axis += data.getRank();
    int64_t axisDim = data.getDims()[size_t(axis)];
    if (auto err = checkIndices(node, indices, axisDim, ErrorCode::InvalidArgument))
      return std::move(err);
    int64_t outer = product(data.getDims().take_front(size_t(axis)));
    size_t elementSize = dtypeSize(data.getDType());
    size_t chunk = size_t(product(data.getDims().drop_front(size_t(axis) + 1))) * elementSize;
    Tensor out(node.getOutput(0)->getType());
    uint8_t *dst = mutableBytes(out);
    const uint8_t *src = data.getBytes().data();
    int64_t numIndices = indices.getNumElements();
    for (int64_t o = 0; o < outer && chunk > 0; ++o) {
      for (int64_t j = 0; j < numIndices; ++j) {
        int64_t index = indices.getAsInt(j);
        if (index < 0) index += axisDim;
        std::memcpy(dst, src + size_t(o * axisDim + index) * chunk, chunk);
        dst += chunk;
      }
    }
    return TensorList{out};
  }

private:
  static llvm::Error checkIndices(const Node &node, const Tensor &indices, int64_t axisDim,
                                  ErrorCode code) {
    for (int64_t j = 0, n = indices.getNumElements(); j < n; ++j) {
      int64_t index = indices.getAsInt(j);
      if (index < -axisDim || index >= axisDim)
        return nodeError(node, code,
                         "index " + llvm::Twine(index) + " is out of range for an axis of size " +
                             llvm::Twine(axisDim));
    }
    return llvm::Error::success();
  }
};

/// Pad(data, pads, constant_value?) in mode constant, reflect or edge. pads holds the begin
/// pads of every axis, then the end pads; negative pads remove elements.
class PadOp : public OpSchema {
public:
  PadOp() : OpSchema("Pad", 2, 3) {}
  /// Before opset 11 pads and the constant value were attributes; from opset 18 an optional
  /// input 3 names the axes that input 1's pads apply to (the others get none).
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset < 11) {
      if (auto err = moveIntsAttributeToInput(node, graph, "pads", 1)) return err;
      return moveFloatAttributeToInput(node, graph, "value", 2);
    }
    const Value *axesInput = node.getInput(3);
    if (!axesInput) return llvm::Error::success();
    const Value *padsInput = node.getInput(1);
    if (!axesInput->isConstant() || !padsInput || !padsInput->isConstant())
      return nodeError(node, ErrorCode::Unsupported,
                       "its pads and axes (inputs 1 and 3) must be constants");
    int rank = node.getInput(0)->getType().getRank();
    llvm::SmallVector<int64_t> axes = axesInput->getConstant().toInts();
    llvm::SmallVector<int64_t> pads = padsInput->getConstant().toInts();
    if (pads.size() != 2 * axes.size())
      return nodeError(node, ErrorCode::Shape,
                       "pads " + dimsToString(pads) + " must have 2 values per axis of " +
                           dimsToString(axes));
    std::vector<int64_t> full(size_t(2 * rank), 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      auto axis = normalizeAxis(node, axes[i], rank);
      if (!axis) return axis.takeError();
      full[size_t(*axis)] = pads[i];
      full[size_t(*axis + rank)] = pads[i + axes.size()];
    }
    Value *fullPads = graph.addConstant(graph.makeUniqueName(node.getName() + "_pads"),
                                        Tensor::fromVector<int64_t>({2 * rank}, full));
    std::vector<Value *> inputs(node.getInputs().begin(), node.getInputs().begin() + 3);
    inputs[1] = fullPads;
    while (!inputs.empty() && !inputs.back()) inputs.pop_back();
    node.setInputs(inputs);
    return llvm::Error::success();
  }
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &in = node.getInput(0)->getType();
    int rank = in.getRank();
    std::string mode = node.getString("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge")
      return nodeError(node, ErrorCode::Unsupported,
                       "mode \"" + mode + "\" is not supported (constant, reflect, edge)");
    auto pads = knownInts(node, known, 1, "pads");
    if (!pads) return pads.takeError();
    if (int(pads->size()) != 2 * rank)
      return nodeError(node, ErrorCode::Shape,
                       "pads " + dimsToString(*pads) + " must have 2 * rank = " +
                           llvm::Twine(2 * rank) + " values for input " + in.str());
    if (const Value *value = node.getInput(2)) {
      const TensorType &type = value->getType();
      if (type.getDType() != in.getDType() || type.getNumElements() != 1)
        return nodeError(node, ErrorCode::Shape,
                         "constant_value must be a scalar of the data's type " +
                             dtypeName(in.getDType()) + ", got " + type.str());
    }
    Dims dims;
    for (int a = 0; a < rank; ++a) {
      int64_t dim = in.getDim(a), begin = (*pads)[size_t(a)], end = (*pads)[size_t(a + rank)];
      int64_t widest = std::max(begin, end);
      if (mode == "reflect" && widest > 0 && widest >= dim)
        return nodeError(node, ErrorCode::Shape,
                         "reflect padding of " + llvm::Twine(widest) + " on axis " +
                             llvm::Twine(a) + " needs a dim larger than " + llvm::Twine(widest) +
                             ", got " + in.str());
      if (mode == "edge" && widest > 0 && dim == 0)
        return nodeError(node, ErrorCode::Shape,
                         "edge padding of an empty axis " + llvm::Twine(a) + " in " + in.str());
      if (dim + begin + end < 0)
        return nodeError(node, ErrorCode::Shape,
                         "pads " + dimsToString(*pads) + " remove more than all of " + in.str());
      dims.push_back(dim + begin + end);
    }
    return TypeList{TensorType(in.getDType(), dims)};
  }
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    for (size_t i = 1; i < inputs.size(); ++i)
      if (!inputs[i].isShared() || (node.getInput(i) && !node.getInput(i)->isConstant()))
        return nodeError(node, ErrorCode::Unsupported,
                         "its pads are not fixed for the run-time batch");
    if (!inputs[0].isSplit()) return leadingAxisSampleLayouts(node, inputs, {});
    llvm::SmallVector<int64_t> pads = node.getInput(1)->getConstant().toInts();
    size_t rank = size_t(node.getInput(0)->getType().getRank()), axis = size_t(inputs[0].axis);
    if (pads[axis] != 0 || pads[axis + rank] != 0)
      return nodeError(node, ErrorCode::Unsupported,
                       "it pads the axis that holds the samples of the run-time batch");
    return SampleLayouts{inputs[0]};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    Tensor out(node.getOutput(0)->getType());
    int rank = in.getRank();
    std::string mode = node.getString("mode", "constant");
    llvm::SmallVector<int64_t> pads = inputs[1].toInts();
    // For each axis and output coordinate, the input coordinate it copies (-1: the constant).
    std::vector<std::vector<int64_t>> source(static_cast<size_t>(rank));
    for (int a = 0; a < rank; ++a) {
      int64_t dim = in.getDims()[size_t(a)];
      for (int64_t o = 0; o < out.getDims()[size_t(a)]; ++o) {
        int64_t i = o - pads[size_t(a)];
        if (i < 0 || i >= dim) {
          if (mode == "reflect")
            i = i < 0 ? -i : 2 * (dim - 1) - i;
          else if (mode == "edge")
            i = std::clamp<int64_t>(i, 0, dim - 1);
          else
            i = -1;
        }
        source[size_t(a)].push_back(i);
      }
    }
    const Tensor *fill = inputs.size() > 2 && !inputs[2].isNull() ? &inputs[2] : nullptr;
    Dims inStrides = stridesOf(in.getDims());
    dispatchElementSize(out.getDType(), [&](auto zero) {
      using T = decltype(zero);
      const T *src = reinterpret_cast<const T *>(in.getBytes().data());
      T constant = fill ? *reinterpret_cast<const T *>(fill->getBytes().data()) : T(0);
      auto dst = out.getMutableData<T>();
      Dims index(size_t(rank), 0);
      for (size_t n = 0; n < dst.size(); ++n) {
        int64_t offset = 0;
        bool inside = true;
        for (int a = 0; a < rank && inside; ++a) {
          int64_t i = source[size_t(a)][size_t(index[size_t(a)])];
          inside = i >= 0;
          offset += i * inStrides[size_t(a)];
        }
        dst[n] = inside ? src[offset] : constant;
        for (int a = rank - 1; a >= 0; --a) {
          if (++index[size_t(a)] < out.getDims()[size_t(a)]) break;
          index[size_t(a)] = 0;
        }
      }
    });
    return TensorList{out};
  }
};

/// GatherElements(data, indices) along `axis`: out[..., i, ...] = data[..., indices[..., i,
/// ...], ...], indices of data's rank (negative ones counted from the end); the output has the
/// indices' shape.
class GatherElementsOp : public OpSchema {
public:
  GatherElementsOp() : OpSchema("GatherElements", 2, 2) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &data = node.getInput(0)->getType();
    if (auto err = expectInputDType(node, 1, {DType::Int64, DType::Int32})) return std::move(err);
    const TensorType &indices = node.getInput(1)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", 0), data.getRank());
    if (!axis) return axis.takeError();
    if (indices.getRank() != data.getRank())
      return nodeError(node, ErrorCode::Shape,
                       "indices " + indices.str() + " must have the rank of data " + data.str());
    for (int d = 0; d < data.getRank(); ++d)
      if (d != *axis && indices.getDim(d) > data.getDim(d))
        return nodeError(node, ErrorCode::Shape,
                         "indices " + indices.str() + " exceed data " + data.str() + " on axis " +
                             llvm::Twine(d));
    return TypeList{TensorType(data.getDType(), indices.getDims())};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &data = inputs[0], &indices = inputs[1];
    int rank = data.getRank();
    int axis = int(node.getInt("axis", 0));
    if (axis < 0) axis += rank;
    int64_t axisDim = data.getDims()[size_t(axis)];
    Dims dataStrides = stridesOf(data.getDims());
    Tensor out(node.getOutput(0)->getType());
    size_t size = dtypeSize(data.getDType());
    llvm::ArrayRef<int64_t> dims = indices.getDims();
    for (int64_t e = 0, n = indices.getNumElements(); e < n; ++e) {
      int64_t index = indices.getAsInt(e);
      if (index < -axisDim || index >= axisDim)
        return nodeError(node, ErrorCode::InvalidArgument,
                         "index " + llvm::Twine(index) + " is out of range for an axis of size " +
                             llvm::Twine(axisDim));
      if (index < 0) index += axisDim;
      int64_t rest = e, offset = 0;
      for (int d = rank - 1; d >= 0; --d) {
        int64_t coord = rest % dims[size_t(d)];
        rest /= dims[size_t(d)];
        offset += (d == axis ? index : coord) * dataStrides[size_t(d)];
      }
      std::memcpy(mutableBytes(out) + size_t(e) * size,
                  data.getBytes().data() + size_t(offset) * size, size);
    }
    return TensorList{out};
  }
};

/// Tile(input, repeats): the input repeated repeats[d] times along each axis d.
class TileOp : public OpSchema {
public:
  TileOp() : OpSchema("Tile", 2, 2) {}
  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &in = node.getInput(0)->getType();
    auto repeats = knownInts(node, known, 1, "repeats");
    if (!repeats) return repeats.takeError();
    if (int(repeats->size()) != in.getRank())
      return nodeError(node, ErrorCode::Shape,
                       "repeats " + dimsToString(*repeats) + " must have one value per axis of " +
                           in.str());
    Dims dims;
    for (int d = 0; d < in.getRank(); ++d) {
      int64_t r = (*repeats)[size_t(d)];
      if (r < 0) return nodeError(node, ErrorCode::BadModel, "repeats must not be negative");
      if (r > 0 && in.getDim(d) > kMaxTensorElements / r)
        return nodeError(node, ErrorCode::Unsupported, "the tiled tensor would be too large");
      dims.push_back(in.getDim(d) * r);
    }
    return TypeList{TensorType(in.getDType(), dims)};
  }
  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    Tensor out(node.getOutput(0)->getType());
    llvm::ArrayRef<int64_t> inDims = in.getDims(), outDims = out.getDims();
    Dims inStrides = stridesOf(inDims);
    size_t size = dtypeSize(in.getDType());
    int rank = in.getRank();
    for (int64_t e = 0, n = out.getNumElements(); e < n; ++e) {
      int64_t rest = e, offset = 0;
      for (int d = rank - 1; d >= 0; --d) {
        offset += (rest % outDims[size_t(d)]) % inDims[size_t(d)] * inStrides[size_t(d)];
        rest /= outDims[size_t(d)];
      }
      std::memcpy(mutableBytes(out) + size_t(e) * size,
                  in.getBytes().data() + size_t(offset) * size, size);
    }
    return TensorList{out};
  }
};

/// DepthToSpace (mode DCR or CRD) and SpaceToDepth of an NCHW tensor by `blocksize`:
///   DCR: out[n, c, h*b + i, w*b + j] = x[n, (i*b + j)*C' + c, h, w]
///   CRD: out[n, c, h*b + i, w*b + j] = x[n, c*b*b + i*b + j, h, w]
///   SpaceToDepth: out[n, (i*b + j)*C + c, h, w] = x[n, c, h*b + i, w*b + j]
class BlockRearrangeOp : public OpSchema {
public:
  BlockRearrangeOp(llvm::StringRef name, bool toSpace) : OpSchema(name, 1, 1), toSpace(toSpace) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputRank(node, 0, 4)) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    int64_t b = node.getInt("blocksize", 0);
    if (b < 1)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'blocksize' must be positive, got " + llvm::Twine(b));
    std::string mode = node.getString("mode", "DCR");
    if (mode != "DCR" && mode != "CRD")
      return nodeError(node, ErrorCode::BadModel, "mode \"" + mode + "\" is not DCR or CRD");
    int64_t n = x.getDim(0), c = x.getDim(1), h = x.getDim(2), w = x.getDim(3);
    if (toSpace) {
      if (c % (b * b) != 0)
        return nodeError(node, ErrorCode::Shape,
                         "channels of " + x.str() +
                             " are not a multiple of blocksize^2 = " + llvm::Twine(b * b));
      return TypeList{TensorType(x.getDType(), {n, c / (b * b), h * b, w * b})};
    }
    if (h % b != 0 || w % b != 0)
      return nodeError(node, ErrorCode::Shape,
                       "height and width of " + x.str() + " are not multiples of blocksize " +
                           llvm::Twine(b));
    return TypeList{TensorType(x.getDType(), {n, c * b * b, h / b, w / b})};
  }

  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    return leadingAxisSampleLayouts(node, inputs, {0});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    Tensor out(node.getOutput(0)->getType());
    int64_t b = node.getInt("blocksize", 1);
    bool crd = node.getString("mode", "DCR") == "CRD";
    // The dims on the space side (small channels, large planes).
    llvm::ArrayRef<int64_t> space = toSpace ? out.getDims() : x.getDims();
    int64_t n = space[0], c = space[1], h = space[2] / b, w = space[3] / b;
    int64_t depthC = c * b * b;
    size_t size = dtypeSize(x.getDType());
    const uint8_t *src = x.getBytes().data();
    uint8_t *dst = out.getMutableBytes().data();
    for (int64_t in = 0; in < n; ++in)
      for (int64_t ic = 0; ic < c; ++ic)
        for (int64_t ih = 0; ih < h; ++ih)
          for (int64_t i = 0; i < b; ++i)
            for (int64_t iw = 0; iw < w; ++iw)
              for (int64_t j = 0; j < b; ++j) {
                int64_t depthChannel =
                    crd && toSpace ? ic * b * b + i * b + j : (i * b + j) * c + ic;
                int64_t spaceIndex = ((in * c + ic) * h * b + ih * b + i) * w * b + iw * b + j;
                int64_t depthIndex = ((in * depthC + depthChannel) * h + ih) * w + iw;
                int64_t from = toSpace ? depthIndex : spaceIndex;
                int64_t to = toSpace ? spaceIndex : depthIndex;
                std::memcpy(dst + size_t(to) * size, src + size_t(from) * size, size);
              }
    return TensorList{out};
  }

private:
  bool toSpace;
};

/// Trilu(X, k?): keeps the upper (upper = 1) or lower triangle of the last two axes, from
/// diagonal k on (k a compile-time int64 scalar, default 0), and zeros the rest.
class TriluOp : public OpSchema {
public:
  TriluOp() : OpSchema("Trilu", 1, 2) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const TensorType &x = node.getInput(0)->getType();
    if (x.getRank() < 2)
      return nodeError(node, ErrorCode::Shape, "input must have rank 2 or more, got " + x.str());
    if (node.getInput(1)) {
      if (auto err = expectInputDType(node, 1, {DType::Int64})) return std::move(err);
      auto k = requireKnown(node, known, 1, "k");
      if (!k) return k.takeError();
      if ((*k)->getNumElements() != 1)
        return nodeError(node, ErrorCode::Shape, "k must be a scalar");
    }
    return TypeList{x};
  }

  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    if (inputs[0].isSplit() && inputs[0].axis >= node.getInput(0)->getType().getRank() - 2)
      return nodeError(node, ErrorCode::Unsupported,
                       "the samples of the run-time batch lie on the triangle's axes");
    return leadingAxisSampleLayouts(node, inputs, {});
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &x = inputs[0];
    int64_t k = inputs.size() > 1 && !inputs[1].isNull() ? inputs[1].getAsInt(0) : 0;
    bool upper = node.getInt("upper", 1) != 0;
    Tensor out(x.getType()); // zeros
    llvm::ArrayRef<int64_t> dims = x.getDims();
    int64_t rows = dims[dims.size() - 2], cols = dims.back();
    int64_t matrices = rows * cols == 0 ? 0 : x.getNumElements() / (rows * cols);
    size_t size = dtypeSize(x.getDType());
    for (int64_t m = 0; m < matrices; ++m)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          if (upper ? j - i >= k : j - i <= k) {
            size_t e = size_t((m * rows + i) * cols + j) * size;
            std::memcpy(out.getMutableBytes().data() + e, x.getBytes().data() + e, size);
          }
    return TensorList{out};
  }
};

} // namespace

std::unique_ptr<OpSchema> createTransposeSchema() { return std::make_unique<TransposeOp>(); }
std::unique_ptr<OpSchema> createConcatSchema() { return std::make_unique<ConcatOp>(); }
std::unique_ptr<OpSchema> createSplitSchema() { return std::make_unique<SplitOp>(); }
std::unique_ptr<OpSchema> createSliceSchema() { return std::make_unique<SliceOp>(); }
std::unique_ptr<OpSchema> createGatherSchema() { return std::make_unique<GatherOp>(); }
std::unique_ptr<OpSchema> createPadSchema() { return std::make_unique<PadOp>(); }
std::unique_ptr<OpSchema> createDepthToSpaceSchema() {
  return std::make_unique<BlockRearrangeOp>("DepthToSpace", true);
}
std::unique_ptr<OpSchema> createSpaceToDepthSchema() {
  return std::make_unique<BlockRearrangeOp>("SpaceToDepth", false);
}
std::unique_ptr<OpSchema> createTriluSchema() { return std::make_unique<TriluOp>(); }
std::unique_ptr<OpSchema> createGatherElementsSchema() {
  return std::make_unique<GatherElementsOp>();
}
std::unique_ptr<OpSchema> createTileSchema() { return std::make_unique<TileOp>(); }

} // namespace spcc
