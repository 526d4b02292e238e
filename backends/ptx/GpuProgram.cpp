//===- GpuProgram.cpp - A GPU model's program tables and descriptor -------===//
#include "backends/ptx/GpuProgram.h"

#include "backends/common/AbiConstants.h"
#include "runtime/ModelAbi.h"
#include "runtime/include/spcc/spcc.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"

#include <cstddef>

namespace spcc::ptx {

// The LLVM struct types below spell out the C layouts of ModelAbi.h.
static_assert(sizeof(spcc_abi_gpu_arg) == 16 && offsetof(spcc_abi_gpu_arg, value) == 8,
              "spcc_abi_gpu_arg layout changed");
static_assert(sizeof(spcc_abi_gpu_launch) == 32 && offsetof(spcc_abi_gpu_launch, args) == 24,
              "spcc_abi_gpu_launch layout changed");
static_assert(sizeof(spcc_abi_gpu_data) == 32 && offsetof(spcc_abi_gpu_data, size) == 16,
              "spcc_abi_gpu_data layout changed");
static_assert(sizeof(spcc_abi_gpu_program) == 104 &&
                  offsetof(spcc_abi_gpu_program, cubin_bytes) == 24 &&
                  offsetof(spcc_abi_gpu_program, num_kernels) == 32 &&
                  offsetof(spcc_abi_gpu_program, kernel_names) == 40 &&
                  offsetof(spcc_abi_gpu_program, device_arena_bytes) == 64 &&
                  offsetof(spcc_abi_gpu_program, output_offsets) == 80 &&
                  offsetof(spcc_abi_gpu_program, data) == 96,
              "spcc_abi_gpu_program layout changed");
static_assert(sizeof(spcc_abi_model) == 80 && offsetof(spcc_abi_model, gpu) == 72,
              "spcc_abi_model layout changed");

GpuArg pointerArg(uint64_t offset) { return {SPCC_ABI_GPU_ARG_DEVICE_POINTER, offset}; }
GpuArg int32Arg(int64_t value) { return {SPCC_ABI_GPU_ARG_INT32, uint64_t(value)}; }

void emitGpuProgram(llvm::Module &host, const Graph &graph, const GpuArch &arch,
                    const GpuProgram &gpuProgram, bool emulate, llvm::StringRef ptx,
                    llvm::ArrayRef<char> cubin) {
  llvm::LLVMContext &context = host.getContext();
  const std::vector<std::string> &kernelNames = gpuProgram.kernelNames;
  const std::vector<GpuLaunch> &launches = gpuProgram.launches;
  llvm::IRBuilder<> builder(context);
  llvm::Type *ptrTy = builder.getPtrTy(), *i32Ty = builder.getInt32Ty(),
             *i64Ty = builder.getInt64Ty();
  llvm::Constant *null = llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context));
  auto constantGlobal = [&](llvm::Constant *init, const llvm::Twine &name, unsigned align) {
    auto *global = new llvm::GlobalVariable(host, init->getType(), true,
                                            llvm::GlobalValue::PrivateLinkage, init, name);
    global->setAlignment(llvm::Align(align));
    return global;
  };
  auto pointerTable = [&](llvm::ArrayRef<llvm::Constant *> entries, const llvm::Twine &name) {
    if (entries.empty()) return null;
    auto *type = llvm::ArrayType::get(ptrTy, entries.size());
    return static_cast<llvm::Constant *>(
        constantGlobal(llvm::ConstantArray::get(type, entries), name, 8));
  };
  auto offsetTable = [&](llvm::ArrayRef<uint64_t> offsets, const llvm::Twine &name) {
    if (offsets.empty()) return null;
    return static_cast<llvm::Constant *>(
        constantGlobal(llvm::ConstantDataArray::get(context, offsets), name, 8));
  };

  std::vector<llvm::Constant *> names, emulated;
  for (size_t k = 0; k < kernelNames.size(); ++k) {
    names.push_back(emitStringGlobal(host, "kernel.name." + llvm::Twine(k), kernelNames[k]));
    if (emulate) emulated.push_back(host.getFunction(kernelNames[k]));
  }
  auto *argTy = llvm::StructType::get(context, {i32Ty, i32Ty, i64Ty});
  auto *launchTy =
      llvm::StructType::get(context, {i32Ty, i32Ty, i32Ty, i32Ty, i32Ty, i32Ty, ptrTy});
  std::vector<llvm::Constant *> launchEntries;
  for (size_t l = 0; l < launches.size(); ++l) {
    const GpuLaunch &launch = launches[l];
    std::vector<llvm::Constant *> args;
    for (const GpuArg &arg : launch.args)
      args.push_back(llvm::ConstantStruct::get(argTy, {llvm::ConstantInt::get(i32Ty, arg.kind),
                                                       llvm::ConstantInt::get(i32Ty, 0),
                                                       llvm::ConstantInt::get(i64Ty, arg.value)}));
    auto *argsTy = llvm::ArrayType::get(argTy, args.size());
    llvm::Constant *argTable =
        constantGlobal(llvm::ConstantArray::get(argsTy, args), "launch.args." + llvm::Twine(l), 8);
    launchEntries.push_back(
        llvm::ConstantStruct::get(launchTy, {llvm::ConstantInt::get(i32Ty, launch.kernel),
                                             llvm::ConstantInt::get(i32Ty, launch.args.size()),
                                             llvm::ConstantInt::get(i32Ty, launch.gridX),
                                             llvm::ConstantInt::get(i32Ty, launch.gridY),
                                             llvm::ConstantInt::get(i32Ty, launch.blockX),
                                             llvm::ConstantInt::get(i32Ty, 0), argTable}));
  }
  llvm::Constant *launchTable = null;
  if (!launchEntries.empty())
    launchTable =
        constantGlobal(llvm::ConstantArray::get(
                           llvm::ArrayType::get(launchTy, launchEntries.size()), launchEntries),
                       "launches", 8);
  llvm::Constant *ptxText = emulate ? null : emitStringGlobal(host, "ptx", ptx);
  llvm::Constant *cubinData = null;
  if (!cubin.empty())
    cubinData = constantGlobal(
        llvm::ConstantDataArray::get(
            context,
            llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(cubin.data()), cubin.size())),
        "cubin", 16);

  // Each detached array's bytes, and in an emulated model the kernels' global to fill.
  auto *dataTy = llvm::StructType::get(context, {ptrTy, ptrTy, i64Ty, ptrTy});
  std::vector<llvm::Constant *> dataEntries;
  for (size_t i = 0; i < gpuProgram.data.size(); ++i) {
    const DetachedData &data = gpuProgram.data[i];
    llvm::Constant *bytes = constantGlobal(
        llvm::ConstantDataArray::get(
            context, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data.bytes.data()),
                                             data.bytes.size())),
        "data.bytes." + llvm::Twine(i), 16);
    llvm::Constant *hostGlobal =
        emulate ? llvm::ConstantExpr::getAddrSpaceCast(data.global, ptrTy) : null;
    dataEntries.push_back(llvm::ConstantStruct::get(
        dataTy, {emitStringGlobal(host, "data.name." + llvm::Twine(i), data.name), bytes,
                 llvm::ConstantInt::get(i64Ty, data.bytes.size()), hostGlobal}));
  }
  llvm::Constant *dataTable = null;
  if (!dataEntries.empty())
    dataTable = constantGlobal(
        llvm::ConstantArray::get(llvm::ArrayType::get(dataTy, dataEntries.size()), dataEntries),
        "data", 8);

  auto *programTy =
      llvm::StructType::get(context, {ptrTy, ptrTy, ptrTy, i64Ty, i32Ty, i32Ty, ptrTy, ptrTy, ptrTy,
                                      i64Ty, ptrTy, ptrTy, i32Ty, i32Ty, ptrTy});
  llvm::Constant *program = constantGlobal(
      llvm::ConstantStruct::get(
          programTy,
          {emitStringGlobal(host, "arch", arch.name), ptxText, cubinData,
           llvm::ConstantInt::get(i64Ty, cubin.size()),
           llvm::ConstantInt::get(i32Ty, kernelNames.size()),
           llvm::ConstantInt::get(i32Ty, launches.size()), pointerTable(names, "kernel.names"),
           emulate ? pointerTable(emulated, "kernel.emulated") : null, launchTable,
           llvm::ConstantInt::get(i64Ty, gpuProgram.deviceArenaBytes),
           offsetTable(gpuProgram.inputOffsets, "input.offsets"),
           offsetTable(gpuProgram.outputOffsets, "output.offsets"),
           llvm::ConstantInt::get(i32Ty, dataEntries.size()), llvm::ConstantInt::get(i32Ty, 0),
           dataTable}),
      "gpu.program", 8);

  std::vector<std::pair<std::string, const Value *>> inputs, outputs;
  for (const Value *v : graph.getInputs()) inputs.push_back({v->getName(), v});
  for (const GraphOutput &out : graph.getOutputs()) outputs.push_back({out.name, out.value});
  auto *modelTy = llvm::StructType::get(context, {i32Ty, i32Ty, i32Ty, i32Ty, ptrTy, ptrTy, i64Ty,
                                                  ptrTy, ptrTy, i32Ty, ptrTy, ptrTy});
  llvm::Constant *descriptor = constantGlobal(
      llvm::ConstantStruct::get(
          modelTy,
          {llvm::ConstantInt::get(i32Ty, SPCC_ABI_VERSION),
           llvm::ConstantInt::get(i32Ty, inputs.size()),
           llvm::ConstantInt::get(i32Ty, outputs.size()),
           llvm::ConstantInt::get(i32Ty, emulate ? SPCC_ABI_CODE_GPU_EMULATED : SPCC_ABI_CODE_GPU),
           emitTensorTable(host, graph, "inputs", inputs),
           emitTensorTable(host, graph, "outputs", outputs), llvm::ConstantInt::get(i64Ty, 0), null,
           emitStringGlobal(host, "target", arch.name), llvm::ConstantInt::get(i32Ty, 0), null,
           program}),
      "model", 8);
  auto *entry =
      llvm::Function::Create(llvm::FunctionType::get(ptrTy, false),
                             llvm::GlobalValue::ExternalLinkage, SPCC_MODEL_ENTRY_SYMBOL, host);
  entry->addFnAttr(llvm::Attribute::NoUnwind);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", entry));
  builder.CreateRet(descriptor);
}

} // namespace spcc::ptx
