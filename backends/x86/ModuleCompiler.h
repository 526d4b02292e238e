//===- ModuleCompiler.h - LLVM modules to objects, in parallel -----------===//
#ifndef SPCC_BACKENDS_X86_MODULECOMPILER_H
#define SPCC_BACKENDS_X86_MODULECOMPILER_H

#include "backends/x86/TargetIsa.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <vector>

namespace spcc::x86 {

/// One LLVM module to compile, with its own context so modules compile in parallel.
struct ModuleJob {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  /// The relocatable object, once compiled (the module is freed then).
  llvm::SmallVector<char, 0> object;
  /// Code generation time, in seconds.
  double seconds = 0;
  /// The entry of CompileReport::layers the module holds, if any.
  int64_t reportIndex = -1;
};

/// Compiles every job's module to an object for \p isa on up to \p threads threads (0: one per
/// core); the first failure is returned.
llvm::Error compileModules(std::vector<ModuleJob> &jobs, const TargetIsa &isa, unsigned threads);

} // namespace spcc::x86

#endif
