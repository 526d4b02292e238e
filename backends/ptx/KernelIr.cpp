//===- KernelIr.cpp - IR pieces the GPU kernel generators share ----------===//
#include "backends/ptx/KernelIr.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

namespace spcc::ptx {

llvm::Type *globalPointer(llvm::LLVMContext &context) {
  return llvm::PointerType::get(context, kGlobalAddressSpace);
}

llvm::Value *elementIndex(llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                          llvm::Value *count, llvm::BasicBlock *done) {
  llvm::Value *i =
      builder.CreateAdd(builder.CreateMul(indices.blockX, indices.blockDimX), indices.threadX, "i");
  llvm::Function *function = builder.GetInsertBlock()->getParent();
  auto *inRange = llvm::BasicBlock::Create(builder.getContext(), "in.range", function, done);
  builder.CreateCondBr(builder.CreateICmpSLT(i, count), inRange, done);
  builder.SetInsertPoint(inRange);
  return i;
}

llvm::Value *accumulateLoop(llvm::IRBuilder<> &builder, int64_t count, llvm::Value *initial,
                            const std::function<llvm::Value *(llvm::Value *, llvm::Value *)> &body,
                            const char *label, int unrollCount) {
  llvm::LLVMContext &context = builder.getContext();
  llvm::Function *function = builder.GetInsertBlock()->getParent();
  llvm::BasicBlock *before = builder.GetInsertBlock();
  auto *loop = llvm::BasicBlock::Create(context, label, function);
  auto *after = llvm::BasicBlock::Create(context, std::string(label) + ".end", function);
  builder.CreateBr(loop);
  builder.SetInsertPoint(loop);
  llvm::PHINode *index = builder.CreatePHI(builder.getInt32Ty(), 2, "v");
  llvm::PHINode *acc = builder.CreatePHI(initial->getType(), 2, "acc");
  index->addIncoming(builder.getInt32(0), before);
  acc->addIncoming(initial, before);
  llvm::Value *next = body(index, acc);
  llvm::Value *step = builder.CreateAdd(index, builder.getInt32(1));
  index->addIncoming(step, builder.GetInsertBlock());
  acc->addIncoming(next, builder.GetInsertBlock());
  llvm::BranchInst *latch = builder.CreateCondBr(
      builder.CreateICmpSLT(step, builder.getInt32(uint32_t(count))), loop, after);
  if (unrollCount > 0) {
    // !llvm.loop !{self, !{"llvm.loop.unroll.count", unrollCount}}, or unroll.disable for 1,
    // which NVPTX passes on to ptxas as `.pragma "nounroll"` (ptxas unrolls on its own too).
    llvm::SmallVector<llvm::Metadata *, 2> hint;
    if (unrollCount == 1) {
      hint.push_back(llvm::MDString::get(context, "llvm.loop.unroll.disable"));
    } else {
      hint.push_back(llvm::MDString::get(context, "llvm.loop.unroll.count"));
      hint.push_back(llvm::ConstantAsMetadata::get(builder.getInt32(uint32_t(unrollCount))));
    }
    llvm::TempMDTuple placeholder = llvm::MDNode::getTemporary(context, {});
    llvm::MDNode *self =
        llvm::MDNode::getDistinct(context, {placeholder.get(), llvm::MDNode::get(context, hint)});
    self->replaceOperandWith(0, self);
    latch->setMetadata(llvm::LLVMContext::MD_loop, self);
  }
  builder.SetInsertPoint(after);
  return next;
}

llvm::Value *accumulateRange(llvm::IRBuilder<> &builder, llvm::Value *begin, llvm::Value *end,
                             llvm::Value *initial,
                             const std::function<llvm::Value *(llvm::Value *, llvm::Value *)> &body,
                             const char *label) {
  llvm::LLVMContext &context = builder.getContext();
  llvm::Function *function = builder.GetInsertBlock()->getParent();
  llvm::BasicBlock *before = builder.GetInsertBlock();
  auto *loop = llvm::BasicBlock::Create(context, label, function);
  auto *after = llvm::BasicBlock::Create(context, std::string(label) + ".end", function);
  builder.CreateCondBr(builder.CreateICmpSLT(begin, end), loop, after);
  builder.SetInsertPoint(loop);
  llvm::PHINode *index = builder.CreatePHI(builder.getInt32Ty(), 2, "v");
  llvm::PHINode *acc = builder.CreatePHI(initial->getType(), 2, "acc");
  index->addIncoming(begin, before);
  acc->addIncoming(initial, before);
  llvm::Value *next = body(index, acc);
  llvm::Value *step = builder.CreateAdd(index, builder.getInt32(1));
  index->addIncoming(step, builder.GetInsertBlock());
  acc->addIncoming(next, builder.GetInsertBlock());
  llvm::BasicBlock *latchBlock = builder.GetInsertBlock();
  builder.CreateCondBr(builder.CreateICmpSLT(step, end), loop, after);
  builder.SetInsertPoint(after);
  llvm::PHINode *result = builder.CreatePHI(initial->getType(), 2, "sum");
  result->addIncoming(initial, before);
  result->addIncoming(next, latchBlock);
  return result;
}

namespace {

llvm::GlobalVariable *bake(llvm::Module &module, const llvm::Twine &name, llvm::Constant *init) {
  auto *global = new llvm::GlobalVariable(module, init->getType(), true,
                                          llvm::GlobalValue::PrivateLinkage, init, name, nullptr,
                                          llvm::GlobalValue::NotThreadLocal, kGlobalAddressSpace);
  global->setAlignment(llvm::Align(16));
  return global;
}

} // namespace

llvm::GlobalVariable *bakeFloats(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<float> values) {
  return bake(module, name, llvm::ConstantDataArray::get(module.getContext(), values));
}

llvm::GlobalVariable *bakeInt32s(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<int32_t> values) {
  return bake(module, name, llvm::ConstantDataArray::get(module.getContext(), values));
}

llvm::GlobalVariable *bakeInt16s(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<uint16_t> values) {
  return bake(module, name, llvm::ConstantDataArray::get(module.getContext(), values));
}

llvm::GlobalVariable *bakeInt64s(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<int64_t> values) {
  return bake(module, name, llvm::ConstantDataArray::get(module.getContext(), values));
}

llvm::Value *loadFloat(llvm::IRBuilder<> &builder, llvm::Value *base, llvm::Value *index) {
  llvm::Type *f32 = builder.getFloatTy();
  return builder.CreateAlignedLoad(
      f32, builder.CreateInBoundsGEP(f32, base, builder.CreateZExt(index, builder.getInt64Ty())),
      llvm::Align(4));
}

void storeFloat(llvm::IRBuilder<> &builder, llvm::Value *value, llvm::Value *base,
                llvm::Value *index) {
  llvm::Type *f32 = builder.getFloatTy();
  builder.CreateAlignedStore(
      value, builder.CreateInBoundsGEP(f32, base, builder.CreateZExt(index, builder.getInt64Ty())),
      llvm::Align(4));
}

llvm::Value *emitExp(llvm::IRBuilder<> &builder, llvm::Value *x) {
  llvm::Type *f32 = builder.getFloatTy();
  auto constant = [&](double v) { return llvm::ConstantFP::get(f32, v); };
  // exp(x) = 2^t with t = x * log2(e) = n + f, n = floor(t), f in [0, 1).
  llvm::Value *t = builder.CreateFMul(x, constant(1.4426950408889634));
  t = builder.CreateIntrinsic(
      llvm::Intrinsic::minnum, {f32},
      {builder.CreateIntrinsic(llvm::Intrinsic::maxnum, {f32}, {t, constant(-126.0)}),
       constant(127.0)});
  llvm::Value *n = builder.CreateIntrinsic(llvm::Intrinsic::floor, {f32}, {t});
  llvm::Value *f = builder.CreateFSub(t, n);
  // 2^f = e^(f ln 2): its Taylor series to degree 8 (remainder < 1e-7 on [0, 1)).
  static constexpr double kCoefficients[] = {1.0,
                                             0.6931471805599453,
                                             0.2402265069591007,
                                             0.05550410866482158,
                                             0.009618129107628477,
                                             0.0013333558146428443,
                                             1.5403530393381606e-4,
                                             1.525273380405984e-5,
                                             1.3215486790144307e-6};
  llvm::Value *p = constant(kCoefficients[8]);
  for (int i = 7; i >= 0; --i)
    p = builder.CreateIntrinsic(llvm::Intrinsic::fma, {f32}, {p, f, constant(kCoefficients[i])});
  // 2^n as a float: the biased exponent n + 127 in bits 23-30.
  llvm::Value *biased =
      builder.CreateAdd(builder.CreateFPToSI(n, builder.getInt32Ty()), builder.getInt32(127));
  llvm::Value *scale = builder.CreateBitCast(builder.CreateShl(biased, 23), f32);
  return builder.CreateFMul(p, scale);
}

llvm::Value *emitTanh(llvm::IRBuilder<> &builder, llvm::Value *x) {
  llvm::Type *f32 = builder.getFloatTy();
  auto constant = [&](double v) { return llvm::ConstantFP::get(f32, v); };
  // tanh|x| = 1 - 2 / (exp(2|x|) + 1), with x's sign; below 2^-12 tanh x = x to float precision
  // (and the subtraction would cancel).
  llvm::Value *magnitude = builder.CreateIntrinsic(llvm::Intrinsic::fabs, {f32}, {x});
  llvm::Value *e = emitExp(builder, builder.CreateFMul(magnitude, constant(2.0)));
  llvm::Value *t = builder.CreateFSub(
      constant(1.0), builder.CreateFDiv(constant(2.0), builder.CreateFAdd(e, constant(1.0))));
  t = builder.CreateIntrinsic(llvm::Intrinsic::copysign, {f32}, {t, x});
  return builder.CreateSelect(builder.CreateFCmpOLT(magnitude, constant(1.0 / 4096)), x, t);
}

} // namespace spcc::ptx
