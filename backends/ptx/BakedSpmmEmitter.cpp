//===- BakedSpmmEmitter.cpp - GPU SpMM with the weights in the code -------===//
#include "backends/ptx/BakedSpmmEmitter.h"

#include "backends/common/ActivationIr.h"
#include "compiler/support/Error.h"

#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/MDBuilder.h"

namespace spcc::ptx {

namespace {

/// The body of one thread: rows [group * rowsPerGroup, +rowsPerGroup) at position `column`.
class BakedSpmmBody {
public:
  BakedSpmmBody(const SparseKernelSpec &spec, const BakedSpmmTiling &tiling,
                const GpuProductLayout &layout)
      : spec(spec), tiling(tiling), layout(layout) {}

  void emit(llvm::IRBuilder<> &builder, const ThreadIndices &indices,
            llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) const;

private:
  void emitRow(llvm::IRBuilder<> &builder, int64_t row, llvm::Value *column,
               llvm::ArrayRef<llvm::Value *> arguments) const;

  const SparseKernelSpec &spec;
  const BakedSpmmTiling &tiling;
  const GpuProductLayout &layout;
};

void BakedSpmmBody::emit(llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                         llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) const {
  llvm::LLVMContext &context = builder.getContext();
  llvm::Function *function = builder.GetInsertBlock()->getParent();
  llvm::Value *n = arguments[3];
  llvm::Value *column = builder.CreateAdd(builder.CreateMul(indices.blockX, indices.blockDimX),
                                          indices.threadX, "column");
  llvm::BasicBlock *inRange = llvm::BasicBlock::Create(context, "in.range", function, done);
  builder.CreateCondBr(builder.CreateICmpSLT(column, n), inRange, done);
  builder.SetInsertPoint(inRange);

  // One case of straight-line code per row group; the grid's y picks it.
  int64_t rows = spec.weights.getRows();
  int64_t groups = (rows + tiling.rowsPerGroup - 1) / tiling.rowsPerGroup;
  llvm::SwitchInst *dispatch =
      builder.CreateSwitch(indices.blockY, done, unsigned(std::max<int64_t>(groups, 1)));
  for (int64_t group = 0; group < groups; ++group) {
    llvm::BasicBlock *block =
        llvm::BasicBlock::Create(context, "rows." + std::to_string(group), function, done);
    dispatch->addCase(builder.getInt32(uint32_t(group)), block);
    builder.SetInsertPoint(block);
    int64_t end = std::min(rows, (group + 1) * tiling.rowsPerGroup);
    for (int64_t row = group * tiling.rowsPerGroup; row < end; ++row) {
      emitRow(builder, row, column, arguments);
      // A block per row: no load is shared between rows, so no value of B stays live from one
      // row to the next and a thread needs a few registers whatever the group size.
      llvm::BasicBlock *next =
          llvm::BasicBlock::Create(context, "row." + std::to_string(row + 1), function, done);
      builder.CreateBr(next);
      builder.SetInsertPoint(next);
    }
    builder.CreateBr(done);
  }
}

void BakedSpmmBody::emitRow(llvm::IRBuilder<> &builder, int64_t row, llvm::Value *column,
                            llvm::ArrayRef<llvm::Value *> arguments) const {
  llvm::Type *f32 = builder.getFloatTy();
  llvm::Value *position = builder.CreateZExt(column, builder.getInt64Ty());
  llvm::Value *bPosition = builder.CreateMul(position, builder.getInt64(layout.bPositionStride));
  llvm::Value *cPosition = builder.CreateMul(position, builder.getInt64(layout.cPositionStride));
  auto element = [&](llvm::Value *base, llvm::Value *at, int64_t offset) {
    return builder.CreateInBoundsGEP(f32, base,
                                     builder.CreateAdd(at, builder.getInt64(uint64_t(offset))));
  };
  llvm::ArrayRef<int64_t> rowStart = spec.weights.getRowStart();
  llvm::ArrayRef<int32_t> columns = spec.weights.getColIndex();
  llvm::ArrayRef<float> values = spec.weights.getValues();
  // -0.0 is fadd's identity, so the first FMA of the chain folds into a multiply.
  llvm::Value *acc = llvm::ConstantFP::get(f32, rowStart[row] < rowStart[row + 1] ? -0.0 : 0.0);
  for (int64_t i = rowStart[row]; i < rowStart[row + 1]; ++i) {
    llvm::LoadInst *b = builder.CreateAlignedLoad(
        f32, element(arguments[0], bPosition, spec.bRowOffsets[size_t(columns[i])]),
        llvm::Align(4));
    float value = values[i];
    if (value == 1.0f)
      acc = builder.CreateFAdd(acc, b);
    else if (value == -1.0f)
      acc = builder.CreateFSub(acc, b);
    else
      acc = builder.CreateIntrinsic(llvm::Intrinsic::fma, {f32},
                                    {llvm::ConstantFP::get(f32, double(value)), b, acc});
  }
  if (!spec.epilogue.bias.empty())
    acc = builder.CreateFAdd(acc, llvm::ConstantFP::get(f32, double(spec.epilogue.bias[row])));
  if (spec.epilogue.residual) {
    llvm::LoadInst *r = builder.CreateAlignedLoad(
        f32, element(arguments[2], cPosition, row * spec.ldc), llvm::Align(4));
    acc = builder.CreateFAdd(acc, r);
  }
  acc = emitFusedActivation(builder, acc, spec.epilogue.activation);
  builder.CreateAlignedStore(acc, element(arguments[1], cPosition, row * spec.ldc), llvm::Align(4));
}

} // namespace

llvm::Expected<GpuLaunchShape> emitBakedSpmm(llvm::Module &module, llvm::StringRef name,
                                             const SparseKernelSpec &spec,
                                             const BakedSpmmTiling &tiling, KernelFlavor flavor,
                                             const GpuProductLayout &layout) {
  if (spec.readsPlaneRows())
    return makeError(ErrorCode::Unsupported, "the GPU's baked sparse product does not read a "
                                             "convolution's padded plane rows");
  if (tiling.rowsPerGroup < 1 || tiling.threadsPerBlock < 1 || tiling.threadsPerBlock > 1024)
    return makeError(ErrorCode::Internal, "bad baked SpMM tiling");
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *global = llvm::PointerType::get(context, kGlobalAddressSpace);
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  BakedSpmmBody body(spec, tiling, layout);
  llvm::Function *kernel =
      emitKernel(module, name, {global, global, global, i32}, flavor, tiling.threadsPerBlock,
                 [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                     llvm::ArrayRef<llvm::Value *> arguments,
                     llvm::BasicBlock *done) { body.emit(builder, indices, arguments, done); });
  if (flavor == KernelFlavor::Device) {
    // B is only read and overlaps nothing the kernel writes: NVPTX reads it through the
    // non-coherent cache. The residual may be C itself (each thread reads its element before
    // writing it). (The emulation's parameters arrive through `params`.)
    kernel->addParamAttr(0, llvm::Attribute::NoAlias);
    kernel->addParamAttr(0, llvm::Attribute::ReadOnly);
    kernel->addParamAttr(2, llvm::Attribute::ReadOnly);
    kernel->addParamAttr(1, llvm::Attribute::WriteOnly);
  }
  int64_t groups = (spec.weights.getRows() + tiling.rowsPerGroup - 1) / tiling.rowsPerGroup;
  return GpuLaunchShape{tiling.threadsPerBlock, std::max<int64_t>(groups, 1)};
}

} // namespace spcc::ptx
