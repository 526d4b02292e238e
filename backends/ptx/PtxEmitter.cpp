//===- PtxEmitter.cpp - PTX text from an LLVM module through NVPTX --------===//
#include "backends/ptx/PtxEmitter.h"

#include "compiler/support/Error.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

namespace spcc::ptx {

llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createNvptxTargetMachine(const GpuArch &arch) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
  std::string message;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(kNvptxTriple, message);
  if (!target)
    return makeError(ErrorCode::Unsupported, "this LLVM has no NVPTX target: " + message);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(kNvptxTriple, arch.name, kPtxFeatures, options, std::nullopt,
                                  std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return makeError(ErrorCode::Internal, "cannot create an NVPTX target machine for " + arch.name);
  return machine;
}

llvm::Expected<std::string> emitPtx(llvm::Module &module, llvm::TargetMachine &machine) {
  module.setTargetTriple(kNvptxTriple);
  module.setDataLayout(machine.createDataLayout());
  std::string problems;
  llvm::raw_string_ostream problemStream(problems);
  if (llvm::verifyModule(module, &problemStream))
    return makeError(ErrorCode::Internal, "generated GPU code is malformed: " + problems);
  llvm::SmallVector<char, 0> text;
  llvm::raw_svector_ostream stream(text);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, stream, nullptr, llvm::CodeGenFileType::AssemblyFile))
    return makeError(ErrorCode::Internal, "the NVPTX target cannot emit assembly");
  passes.run(module);
  return std::string(text.begin(), text.end());
}

} // namespace spcc::ptx
