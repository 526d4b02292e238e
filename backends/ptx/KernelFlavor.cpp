//===- KernelFlavor.cpp - One kernel generator, two ways to run its code --===//
#include "backends/ptx/KernelFlavor.h"

#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/Metadata.h"

namespace spcc::ptx {

namespace {

llvm::Function *declare(llvm::Module &module, llvm::StringRef name,
                        llvm::ArrayRef<llvm::Type *> parameterTypes) {
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(module.getContext()), parameterTypes, false);
  return llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module);
}

void annotate(llvm::Module &module, llvm::Function *kernel, llvm::StringRef key, int value) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Metadata *fields[] = {
      llvm::ValueAsMetadata::get(kernel), llvm::MDString::get(context, key),
      llvm::ValueAsMetadata::get(llvm::ConstantInt::get(llvm::Type::getInt32Ty(context), value))};
  module.getOrInsertNamedMetadata("nvvm.annotations")
      ->addOperand(llvm::MDNode::get(context, fields));
}

/// .maxntid and .minnctapersm: blocks of at most \p maxThreads threads, and enough of them per
/// SM for half of sm_80's / sm_90's 2048 threads. ptxas then keeps each thread within 64 of the
/// SM's 64K registers (scheduling loads less eagerly) instead of trading occupancy for them.
void annotateOccupancy(llvm::Module &module, llvm::Function *kernel, int maxThreads) {
  annotate(module, kernel, "maxntidx", maxThreads);
  annotate(module, kernel, "minctasm", std::max(1, kHalfOccupancyThreads / maxThreads));
}

llvm::Function *emitDeviceKernel(llvm::Module &module, llvm::StringRef name,
                                 llvm::ArrayRef<llvm::Type *> parameterTypes,
                                 int maxThreadsPerBlock, const KernelBody &body) {
  llvm::Function *kernel = declare(module, name, parameterTypes);
  kernel->setCallingConv(llvm::CallingConv::PTX_Kernel);
  annotateOccupancy(module, kernel, maxThreadsPerBlock);
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(context, "entry", kernel));
  llvm::BasicBlock *done = llvm::BasicBlock::Create(context, "done", kernel);
  auto read = [&](llvm::Intrinsic::ID id) { return builder.CreateIntrinsic(id, {}, {}); };
  ThreadIndices indices{read(llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x),
                        read(llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x),
                        read(llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_y),
                        read(llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_x)};
  std::vector<llvm::Value *> arguments;
  for (llvm::Argument &argument : kernel->args()) arguments.push_back(&argument);
  body(builder, indices, arguments, done);
  builder.SetInsertPoint(done);
  builder.CreateRetVoid();
  return kernel;
}

/// `void name(void **params, i32 gridX, i32 gridY, i32 blockDimX)` (spcc_abi_emulated_kernel):
/// the parameters read from `params` as cuLaunchKernel reads them, then for (y < gridY)
/// for (x < gridX) for (t < blockDimX) body; the loops' latches are the body's `done`.
llvm::Function *emitHostEmulationKernel(llvm::Module &module, llvm::StringRef name,
                                        llvm::ArrayRef<llvm::Type *> parameterTypes,
                                        const KernelBody &body) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  llvm::Type *ptr = llvm::PointerType::getUnqual(context);
  llvm::Function *kernel = declare(module, name, {ptr, i32, i32, i32});
  llvm::Value *params = kernel->getArg(0);
  llvm::Value *gridX = kernel->getArg(1);
  llvm::Value *gridY = kernel->getArg(2);
  llvm::Value *blockDimX = kernel->getArg(3);

  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(context, "entry", kernel));
  llvm::BasicBlock *entry = builder.GetInsertBlock();
  std::vector<llvm::Value *> arguments;
  for (size_t i = 0; i < parameterTypes.size(); ++i) {
    llvm::Value *slot = builder.CreateLoad(
        ptr, builder.CreateConstInBoundsGEP1_64(ptr, params, uint64_t(i)), "param.slot");
    arguments.push_back(builder.CreateLoad(parameterTypes[i], slot, "param"));
  }
  // One loop level: header with the phi, body block returned, latch increments and loops.
  struct Loop {
    llvm::PHINode *index;
    llvm::BasicBlock *header, *latch, *exit;
  };
  auto openLoop = [&](llvm::Value *count, llvm::BasicBlock *from, const char *label) {
    Loop loop;
    llvm::Function *f = kernel;
    loop.header = llvm::BasicBlock::Create(context, std::string(label) + ".header", f);
    llvm::BasicBlock *inside = llvm::BasicBlock::Create(context, std::string(label) + ".body", f);
    loop.latch = llvm::BasicBlock::Create(context, std::string(label) + ".latch", f);
    loop.exit = llvm::BasicBlock::Create(context, std::string(label) + ".exit", f);
    builder.CreateBr(loop.header);
    builder.SetInsertPoint(loop.header);
    loop.index = builder.CreatePHI(i32, 2, label);
    loop.index->addIncoming(builder.getInt32(0), from);
    builder.CreateCondBr(builder.CreateICmpSLT(loop.index, count), inside, loop.exit);
    builder.SetInsertPoint(inside);
    return loop;
  };
  auto closeLoop = [&](Loop &loop) {
    builder.SetInsertPoint(loop.latch);
    loop.index->addIncoming(builder.CreateAdd(loop.index, builder.getInt32(1)), loop.latch);
    builder.CreateBr(loop.header);
    builder.SetInsertPoint(loop.exit);
  };
  Loop y = openLoop(gridY, entry, "block.y");
  Loop x = openLoop(gridX, builder.GetInsertBlock(), "block.x");
  Loop t = openLoop(blockDimX, builder.GetInsertBlock(), "thread.x");
  body(builder, ThreadIndices{t.index, x.index, y.index, blockDimX}, arguments, t.latch);
  closeLoop(t);
  builder.CreateBr(x.latch);
  closeLoop(x);
  builder.CreateBr(y.latch);
  closeLoop(y);
  builder.CreateRetVoid();
  return kernel;
}

} // namespace

llvm::Function *emitKernel(llvm::Module &module, llvm::StringRef name,
                           llvm::ArrayRef<llvm::Type *> parameterTypes, KernelFlavor flavor,
                           int maxThreadsPerBlock, const KernelBody &body) {
  if (flavor == KernelFlavor::Device)
    return emitDeviceKernel(module, name, parameterTypes, maxThreadsPerBlock, body);
  return emitHostEmulationKernel(module, name, parameterTypes, body);
}

} // namespace spcc::ptx
