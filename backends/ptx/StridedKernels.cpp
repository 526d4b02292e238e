//===- StridedKernels.cpp - GPU kernels over elements at computed offsets -===//
#include "backends/ptx/StridedKernels.h"

#include "backends/common/ActivationIr.h"
#include "backends/ptx/KernelIr.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

#include <cassert>

namespace spcc::ptx {
namespace {

/// The offset of output element \p i (i32) in an operand of \p strides over \p dims: the
/// multi-index of i, dimension by dimension from the last, times the strides.
llvm::Value *operandOffset(llvm::IRBuilder<> &builder, llvm::Value *i, llvm::ArrayRef<int64_t> dims,
                           llvm::ArrayRef<int64_t> strides) {
  // Laid out like the output: the offset is i itself.
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t d = dims.size(); d-- > 0;) {
    if (dims[d] != 1 && strides[d] != expected) contiguous = false;
    expected *= dims[d];
  }
  if (contiguous) return i;
  llvm::Value *offset = builder.getInt32(0), *rest = i;
  for (size_t d = dims.size(); d-- > 0;) {
    if (dims[d] == 1) continue;
    llvm::Value *index =
        d == 0 ? rest : builder.CreateURem(rest, builder.getInt32(uint32_t(dims[d])));
    if (strides[d] != 0)
      offset = builder.CreateAdd(offset,
                                 builder.CreateMul(index, builder.getInt32(uint32_t(strides[d]))));
    if (d > 0) rest = builder.CreateUDiv(rest, builder.getInt32(uint32_t(dims[d])));
  }
  return offset;
}

/// Loads element \p offset (i32) of \p base, of type \p dtype, as a float.
llvm::Value *loadAsFloat(llvm::IRBuilder<> &builder, llvm::Value *base, llvm::Value *offset,
                         DType dtype) {
  llvm::Type *f32 = builder.getFloatTy();
  llvm::Value *index = builder.CreateZExt(offset, builder.getInt64Ty());
  auto load = [&](llvm::Type *type, unsigned align) {
    return builder.CreateAlignedLoad(type, builder.CreateInBoundsGEP(type, base, index),
                                     llvm::Align(align));
  };
  switch (dtype) {
  case DType::Int64: return builder.CreateSIToFP(load(builder.getInt64Ty(), 8), f32);
  case DType::Int32: return builder.CreateSIToFP(load(builder.getInt32Ty(), 4), f32);
  case DType::Bool:
    return builder.CreateUIToFP(
        builder.CreateICmpNE(load(builder.getInt8Ty(), 1), builder.getInt8(0)), f32);
  default: return load(f32, 4);
  }
}

llvm::Value *apply(llvm::IRBuilder<> &builder, StridedOp op, llvm::Value *a, llvm::Value *b) {
  llvm::Type *f32 = builder.getFloatTy();
  auto constant = [&](double v) { return llvm::ConstantFP::get(f32, v); };
  switch (op) {
  case StridedOp::Copy: return a;
  case StridedOp::Relu: return emitFusedActivation(builder, a, {FusedActivation::Kind::Relu});
  case StridedOp::Tanh: return emitTanh(builder, a);
  case StridedOp::Sqrt: return builder.CreateIntrinsic(llvm::Intrinsic::sqrt, {f32}, {a});
  case StridedOp::Exp: return emitExp(builder, a);
  case StridedOp::Erf: return emitErf(builder, a);
  case StridedOp::Sigmoid:
    return builder.CreateFDiv(
        constant(1.0), builder.CreateFAdd(constant(1.0), emitExp(builder, builder.CreateFNeg(a))));
  case StridedOp::Neg: return builder.CreateFNeg(a);
  case StridedOp::Reciprocal: return builder.CreateFDiv(constant(1.0), a);
  case StridedOp::Add: return builder.CreateFAdd(a, b);
  case StridedOp::Sub: return builder.CreateFSub(a, b);
  case StridedOp::Mul: return builder.CreateFMul(a, b);
  case StridedOp::Div: return builder.CreateFDiv(a, b);
  // ONNX's Max and Min propagate NaN, which maximum / minimum do.
  case StridedOp::Max: return builder.CreateIntrinsic(llvm::Intrinsic::maximum, {f32}, {a, b});
  case StridedOp::Min: return builder.CreateIntrinsic(llvm::Intrinsic::minimum, {f32}, {a, b});
  }
  return a;
}

} // namespace

bool isBinary(StridedOp op) { return op >= StridedOp::Add; }

llvm::Function *emitStridedKernel(llvm::Module &module, llvm::StringRef name,
                                  const StridedSpec &spec, KernelFlavor flavor) {
  assert(spec.operands.size() == (isBinary(spec.op) ? 2u : 1u) && "operand count");
  llvm::LLVMContext &context = module.getContext();
  std::vector<llvm::Value *> baked;
  for (size_t k = 0; k < spec.operands.size(); ++k)
    baked.push_back(
        spec.operands[k].constant.empty()
            ? nullptr
            : bakeFloats(module, name + ".operand" + llvm::Twine(k), spec.operands[k].constant));
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Value *i = elementIndex(builder, indices, arguments[3], done);
    llvm::Value *values[2] = {nullptr, nullptr};
    for (size_t k = 0; k < spec.operands.size(); ++k) {
      const StridedOperand &operand = spec.operands[k];
      llvm::Value *offset = operandOffset(builder, i, spec.outDims, operand.strides);
      values[k] = baked[k] ? loadFloat(builder, baked[k], offset)
                           : loadAsFloat(builder, arguments[1 + k], offset, operand.dtype);
    }
    storeFloat(builder, apply(builder, spec.op, values[0], values[1]), arguments[0], i);
    builder.CreateBr(done);
  };
  llvm::Type *global = globalPointer(context), *i32 = llvm::Type::getInt32Ty(context);
  return emitKernel(module, name, {global, global, global, i32}, flavor, kStridedThreads, body);
}

llvm::Function *emitGatherKernel(llvm::Module &module, llvm::StringRef name, const GatherSpec &spec,
                                 KernelFlavor flavor) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Value *table = spec.data.empty() ? nullptr : bakeFloats(module, name + ".data", spec.data);
  llvm::Value *bakedIndices =
      spec.indices.empty() ? nullptr : bakeInt64s(module, name + ".indices", spec.indices);
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    auto constant = [&](int64_t v) { return builder.getInt32(uint32_t(v)); };
    llvm::Value *i = elementIndex(builder, indices, arguments[3], done);
    llvm::Value *inner = builder.CreateURem(i, constant(spec.inner));
    llvm::Value *rest = builder.CreateUDiv(i, constant(spec.inner));
    llvm::Value *j = builder.CreateURem(rest, constant(spec.numIndices));
    llvm::Value *outer = builder.CreateUDiv(rest, constant(spec.numIndices));
    // The index, widened to 64 bits, negative ones counted from the end of the axis.
    llvm::Type *i64 = builder.getInt64Ty();
    llvm::Type *indexType = spec.indexType == DType::Int32 ? builder.getInt32Ty() : i64;
    llvm::Value *index = builder.CreateAlignedLoad(
        indexType,
        builder.CreateInBoundsGEP(indexType, bakedIndices ? bakedIndices : arguments[2],
                                  builder.CreateZExt(j, i64)),
        llvm::Align(spec.indexType == DType::Int32 ? 4 : 8));
    index = builder.CreateSExt(index, i64);
    llvm::Value *axis = builder.getInt64(uint64_t(spec.axisDim));
    index = builder.CreateSelect(builder.CreateICmpSLT(index, builder.getInt64(0)),
                                 builder.CreateAdd(index, axis), index);
    llvm::Value *valid = builder.CreateICmpULT(index, axis);
    llvm::Value *row =
        builder.CreateSelect(valid, builder.CreateTrunc(index, builder.getInt32Ty()), constant(0));
    llvm::Value *at = builder.CreateAdd(
        builder.CreateMul(builder.CreateAdd(builder.CreateMul(outer, constant(spec.axisDim)), row),
                          constant(spec.inner)),
        inner);
    llvm::Value *value = loadFloat(builder, table ? table : arguments[1], at);
    value = builder.CreateSelect(valid, value, llvm::ConstantFP::get(builder.getFloatTy(), 0.0));
    storeFloat(builder, value, arguments[0], i);
    builder.CreateBr(done);
  };
  llvm::Type *global = globalPointer(context), *i32 = llvm::Type::getInt32Ty(context);
  return emitKernel(module, name, {global, global, global, i32}, flavor, kStridedThreads, body);
}

} // namespace spcc::ptx
