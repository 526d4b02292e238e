//===- ObjectEmitter.cpp - Machine code for a model module ----------------===//
#include "backends/x86/ObjectEmitter.h"

#include "compiler/support/Error.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

namespace spcc::x86 {

namespace {

void setCodegenOption(llvm::StringRef name, llvm::StringRef value) {
  llvm::cl::Option *option = llvm::cl::getRegisteredOptions().lookup(name);
  if (!option || option->addOccurrence(0, name, value))
    llvm::errs() << "spcc: warning: cannot set LLVM's -" << name << "=" << value << "\n";
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachine(const TargetIsa &isa) {
  // Registering the X86 target is idempotent; once per process is enough.
  static std::once_flag registered;
  std::call_once(registered, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    // The machine scheduler's dependence graph grows quadratically with the straight-line
    // blocks of unrolled sparse tiles (minutes for a large layer), and the emitted order (B
    // slice loads, then the FMAs using them) is already what an out-of-order core wants.
    setCodegenOption("enable-misched", "false");
    // Machine LICM hoists every weight broadcast of a tile out of its loop over positions:
    // hundreds of live vectors, which the register allocator then spends minutes spilling.
    setCodegenOption("disable-machine-licm", "true");
  });
  std::string message;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(kTargetTriple, message);
  if (!target) return makeError(ErrorCode::Internal, "LLVM has no x86-64 target: " + message);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(kTargetTriple, isa.cpu, isa.features, options, llvm::Reloc::PIC_,
                                  llvm::CodeModel::Small, llvm::CodeGenOptLevel::Default));
  if (!machine)
    return makeError(ErrorCode::Internal,
                     "cannot create a target machine for CPU '" + isa.cpu + "'");
  return machine;
}

llvm::Expected<llvm::SmallVector<char, 0>>
emitObject(llvm::Module &module, llvm::TargetMachine &machine, llvm::StringRef tuneCpu) {
  module.setTargetTriple(kTargetTriple);
  // The machine's CPU fixes the instructions; "tune-cpu" only their choice and scheduling.
  if (!tuneCpu.empty())
    for (llvm::Function &function : module)
      if (!function.isDeclaration()) function.addFnAttr("tune-cpu", tuneCpu);
  module.setDataLayout(machine.createDataLayout());
  module.setPICLevel(llvm::PICLevel::BigPIC);
  std::string problems;
  llvm::raw_string_ostream problemStream(problems);
  if (llvm::verifyModule(module, &problemStream))
    return makeError(ErrorCode::Internal, "generated code is malformed: " + problems);

  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream stream(object);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, stream, nullptr, llvm::CodeGenFileType::ObjectFile))
    return makeError(ErrorCode::Internal, "the x86 target cannot emit object files");
  passes.run(module);
  return object;
}

} // namespace spcc::x86
