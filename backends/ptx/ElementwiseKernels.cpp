//===- ElementwiseKernels.cpp - GPU kernels of one thread per element -----===//
#include "backends/ptx/ElementwiseKernels.h"

#include "backends/common/ActivationIr.h"

namespace spcc::ptx {

llvm::Function *emitElementwiseKernel(llvm::Module &module, llvm::StringRef name, ElementwiseOp op,
                                      KernelFlavor flavor) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *global = llvm::PointerType::get(context, kGlobalAddressSpace);
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  auto body = [op](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                   llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Function *function = builder.GetInsertBlock()->getParent();
    llvm::Value *i = builder.CreateAdd(builder.CreateMul(indices.blockX, indices.blockDimX),
                                       indices.threadX, "i");
    auto *inRange = llvm::BasicBlock::Create(builder.getContext(), "in.range", function, done);
    builder.CreateCondBr(builder.CreateICmpSLT(i, arguments[3]), inRange, done);
    builder.SetInsertPoint(inRange);
    llvm::Type *f32 = builder.getFloatTy();
    llvm::Value *index = builder.CreateZExt(i, builder.getInt64Ty());
    auto at = [&](llvm::Value *base) { return builder.CreateInBoundsGEP(f32, base, index); };
    llvm::Value *x = builder.CreateAlignedLoad(f32, at(arguments[1]), llvm::Align(4));
    switch (op) {
    case ElementwiseOp::Copy: break;
    case ElementwiseOp::Relu:
      x = emitFusedActivation(builder, x, {FusedActivation::Kind::Relu});
      break;
    case ElementwiseOp::Add:
      x = builder.CreateFAdd(x, builder.CreateAlignedLoad(f32, at(arguments[2]), llvm::Align(4)));
      break;
    }
    builder.CreateAlignedStore(x, at(arguments[0]), llvm::Align(4));
    builder.CreateBr(done);
  };
  llvm::Function *kernel =
      emitKernel(module, name, {global, global, global, i32}, flavor, kElementwiseThreads, body);
  if (flavor == KernelFlavor::Device) {
    kernel->addParamAttr(1, llvm::Attribute::ReadOnly);
    kernel->addParamAttr(2, llvm::Attribute::ReadOnly);
  }
  return kernel;
}

} // namespace spcc::ptx
