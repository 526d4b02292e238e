//===- ObjectEmitter.h - Machine code for a model module ------------------===//
#ifndef SPCC_BACKENDS_X86_OBJECTEMITTER_H
#define SPCC_BACKENDS_X86_OBJECTEMITTER_H

#include "backends/x86/TargetIsa.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>

namespace spcc::x86 {

/// The target triple of every model .so.
constexpr const char *kTargetTriple = "x86_64-unknown-linux-gnu";

/// A TargetMachine for x86_64-unknown-linux-gnu with \p isa's CPU and features, position
/// independent code (the object goes into a shared library).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachine(const TargetIsa &isa);

/// Compiles \p module (its triple and data layout are set to \p machine's) to an ELF relocatable
/// object, returned as bytes; its functions are scheduled for \p tuneCpu where one is named.
llvm::Expected<llvm::SmallVector<char, 0>>
emitObject(llvm::Module &module, llvm::TargetMachine &machine, llvm::StringRef tuneCpu = {});

} // namespace spcc::x86

#endif
