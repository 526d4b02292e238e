//===- ConvKernels.cpp - GPU convolution and pooling kernels --------------===//
#include "backends/ptx/ConvKernels.h"

#include "backends/common/ActivationIr.h"
#include "backends/ptx/KernelIr.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Intrinsics.h"

namespace spcc::ptx {

llvm::Function *emitDirectConvKernel(llvm::Module &module, llvm::StringRef name,
                                     const DirectConvSpec &spec, KernelFlavor flavor) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *f32 = llvm::Type::getFloatTy(context), *i32 = llvm::Type::getInt32Ty(context);
  // The weights as constant data in global memory, read through the read-only cache.
  llvm::Constant *init = llvm::ConstantDataArray::get(context, llvm::ArrayRef(spec.weights));
  auto *weights = new llvm::GlobalVariable(
      module, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, name + ".weights",
      nullptr, llvm::GlobalValue::NotThreadLocal, kGlobalAddressSpace);
  weights->setAlignment(llvm::Align(16));
  int64_t inPerGroup = spec.inChannels / spec.group, outPerGroup = spec.outChannels / spec.group;
  int64_t plane = spec.outH * spec.outW;

  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    auto constant = [&](int64_t v) { return builder.getInt32(uint32_t(v)); };
    llvm::Value *i = elementIndex(builder, indices, arguments[3], done);
    llvm::Value *co = builder.CreateUDiv(i, constant(plane), "co");
    llvm::Value *rest = builder.CreateURem(i, constant(plane));
    llvm::Value *oy = builder.CreateUDiv(rest, constant(spec.outW), "oy");
    llvm::Value *ox = builder.CreateURem(rest, constant(spec.outW), "ox");
    llvm::Value *firstIn =
        builder.CreateMul(builder.CreateUDiv(co, constant(outPerGroup)), constant(inPerGroup));
    llvm::Value *y0 = builder.CreateSub(builder.CreateMul(oy, constant(spec.window.strideH)),
                                        constant(spec.window.padTop));
    llvm::Value *x0 = builder.CreateSub(builder.CreateMul(ox, constant(spec.window.strideW)),
                                        constant(spec.window.padLeft));
    llvm::Value *weightRow = builder.CreateMul(co, constant(inPerGroup));
    llvm::Value *zero = llvm::ConstantFP::get(f32, 0.0);
    llvm::Value *acc = accumulateLoop(
        builder, inPerGroup, zero,
        [&](llvm::Value *c, llvm::Value *sum) {
          llvm::Value *channel = builder.CreateAdd(firstIn, c);
          llvm::Value *wBase = builder.CreateMul(
              builder.CreateAdd(weightRow, c), constant(spec.window.kernelH * spec.window.kernelW));
          // The taps unrolled; a tap outside the image reads element 0 and adds zero.
          for (int64_t ky = 0; ky < spec.window.kernelH; ++ky)
            for (int64_t kx = 0; kx < spec.window.kernelW; ++kx) {
              llvm::Value *iy = builder.CreateAdd(y0, constant(ky * spec.window.dilationH));
              llvm::Value *ix = builder.CreateAdd(x0, constant(kx * spec.window.dilationW));
              llvm::Value *inside =
                  builder.CreateAnd(builder.CreateICmpULT(iy, constant(spec.inH)),
                                    builder.CreateICmpULT(ix, constant(spec.inW)));
              llvm::Value *at = builder.CreateAdd(
                  builder.CreateMul(
                      builder.CreateAdd(builder.CreateMul(channel, constant(spec.inH)), iy),
                      constant(spec.inW)),
                  ix);
              at = builder.CreateSelect(inside, at, constant(0));
              llvm::Value *x = builder.CreateAlignedLoad(
                  f32,
                  builder.CreateInBoundsGEP(f32, arguments[1],
                                            builder.CreateZExt(at, builder.getInt64Ty())),
                  llvm::Align(4));
              x = builder.CreateSelect(inside, x, zero);
              llvm::Value *w = builder.CreateAlignedLoad(
                  f32,
                  builder.CreateInBoundsGEP(
                      f32, weights,
                      builder.CreateZExt(
                          builder.CreateAdd(wBase, constant(ky * spec.window.kernelW + kx)),
                          builder.getInt64Ty())),
                  llvm::Align(4));
              sum = builder.CreateIntrinsic(llvm::Intrinsic::fma, {f32}, {w, x, sum});
            }
          return sum;
        },
        "channels");
    llvm::Value *index = builder.CreateZExt(i, builder.getInt64Ty());
    if (!spec.bias.empty()) {
      llvm::Constant *biasInit = llvm::ConstantDataArray::get(context, llvm::ArrayRef(spec.bias));
      auto *bias = new llvm::GlobalVariable(
          module, biasInit->getType(), true, llvm::GlobalValue::PrivateLinkage, biasInit,
          name + ".bias", nullptr, llvm::GlobalValue::NotThreadLocal, kGlobalAddressSpace);
      acc = builder.CreateFAdd(
          acc,
          builder.CreateAlignedLoad(
              f32,
              builder.CreateInBoundsGEP(f32, bias, builder.CreateZExt(co, builder.getInt64Ty())),
              llvm::Align(4)));
    }
    if (spec.residual)
      acc = builder.CreateFAdd(
          acc, builder.CreateAlignedLoad(f32, builder.CreateInBoundsGEP(f32, arguments[2], index),
                                         llvm::Align(4)));
    acc = emitFusedActivation(builder, acc, spec.activation);
    builder.CreateAlignedStore(acc, builder.CreateInBoundsGEP(f32, arguments[0], index),
                               llvm::Align(4));
    builder.CreateBr(done);
  };
  llvm::Type *global = globalPointer(context);
  return emitKernel(module, name, {global, global, global, i32}, flavor, kConvThreads, body);
}

llvm::Function *emitMaxPoolKernel(llvm::Module &module, llvm::StringRef name,
                                  const MaxPoolSpec &spec, KernelFlavor flavor) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *f32 = llvm::Type::getFloatTy(context), *i32 = llvm::Type::getInt32Ty(context);
  int64_t plane = spec.outH * spec.outW;
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    auto constant = [&](int64_t v) { return builder.getInt32(uint32_t(v)); };
    llvm::Value *i = elementIndex(builder, indices, arguments[3], done);
    llvm::Value *channel = builder.CreateUDiv(i, constant(plane));
    llvm::Value *rest = builder.CreateURem(i, constant(plane));
    llvm::Value *y0 =
        builder.CreateSub(builder.CreateMul(builder.CreateUDiv(rest, constant(spec.outW)),
                                            constant(spec.window.strideH)),
                          constant(spec.window.padTop));
    llvm::Value *x0 =
        builder.CreateSub(builder.CreateMul(builder.CreateURem(rest, constant(spec.outW)),
                                            constant(spec.window.strideW)),
                          constant(spec.window.padLeft));
    llvm::Value *best = llvm::ConstantFP::getInfinity(f32, /*Negative=*/true);
    for (int64_t ky = 0; ky < spec.window.kernelH; ++ky)
      for (int64_t kx = 0; kx < spec.window.kernelW; ++kx) {
        llvm::Value *iy = builder.CreateAdd(y0, constant(ky * spec.window.dilationH));
        llvm::Value *ix = builder.CreateAdd(x0, constant(kx * spec.window.dilationW));
        llvm::Value *inside = builder.CreateAnd(builder.CreateICmpULT(iy, constant(spec.inH)),
                                                builder.CreateICmpULT(ix, constant(spec.inW)));
        llvm::Value *at = builder.CreateAdd(
            builder.CreateMul(builder.CreateAdd(builder.CreateMul(channel, constant(spec.inH)), iy),
                              constant(spec.inW)),
            ix);
        at = builder.CreateSelect(inside, at, constant(0));
        llvm::Value *x = builder.CreateAlignedLoad(
            f32,
            builder.CreateInBoundsGEP(f32, arguments[1],
                                      builder.CreateZExt(at, builder.getInt64Ty())),
            llvm::Align(4));
        // Greater, or NaN (unordered with itself): a NaN, once taken, is never replaced.
        llvm::Value *takes = builder.CreateAnd(
            inside, builder.CreateOr(builder.CreateFCmpOGT(x, best), builder.CreateFCmpUNO(x, x)));
        best = builder.CreateSelect(takes, x, best);
      }
    builder.CreateAlignedStore(
        best,
        builder.CreateInBoundsGEP(f32, arguments[0], builder.CreateZExt(i, builder.getInt64Ty())),
        llvm::Align(4));
    builder.CreateBr(done);
  };
  llvm::Type *global = globalPointer(context);
  return emitKernel(module, name, {global, global, global, i32}, flavor, kConvThreads, body);
}

llvm::Function *emitGlobalAveragePoolKernel(llvm::Module &module, llvm::StringRef name,
                                            int64_t planeSize, KernelFlavor flavor) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *f32 = llvm::Type::getFloatTy(context), *i32 = llvm::Type::getInt32Ty(context);
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Value *channel = elementIndex(builder, indices, arguments[3], done);
    llvm::Value *base = builder.CreateMul(builder.CreateZExt(channel, builder.getInt64Ty()),
                                          builder.getInt64(uint64_t(planeSize)));
    llvm::Value *sum = accumulateLoop(
        builder, planeSize, llvm::ConstantFP::get(f32, 0.0),
        [&](llvm::Value *p, llvm::Value *acc) {
          llvm::Value *at = builder.CreateAdd(base, builder.CreateZExt(p, builder.getInt64Ty()));
          return builder.CreateFAdd(
              acc, builder.CreateAlignedLoad(f32, builder.CreateInBoundsGEP(f32, arguments[1], at),
                                             llvm::Align(4)));
        },
        "plane");
    llvm::Value *mean = builder.CreateFDiv(sum, llvm::ConstantFP::get(f32, double(planeSize)));
    builder.CreateAlignedStore(
        mean,
        builder.CreateInBoundsGEP(f32, arguments[0],
                                  builder.CreateZExt(channel, builder.getInt64Ty())),
        llvm::Align(4));
    builder.CreateBr(done);
  };
  llvm::Type *global = globalPointer(context);
  return emitKernel(module, name, {global, global, global, i32}, flavor, kConvThreads, body);
}

} // namespace spcc::ptx
