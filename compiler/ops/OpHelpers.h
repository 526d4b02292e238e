//===- OpHelpers.h - Shared pieces of shape rules and evaluations --------===//
#ifndef SPCC_OPS_OPHELPERS_H
#define SPCC_OPS_OPHELPERS_H

#include "compiler/ops/OpSchema.h"

#include <initializer_list>

namespace spcc {

using Dims = llvm::SmallVector<int64_t, 4>;

/// Row-major strides (in elements) of \p dims.
Dims stridesOf(llvm::ArrayRef<int64_t> dims);

/// Strides (elements) with which an input of \p inDims is read for each axis of an output of
/// \p outDims under ONNX broadcasting (inDims aligned to the right): 0 on broadcast axes.
Dims broadcastStrides(llvm::ArrayRef<int64_t> outDims, llvm::ArrayRef<int64_t> inDims);

/// Normalizes a possibly negative \p axis for \p rank; fails naming the node when out of range.
llvm::Expected<int> normalizeAxis(const Node &node, int64_t axis, int rank,
                                  llvm::StringRef what = "axis");

/// Multidirectional (numpy) broadcasting of two shapes, as ONNX defines it.
llvm::Expected<Dims> broadcastShapes(const Node &node, llvm::ArrayRef<int64_t> a,
                                     llvm::ArrayRef<int64_t> b);

/// Fails (Unsupported) unless input \p index is present and its dtype is one of \p allowed.
llvm::Error expectInputDType(const Node &node, size_t index, std::initializer_list<DType> allowed);
/// Fails unless input \p index has rank \p rank.
llvm::Error expectInputRank(const Node &node, size_t index, int rank);
/// Fails unless input \p index is known at compile time; returns its value.
llvm::Expected<const Tensor *> requireKnown(const Node &node, KnownInputs known, size_t index,
                                            llvm::StringRef what);

/// For each element of an output of shape \p outDims, the offset of the element of an input of
/// shape \p inDims it broadcasts from (ONNX broadcasting; inDims aligned to the right).
std::vector<int64_t> broadcastOffsets(llvm::ArrayRef<int64_t> outDims,
                                      llvm::ArrayRef<int64_t> inDims);

/// Calls \p fn with a value of the C++ element type of \p dtype (float, int64_t, int32_t,
/// int8_t or uint8_t; Bool maps to uint8_t). Float16 is storage only and is not dispatched.
template <typename Fn> auto dispatchDType(DType dtype, Fn &&fn) {
  switch (dtype) {
  case DType::Int64: return fn(int64_t{});
  case DType::Int32: return fn(int32_t{});
  case DType::Int8: return fn(int8_t{});
  case DType::UInt8:
  case DType::Bool: return fn(uint8_t{});
  case DType::Float32:
  case DType::Float16: break;
  }
  return fn(float{});
}

/// Calls \p fn with an unsigned integer type as wide as one element of \p dtype: copying
/// elements through it moves data of any dtype (Float16 included) bit for bit.
template <typename Fn> auto dispatchElementSize(DType dtype, Fn &&fn) {
  switch (dtypeSize(dtype)) {
  case 1: return fn(uint8_t{});
  case 2: return fn(uint16_t{});
  case 4: return fn(uint32_t{});
  default: return fn(uint64_t{});
  }
}

/// \p dims seen as outer x extent x inner around \p axis (products of the dims before and after).
struct AxisSplit {
  int64_t outer, extent, inner;
};
AxisSplit splitAtAxis(llvm::ArrayRef<int64_t> dims, int axis);

/// Moves the ints attribute \p attr of an older opset into input \p index as an int64 constant
/// (spcc's canonical form is the newest opset's, where these are inputs). No-op without it.
llvm::Error moveIntsAttributeToInput(Node &node, Graph &graph, const std::string &attr,
                                     size_t index);

/// Moves the float attribute \p attr of an older opset into input \p index as a float32 scalar
/// constant (Clip's min and max before opset 11, Pad's value before 11). No-op without it.
llvm::Error moveFloatAttributeToInput(Node &node, Graph &graph, const std::string &attr,
                                      size_t index);

/// The reverse, for ops whose canonical form keeps an attribute that a newer opset made an input
/// (ReduceMean's axes from opset 18): input \p index, which must be an int64 constant, becomes
/// the ints attribute \p attr and the input is dropped. No-op without the input.
llvm::Error moveConstantInputToIntsAttribute(Node &node, size_t index, const std::string &attr);

/// Before opset 13, Softmax, LogSoftmax and Hardmax coerced their input to 2-D at `axis`
/// (default 1); that is opset 13's op along `axis` when every dim after it is 1, which this
/// checks and makes explicit (any other input is refused by name).
llvm::Error upgradeCoercedAxis(Node &node, int opset);

} // namespace spcc

#endif
