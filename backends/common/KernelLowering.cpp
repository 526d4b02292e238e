//===- KernelLowering.cpp - Which kernel runs a node ----------------------===//
#include "backends/common/LoweringUtil.h"

#include "backends/common/FeatureMajor.h"

#include "llvm/ADT/StringMap.h"

namespace spcc {
namespace lowering {

static_assert(SPCC_KDT_F32 == int(DType::Float32) && SPCC_KDT_F16 == int(DType::Float16) &&
                  SPCC_KDT_I64 == int(DType::Int64) && SPCC_KDT_I32 == int(DType::Int32) &&
                  SPCC_KDT_I8 == int(DType::Int8) && SPCC_KDT_U8 == int(DType::UInt8) &&
                  SPCC_KDT_BOOL == int(DType::Bool),
              "spcc_kernel_dtype lists DType in order");

int32_t kernelDType(DType dtype) { return int32_t(dtype); }

llvm::Expected<StridedShape> collapse(const Node &node, StridedShape shape) {
  StridedShape result;
  result.strides.resize(shape.strides.size());
  for (size_t d = 0; d < shape.dims.size(); ++d) {
    if (shape.dims[d] == 1) continue;
    bool merge = !result.dims.empty();
    for (size_t i = 0; merge && i < shape.strides.size(); ++i)
      merge = result.strides[i].back() == shape.strides[i][d] * shape.dims[d];
    if (merge) {
      result.dims.back() *= shape.dims[d];
      for (size_t i = 0; i < shape.strides.size(); ++i)
        result.strides[i].back() = shape.strides[i][d];
      continue;
    }
    result.dims.push_back(shape.dims[d]);
    for (size_t i = 0; i < shape.strides.size(); ++i)
      result.strides[i].push_back(shape.strides[i][d]);
  }
  if (result.dims.empty()) {
    result.dims.push_back(1);
    for (Dims &s : result.strides) s.push_back(0);
  }
  if (result.dims.size() > SPCC_KERNEL_MAX_RANK)
    return nodeError(node, ErrorCode::Unsupported,
                     "needs " + llvm::Twine(result.dims.size()) +
                         " strided axes after merging; kernels walk at most " +
                         llvm::Twine(SPCC_KERNEL_MAX_RANK));
  return result;
}

llvm::Expected<const Tensor *> constantInput(const Node &node, size_t index, llvm::StringRef what) {
  const Value *v = node.getInput(index);
  if (!v || !v->isConstant())
    return nodeError(node, ErrorCode::Unsupported,
                     what + " (input " + llvm::Twine(index) +
                         ") must be a constant for the dense kernels");
  return &v->getConstant();
}

llvm::Expected<KernelCall> lowerAlias(const Node &node, const KernelLayout &) {
  if (node.getNumOutputs() > 1)
    return nodeError(node, ErrorCode::Unsupported,
                     "the optional mask output is not supported by the dense kernels");
  KernelCall call;
  call.isAlias = true;
  return call;
}

llvm::Expected<KernelCall> lowerFoldedOnly(const Node &node, const KernelLayout &) {
  return nodeError(node, ErrorCode::Unsupported,
                   "has no kernel: its result depends on shapes or constants only and should "
                   "have been folded at compile time");
}

llvm::Expected<KernelCall> lowerExpanded(const Node &node, const KernelLayout &) {
  return nodeError(node, ErrorCode::Unsupported,
                   "has no kernel of its own: a pass (expand-recurrent, expand-conv-transpose) "
                   "rewrites it into other ops (was it disabled?)");
}

} // namespace lowering

llvm::Expected<KernelCall> lowerToKernelCall(const Node &node, const KernelLayout &layout) {
  using LowerFn = llvm::Expected<KernelCall> (*)(const Node &, const KernelLayout &);
  static const llvm::StringMap<LowerFn> lowerings = {
#define SPCC_OP(Name, Lowering) {#Name, &lowering::lower##Lowering},
#include "compiler/ops/Ops.def"
  };
  auto found = lowerings.find(node.getOpType());
  if (found == lowerings.end())
    return nodeError(node, ErrorCode::Unsupported, "no dense kernel for this operator");
  if ((layout.featureMajorInputs || layout.featureMajorOutput) && !featureMajorSlots(node))
    return nodeError(node, ErrorCode::Internal, "its kernel works token-major only");
  return found->second(node, layout);
}

} // namespace spcc
