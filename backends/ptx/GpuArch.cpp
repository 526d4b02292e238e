//===- GpuArch.cpp - The NVIDIA GPU architectures spcc generates code for -===//
#include "backends/ptx/GpuArch.h"

#include "compiler/support/Error.h"

namespace spcc::ptx {

llvm::ArrayRef<GpuArch> supportedGpuArchs() {
  static const GpuArch archs[] = {
      {"sm_80", "NVIDIA Ampere A100, A30"},
      {"sm_86", "NVIDIA Ampere GA10x: RTX 30xx, A10, A40"},
      {"sm_89", "NVIDIA Ada: RTX 40xx, L4, L40"},
      {"sm_90", "NVIDIA Hopper: H100, H200"},
  };
  return archs;
}

llvm::Expected<GpuArch> selectGpuArch(llvm::StringRef name) {
  std::string names;
  for (const GpuArch &arch : supportedGpuArchs()) {
    if (arch.name == name) return arch;
    names += (names.empty() ? "" : ", ") + arch.name;
  }
  return makeError(ErrorCode::InvalidArgument,
                   "unknown GPU architecture '" + name.str() + "' (known: " + names + ")");
}

} // namespace spcc::ptx
