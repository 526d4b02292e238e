//===- LoweringUtil.h - Shared pieces of the kernel lowering ------------===//
//
// Internal to backends/common: how the lowering of each op family builds a
// KernelCall.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_LOWERINGUTIL_H
#define SPCC_BACKENDS_COMMON_LOWERINGUTIL_H

#include "backends/common/KernelLowering.h"
#include "compiler/ops/OpHelpers.h"
#include "runtime/kernels/KernelParams.h"

#include <cstring>

namespace spcc::lowering {

/// A zero-initialised parameter struct (every unused field and array entry is
/// 0, so equal nodes give equal bytes).
template <typename Params> Params zeroed() {
  Params params;
  std::memset(&params, 0, sizeof(Params));
  return params;
}

/// The kernel library's code of \p dtype.
int32_t kernelDType(DType dtype);

/// The dims of value \p v.
inline llvm::ArrayRef<int64_t> dimsOf(const Value *v) { return v->getType().getDims(); }

/// An output walked by several operands: dims and one stride list per operand.
struct StridedShape {
  Dims dims;
  llvm::SmallVector<Dims, 3> strides;
};

/// Simplifies \p shape without changing which elements are read: drops unit
/// axes and merges neighbouring axes that every operand walks contiguously. The
/// result has rank >= 1 (a single element is dims {1}); fails with Unsupported
/// above SPCC_KERNEL_MAX_RANK axes.
llvm::Expected<StridedShape> collapse(const Node &node, StridedShape shape);

/// Copies \p values into a fixed array of the params (the caller checked the
/// size).
inline void fill(int64_t *dst, llvm::ArrayRef<int64_t> values) {
  for (size_t i = 0; i < values.size(); ++i) dst[i] = values[i];
}

/// The constant value of input \p index, or an Unsupported error naming \p
/// what.
llvm::Expected<const Tensor *> constantInput(const Node &node, size_t index, llvm::StringRef what);

/// Product of \p dims.
inline int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// Lowerings named in the Lowering column of Ops.def: lower<Lowering> is defined in the
// Lower<Family>.cpp of its family (Alias, FoldedOnly and Expanded in KernelLowering.cpp).
llvm::Expected<KernelCall> lowerAlias(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerFoldedOnly(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerExpanded(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerUnary(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerCast(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerBinary(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerPredicate(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerWhere(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerMatMul(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerAttention(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerGemm(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerConv(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerPool(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerGlobalAveragePool(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerGlobalMaxPool(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerBatchNormalization(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerLayerNormalization(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerInstanceNormalization(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerLrn(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerSoftmax(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerReduce(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerTopK(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerArgReduce(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerCumSum(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerTranspose(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerSlice(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerExpand(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerConcat(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerSplit(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerGather(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerPad(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerResize(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerBlockRearrange(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerTrilu(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerTile(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerGatherElements(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerScatterND(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerScatterElements(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerGatherND(const Node &node, const KernelLayout &layout);
llvm::Expected<KernelCall> lowerOneHot(const Node &node, const KernelLayout &layout);

} // namespace spcc::lowering

#endif
