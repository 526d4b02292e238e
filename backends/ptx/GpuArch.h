//===- GpuArch.h - The NVIDIA GPU architectures spcc generates code for ---===//
#ifndef SPCC_BACKENDS_PTX_GPUARCH_H
#define SPCC_BACKENDS_PTX_GPUARCH_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace spcc::ptx {

/// One streaming-multiprocessor architecture, e.g. sm_90.
struct GpuArch {
  std::string name;        ///< "sm_90": LLVM's NVPTX CPU, ptxas's -arch, the --target value
  std::string description; ///< the GPUs it covers
};

/// sm_80, sm_86, sm_89, sm_90.
llvm::ArrayRef<GpuArch> supportedGpuArchs();

/// The architecture named \p name, or an InvalidArgument error listing them.
llvm::Expected<GpuArch> selectGpuArch(llvm::StringRef name);

/// The PTX ISA every module is generated for: 7.8, which LLVM 19 emits for all four
/// architectures and drivers from CUDA 11.8 on accept.
inline constexpr const char *kPtxFeatures = "+ptx78";

} // namespace spcc::ptx

#endif
