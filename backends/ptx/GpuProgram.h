//===- GpuProgram.h - A GPU model's program tables and descriptor ---------===//
//
// What a GPU model's host side holds (runtime/ModelAbi.h, spcc_abi_gpu_program): its kernels'
// names, the launches in order with their arguments, the device arena's size and where the
// inputs and outputs lie in it, the PTX and cubin (or, emulated, the host-compiled kernels),
// the kernels' arrays the loader copies into the module, and the model descriptor that points
// at it all.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_GPUPROGRAM_H
#define SPCC_BACKENDS_PTX_GPUPROGRAM_H

#include "backends/ptx/GpuArch.h"
#include "backends/ptx/ModuleData.h"
#include "compiler/ir/Graph.h"
#include "runtime/ModelAbi.h"

#include "llvm/IR/Module.h"

#include <cstdint>
#include <string>
#include <vector>

namespace spcc::ptx {

/// One argument of a launch (spcc_abi_gpu_arg): a device-arena offset, an int32, or null.
struct GpuArg {
  uint32_t kind = SPCC_ABI_GPU_ARG_NULL;
  uint64_t value = 0;
};

GpuArg pointerArg(uint64_t offset);
GpuArg int32Arg(int64_t value);

/// One kernel launch (spcc_abi_gpu_launch).
struct GpuLaunch {
  uint32_t kernel = 0;
  uint32_t gridX = 1, gridY = 1, blockX = 1;
  std::vector<GpuArg> args;
};

struct GpuProgram {
  std::vector<std::string> kernelNames;
  std::vector<GpuLaunch> launches;
  std::vector<uint64_t> inputOffsets, outputOffsets;
  uint64_t deviceArenaBytes = 0;
  /// The kernels' arrays the file carries beside the code (ModuleData.h).
  std::vector<DetachedData> data;
};

/// Emits into \p host the tables of \p program for \p graph compiled for \p arch (with \p ptx
/// and \p cubin, or, when \p emulate, the kernels already in \p host), the model descriptor,
/// and the exported entry symbol that returns it.
void emitGpuProgram(llvm::Module &host, const Graph &graph, const GpuArch &arch,
                    const GpuProgram &program, bool emulate, llvm::StringRef ptx,
                    llvm::ArrayRef<char> cubin);

} // namespace spcc::ptx

#endif
