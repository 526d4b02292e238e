//===- Reduce.cpp - Reductions: ReduceSum, ReduceMean, ReduceMax, ... ----===//
//
// Canonical forms: ReduceSum takes its axes as optional input 1 (opset 13); the others keep
// the `axes` attribute of opsets up to 17 (opset 18's axes input is moved into it at import).
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SampleRules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace spcc {
namespace {

/// Which axes a reduction reduces; `noop` when it reduces none (empty axes with
/// noop_with_empty_axes = 1) and the output is the input.
struct ReducedAxes {
  llvm::SmallVector<bool, 4> reduced; ///< One flag per input axis.
  bool noop = false;
};

enum class ReduceKind { Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp };

class ReduceOp : public OpSchema {
public:
  /// \p attributeAxes: whether the canonical form has the `axes` attribute (ReduceMean) rather
  /// than only the input (ReduceSum). \p integers: whether int64/int32 inputs are accepted
  /// besides float32.
  ReduceOp(llvm::StringRef name, ReduceKind kind, bool attributeAxes, bool integers)
      : OpSchema(name, 1, 2), kind(kind), attributeAxes(attributeAxes), integers(integers) {}

  /// ReduceSum took axes as an attribute before opset 13; the other reductions keep theirs as
  /// the canonical form (passes read it), though opset 18 made it input 1 for them too.
  /// A reduction over no axes with noop_with_empty_axes = 1 is an Identity (a view of its
  /// input, which memory planning and the kernels then treat alike).
  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (llvm::Error err = attributeAxes
                              ? (opset >= 18 ? moveConstantInputToIntsAttribute(node, 1, "axes")
                                             : llvm::Error::success())
                          : opset >= 13 ? llvm::Error::success()
                                        : moveIntsAttributeToInput(node, graph, "axes", 1))
      return err;
    const Value *axesInput = node.getInput(1);
    bool noAxes = !node.hasAttribute("axes") || node.getInts("axes").empty();
    if (axesInput) noAxes = axesInput->isConstant() && axesInput->getType().getNumElements() == 0;
    if (noAxes && node.getInt("noop_with_empty_axes", 0) == 1) {
      node.setOp("Identity", lookupOpSchema("Identity"));
      node.setInputs({node.getInput(0)});
    }
    return llvm::Error::success();
  }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    if (auto err = integers
                       ? expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32})
                       : expectInputDType(node, 0, {DType::Float32}))
      return std::move(err);
    const Tensor *axesInput = nullptr;
    if (node.getInput(1)) {
      if (auto err = expectInputDType(node, 1, {DType::Int64})) return std::move(err);
      if (node.getInput(1)->getType().getRank() != 1)
        return nodeError(node, ErrorCode::Shape,
                         "axes (input 1) must be 1-D, got " + node.getInput(1)->getType().str());
      auto value = requireKnown(node, known, 1, "axes");
      if (!value) return value.takeError();
      axesInput = *value;
    }
    const TensorType &in = node.getInput(0)->getType();
    auto axes = reducedAxes(node, axesInput, in.getRank());
    if (!axes) return axes.takeError();
    auto keepDims = keepDimsFlag(node);
    if (!keepDims) return keepDims.takeError();
    if (axes->noop) return TypeList{in};
    Dims outDims;
    for (int i = 0; i < in.getRank(); ++i) {
      if (!axes->reduced[size_t(i)])
        outDims.push_back(in.getDim(i));
      else if (*keepDims)
        outDims.push_back(1);
    }
    return TypeList{TensorType(in.getDType(), outDims)};
  }

  /// The samples survive a reduction over other axes.
  llvm::Expected<SampleLayouts> inferSampleLayouts(const Node &node,
                                                   llvm::ArrayRef<SampleLayout> inputs,
                                                   int64_t) const override {
    if (inputs.size() > 1 && !inputs[1].isShared())
      return nodeError(node, ErrorCode::Unsupported, "its axes depend on the run-time batch");
    if (!inputs[0].isSplit()) return leadingAxisSampleLayouts(node, inputs, {});
    const Value *axesInput = node.getInput(1);
    if (axesInput && !axesInput->isConstant())
      return nodeError(node, ErrorCode::Unsupported, "its axes are not known at compile time");
    auto axes = reducedAxes(node, axesInput ? &axesInput->getConstant() : nullptr,
                            node.getInput(0)->getType().getRank());
    if (!axes) return axes.takeError();
    int split = inputs[0].axis;
    if (axes->noop) return SampleLayouts{inputs[0]};
    if (axes->reduced[size_t(split)])
      return nodeError(node, ErrorCode::Unsupported,
                       "it reduces over the axis that holds the samples of the run-time batch");
    bool keepDims = node.getInt("keepdims", 1) != 0;
    int outAxis =
        keepDims ? split
                 : int(llvm::count(llvm::ArrayRef<bool>(axes->reduced).take_front(size_t(split)),
                                   false));
    return SampleLayouts{SampleLayout::split(outAxis)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    const Tensor *axesInput = inputs.size() > 1 && !inputs[1].isNull() ? &inputs[1] : nullptr;
    auto axes = reducedAxes(node, axesInput, in.getRank());
    if (!axes) return axes.takeError();
    if (axes->noop) return TensorList{in};

    // The output with reduced axes kept as 1: each input element goes into the element it
    // broadcasts from.
    Dims keptDims(in.getDims());
    int64_t count = 1;
    for (int i = 0; i < in.getRank(); ++i)
      if (axes->reduced[size_t(i)]) {
        count *= keptDims[size_t(i)];
        keptDims[size_t(i)] = 1;
      }
    std::vector<int64_t> target = broadcastOffsets(in.getDims(), keptDims);
    Tensor out(node.getOutput(0)->getType());
    dispatchDType(in.getDType(), [&](auto zero) {
      using T = decltype(zero);
      auto src = in.getData<T>();
      auto dst = out.getMutableData<T>();
      if (kind == ReduceKind::Max || kind == ReduceKind::Min) {
        // A NaN wins; an empty reduction gives the lowest (highest) value.
        bool isMax = kind == ReduceKind::Max;
        T start = isMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
        if constexpr (std::is_floating_point_v<T>)
          start = isMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
        std::fill(dst.begin(), dst.end(), start);
        for (size_t i = 0; i < src.size(); ++i) {
          T &best = dst[size_t(target[i])];
          T v = src[i];
          if (v != v || (best == best && (isMax ? v > best : v < best))) best = v;
        }
        return;
      }
      // Floats in double; integers wrap around like two's complement.
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
      std::vector<Acc> acc(size_t(out.getNumElements()), Acc(kind == ReduceKind::Prod ? 1 : 0));
      std::vector<double> shift(acc.size(), 0.0);
      if (kind == ReduceKind::LogSumExp) {
        std::fill(shift.begin(), shift.end(), -std::numeric_limits<double>::infinity());
        for (size_t i = 0; i < src.size(); ++i)
          shift[size_t(target[i])] = std::max(shift[size_t(target[i])], double(src[i]));
        for (double &s : shift)
          if (!std::isfinite(s)) s = 0;
      }
      for (size_t i = 0; i < src.size(); ++i) {
        Acc &a = acc[size_t(target[i])];
        T v = src[i];
        switch (kind) {
        case ReduceKind::Prod: a *= Acc(v); break;
        case ReduceKind::L1: a += Acc(v < T(0) ? T(0) - v : v); break;
        case ReduceKind::L2:
        case ReduceKind::SumSquare: a += Acc(v) * Acc(v); break;
        case ReduceKind::LogSumExp: a += Acc(std::exp(double(v) - shift[size_t(target[i])])); break;
        default: a += Acc(v); break;
        }
      }
      for (size_t i = 0; i < dst.size(); ++i) {
        if constexpr (std::is_floating_point_v<T>) {
          double r = acc[i];
          switch (kind) {
          case ReduceKind::Mean: r /= double(count); break;
          case ReduceKind::L2: r = std::sqrt(r); break;
          case ReduceKind::LogSum: r = std::log(r); break;
          case ReduceKind::LogSumExp: r = std::log(r) + shift[i]; break;
          default: break;
          }
          dst[i] = T(r);
        } else {
          dst[i] = T(acc[i]);
        }
      }
    });
    return TensorList{out};
  }

private:
  llvm::Expected<bool> keepDimsFlag(const Node &node) const {
    int64_t keepDims = node.getInt("keepdims", 1);
    if (keepDims != 0 && keepDims != 1)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'keepdims' must be 0 or 1, got " + llvm::Twine(keepDims));
    return keepDims == 1;
  }

  /// The axes from input 1 (\p axesInput, when present) or the `axes` attribute.
  llvm::Expected<ReducedAxes> reducedAxes(const Node &node, const Tensor *axesInput,
                                          int rank) const {
    std::vector<int64_t> axes;
    if (node.hasAttribute("axes")) {
      if (!attributeAxes)
        return nodeError(node, ErrorCode::BadModel,
                         "takes axes as input 1 from opset 13, not as an attribute");
      if (axesInput)
        return nodeError(node, ErrorCode::BadModel, "has axes both as an attribute and as input 1");
      axes = node.getInts("axes");
    } else if (axesInput) {
      for (int64_t axis : axesInput->toInts()) axes.push_back(axis);
    }
    int64_t noopWithEmpty = node.getInt("noop_with_empty_axes", 0);
    if (noopWithEmpty != 0 && noopWithEmpty != 1)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute 'noop_with_empty_axes' must be 0 or 1, got " +
                           llvm::Twine(noopWithEmpty));
    ReducedAxes result;
    if (axes.empty() && noopWithEmpty == 1) {
      result.noop = true;
      return result;
    }
    // No axes: reduce them all.
    result.reduced.assign(size_t(rank), axes.empty());
    for (int64_t axis : axes) {
      auto normalized = normalizeAxis(node, axis, rank, "reduction axis");
      if (!normalized) return normalized.takeError();
      if (result.reduced[size_t(*normalized)])
        return nodeError(node, ErrorCode::BadModel,
                         "axis " + llvm::Twine(axis) + " appears twice in axes");
      result.reduced[size_t(*normalized)] = true;
    }
    return result;
  }

  ReduceKind kind;
  bool attributeAxes;
  bool integers;
};

/// ArgMax, ArgMin along `axis` (keepdims, select_last_index): int64 indices; a NaN counts as
/// beyond every number and the first NaN wins, as numpy's argmax / argmin.
class ArgReduceOp : public OpSchema {
public:
  ArgReduceOp(llvm::StringRef name, bool isMax) : OpSchema(name, 1, 1), isMax(isMax) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32}))
      return std::move(err);
    const TensorType &in = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", 0), in.getRank());
    if (!axis) return axis.takeError();
    if (in.getDim(*axis) == 0)
      return nodeError(node, ErrorCode::Shape,
                       "cannot take the " + getName() + " of an empty axis of " + in.str());
    Dims dims(in.getDims().begin(), in.getDims().end());
    if (node.getInt("keepdims", 1) != 0)
      dims[size_t(*axis)] = 1;
    else
      dims.erase(dims.begin() + *axis);
    return TypeList{TensorType(DType::Int64, dims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    auto axis = normalizeAxis(node, node.getInt("axis", 0), in.getRank());
    if (!axis) return axis.takeError();
    auto [outer, n, inner] = splitAtAxis(in.getDims(), *axis);
    bool last = node.getInt("select_last_index", 0) != 0;
    Tensor out(node.getOutput(0)->getType());
    auto dst = out.getMutableData<int64_t>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = -1;
        double bestValue = 0;
        for (int64_t k = 0; k < n; ++k) {
          double v = in.getAsDouble((o * n + k) * inner + i);
          if (best >= 0 && std::isnan(bestValue)) break;
          if (best < 0 || std::isnan(v) || (isMax ? v > bestValue : v < bestValue) ||
              (last && v == bestValue)) {
            best = k;
            bestValue = v;
          }
        }
        dst[size_t(o * inner + i)] = best;
      }
    return TensorList{out};
  }

private:
  bool isMax;
};

/// The order TopK ranks by: NaN beyond every number (first for the largest, last for the
/// smallest), equal values by their index, lower first.
template <typename T> bool ranksBefore(T a, int64_t ia, T b, int64_t ib, bool largest) {
  bool nanA = a != a, nanB = b != b; // NaN only for floats
  if (nanA || nanB) {
    if (nanA && nanB) return ia < ib;
    return largest ? nanA : nanB;
  }
  if (a != b) return largest ? a > b : a < b;
  return ia < ib;
}

/// TopK(x, k) along `axis`: the k largest (or smallest) values and their int64 indices, always
/// sorted (`sorted = 0` allows any order; sorted is one). k must be known at compile time; before
/// opset 10 it is the attribute `k`.
class TopKOp : public OpSchema {
public:
  TopKOp() : OpSchema("TopK", 1, 2, 2, 2) {}

  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    if (opset < 10) return moveIntsAttributeToInput(node, graph, "k", 1);
    return llvm::Error::success();
  }

  static llvm::Expected<int64_t> readK(const Node &node, const Tensor *k, int64_t axisDim) {
    if (!k) return nodeError(node, ErrorCode::Unsupported, "k must be known at compile time");
    if (k->getNumElements() != 1)
      return nodeError(node, ErrorCode::Shape, "k must have one element");
    int64_t value = k->getAsInt(0);
    if (value < 0 || value > axisDim)
      return nodeError(node, ErrorCode::Shape,
                       "k = " + llvm::Twine(value) + " is outside [0, " + llvm::Twine(axisDim) +
                           "], the extent of the axis");
    return value;
  }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32}))
      return std::move(err);
    if (node.getNumInputs() < 2 || !node.getInput(1))
      return nodeError(node, ErrorCode::BadModel, "input 1 (k) is required");
    if (auto err = expectInputDType(node, 1, {DType::Int64})) return std::move(err);
    const TensorType &in = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), in.getRank());
    if (!axis) return axis.takeError();
    auto k = readK(node, known.size() > 1 ? known[1] : nullptr, in.getDim(*axis));
    if (!k) return k.takeError();
    Dims dims(in.getDims().begin(), in.getDims().end());
    dims[size_t(*axis)] = *k;
    return TypeList{TensorType(in.getDType(), dims), TensorType(DType::Int64, dims)};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    auto axis = normalizeAxis(node, node.getInt("axis", -1), in.getRank());
    if (!axis) return axis.takeError();
    auto [outer, n, inner] = splitAtAxis(in.getDims(), *axis);
    int64_t k = node.getOutput(0)->getType().getDim(*axis);
    bool largest = node.getInt("largest", 1) != 0;
    Tensor values(node.getOutput(0)->getType()), indices(node.getOutput(1)->getType());
    auto idx = indices.getMutableData<int64_t>();
    size_t size = dtypeSize(in.getDType());
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        auto at = [&](int64_t j) { return in.getAsDouble((o * n + j) * inner + i); };
        for (int64_t j = 0; j < n; ++j) order[size_t(j)] = j;
        std::sort(order.begin(), order.end(),
                  [&](int64_t a, int64_t b) { return ranksBefore(at(a), a, at(b), b, largest); });
        for (int64_t j = 0; j < k; ++j) {
          int64_t e = (o * k + j) * inner + i;
          idx[size_t(e)] = order[size_t(j)];
          std::memcpy(values.getMutableBytes().data() + size_t(e) * size,
                      in.getBytes().data() + size_t((o * n + order[size_t(j)]) * inner + i) * size,
                      size);
        }
      }
    return TensorList{values, indices};
  }
};

/// CumSum(x, axis): running sums along the axis (a compile-time scalar); `exclusive` leaves
/// each element out of its own sum, `reverse` runs from the end. Floats sum in double.
class CumSumOp : public OpSchema {
public:
  CumSumOp() : OpSchema("CumSum", 2, 2) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32, DType::Int64, DType::Int32}))
      return std::move(err);
    if (auto err = expectInputDType(node, 1, {DType::Int64, DType::Int32})) return std::move(err);
    auto axisTensor = requireKnown(node, known, 1, "axis");
    if (!axisTensor) return axisTensor.takeError();
    if ((*axisTensor)->getNumElements() != 1)
      return nodeError(node, ErrorCode::Shape, "axis must be a scalar");
    const TensorType &in = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, (*axisTensor)->getAsInt(0), in.getRank());
    if (!axis) return axis.takeError();
    return TypeList{in};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    auto axis = normalizeAxis(node, inputs[1].getAsInt(0), in.getRank());
    if (!axis) return axis.takeError();
    auto [outer, n, inner] = splitAtAxis(in.getDims(), *axis);
    bool exclusive = node.getInt("exclusive", 0) != 0, reverse = node.getInt("reverse", 0) != 0;
    Tensor out(in.getType());
    dispatchDType(in.getDType(), [&](auto zero) {
      using T = decltype(zero);
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
      auto src = in.getData<T>();
      auto dst = out.getMutableData<T>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          Acc acc = 0;
          for (int64_t s = 0; s < n; ++s) {
            int64_t k = reverse ? n - 1 - s : s;
            size_t e = size_t((o * n + k) * inner + i);
            if (exclusive) {
              dst[e] = T(acc);
              acc += Acc(src[e]);
            } else {
              acc += Acc(src[e]);
              dst[e] = T(acc);
            }
          }
        }
    });
    return TensorList{out};
  }
};

/// Hardmax(x) along `axis` (default -1; opset 13's form, before which the input was coerced to
/// 2-D at axis 1): 1 at the first maximum of each lane, 0 elsewhere.
class HardmaxOp : public OpSchema {
public:
  HardmaxOp() : OpSchema("Hardmax", 1, 1) {}

  llvm::Error upgrade(Node &node, int opset, Graph &graph) const override {
    return upgradeCoercedAxis(node, opset);
  }

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    if (auto err = expectInputDType(node, 0, {DType::Float32})) return std::move(err);
    const TensorType &x = node.getInput(0)->getType();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), x.getRank());
    if (!axis) return axis.takeError();
    return TypeList{x};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    const Tensor &in = inputs[0];
    auto axis = normalizeAxis(node, node.getInt("axis", -1), in.getRank());
    if (!axis) return axis.takeError();
    auto [outer, n, inner] = splitAtAxis(in.getDims(), *axis);
    Tensor out(in.getType()); // zeros
    auto src = in.getData<float>();
    auto dst = out.getMutableData<float>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = 0;
        for (int64_t k = 1; k < n; ++k)
          if (src[size_t((o * n + k) * inner + i)] > src[size_t((o * n + best) * inner + i)])
            best = k;
        if (n > 0) dst[size_t((o * n + best) * inner + i)] = 1.0f;
      }
    return TensorList{out};
  }
};

} // namespace

std::unique_ptr<OpSchema> createHardmaxSchema() { return std::make_unique<HardmaxOp>(); }
std::unique_ptr<OpSchema> createCumSumSchema() { return std::make_unique<CumSumOp>(); }
std::unique_ptr<OpSchema> createTopKSchema() { return std::make_unique<TopKOp>(); }
std::unique_ptr<OpSchema> createArgMaxSchema() {
  return std::make_unique<ArgReduceOp>("ArgMax", true);
}
std::unique_ptr<OpSchema> createArgMinSchema() {
  return std::make_unique<ArgReduceOp>("ArgMin", false);
}

std::unique_ptr<OpSchema> createReduceMeanSchema() {
  return std::make_unique<ReduceOp>("ReduceMean", ReduceKind::Mean, /*attributeAxes=*/true,
                                    /*integers=*/false);
}
std::unique_ptr<OpSchema> createReduceSumSchema() {
  return std::make_unique<ReduceOp>("ReduceSum", ReduceKind::Sum, /*attributeAxes=*/false,
                                    /*integers=*/true);
}
std::unique_ptr<OpSchema> createReduceMaxSchema() {
  return std::make_unique<ReduceOp>("ReduceMax", ReduceKind::Max, true, true);
}
std::unique_ptr<OpSchema> createReduceMinSchema() {
  return std::make_unique<ReduceOp>("ReduceMin", ReduceKind::Min, true, true);
}
std::unique_ptr<OpSchema> createReduceProdSchema() {
  return std::make_unique<ReduceOp>("ReduceProd", ReduceKind::Prod, true, true);
}
std::unique_ptr<OpSchema> createReduceL1Schema() {
  return std::make_unique<ReduceOp>("ReduceL1", ReduceKind::L1, true, true);
}
std::unique_ptr<OpSchema> createReduceL2Schema() {
  return std::make_unique<ReduceOp>("ReduceL2", ReduceKind::L2, true, false);
}
std::unique_ptr<OpSchema> createReduceSumSquareSchema() {
  return std::make_unique<ReduceOp>("ReduceSumSquare", ReduceKind::SumSquare, true, true);
}
std::unique_ptr<OpSchema> createReduceLogSumSchema() {
  return std::make_unique<ReduceOp>("ReduceLogSum", ReduceKind::LogSum, true, false);
}
std::unique_ptr<OpSchema> createReduceLogSumExpSchema() {
  return std::make_unique<ReduceOp>("ReduceLogSumExp", ReduceKind::LogSumExp, true, false);
}

} // namespace spcc
