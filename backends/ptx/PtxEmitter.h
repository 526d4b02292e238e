//===- PtxEmitter.h - PTX text from an LLVM module through NVPTX ----------===//
#ifndef SPCC_BACKENDS_PTX_PTXEMITTER_H
#define SPCC_BACKENDS_PTX_PTXEMITTER_H

#include "backends/ptx/GpuArch.h"

#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace spcc::ptx {

/// The target triple of every GPU module.
constexpr const char *kNvptxTriple = "nvptx64-nvidia-cuda";

/// LLVM's NVPTX target machine for \p arch (PTX ISA kPtxFeatures). Fails when this LLVM was
/// built without the NVPTX target.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createNvptxTargetMachine(const GpuArch &arch);

/// Verifies \p module, sets its triple and data layout to \p machine's and returns the PTX
/// assembly LLVM's NVPTX backend writes for it.
llvm::Expected<std::string> emitPtx(llvm::Module &module, llvm::TargetMachine &machine);

} // namespace spcc::ptx

#endif
