//===- KernelFlavor.h - One kernel generator, two ways to run its code ----===//
//
// Every GPU kernel spcc generates is emitted by one generator for two flavors that share the
// kernel's body instruction for instruction and differ only in its entry:
//   Device         a `ptx_kernel` entry for NVPTX; the body's thread and block indices are
//                  read from PTX's special registers (%tid, %ctaid, %ntid).
//   HostEmulation  an ordinary host function that takes the kernel's parameters as
//                  cuLaunchKernel does and the grid as arguments, and runs the
//                  body for every block and thread in turn, with the indices as loop
//                  variables; compiled for x86 it checks the body's indexing and arithmetic
//                  without a GPU (not races, memory ordering or speed).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_KERNELFLAVOR_H
#define SPCC_BACKENDS_PTX_KERNELFLAVOR_H

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

#include <functional>
#include <vector>

namespace spcc::ptx {

enum class KernelFlavor { Device, HostEmulation };

/// Global memory (NVPTX address space 1; ordinary memory on the host).
inline constexpr unsigned kGlobalAddressSpace = 1;

/// Resident threads per SM every kernel is designed to allow: half of the 2048 of sm_80 to
/// sm_90, which leaves each thread 64 registers.
inline constexpr int kHalfOccupancyThreads = 1024;

/// The indices the body of a one-dimensional-thread, two-dimensional-grid kernel sees.
struct ThreadIndices {
  llvm::Value *threadX = nullptr;   ///< %tid.x
  llvm::Value *blockX = nullptr;    ///< %ctaid.x
  llvm::Value *blockY = nullptr;    ///< %ctaid.y
  llvm::Value *blockDimX = nullptr; ///< %ntid.x
};

/// Emits the body of one thread at the builder's position; it ends by branching to \p done.
using KernelBody =
    std::function<void(llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                       llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done)>;

/// Defines kernel \p name with the pointer and i32 parameters \p parameterTypes and emits
/// \p body in the entry of \p flavor:
///   Device:        `ptx_kernel void name(params...)`, at most \p maxThreadsPerBlock threads
///                  per block (.maxntid) and registers for kHalfOccupancyThreads per SM;
///   HostEmulation: `void name(void **params, i32 gridX, i32 gridY, i32 blockDimX)`
///                  (spcc_abi_emulated_kernel: params as cuLaunchKernel takes them), running
///                  every (blockY, blockX, threadX) in order.
llvm::Function *emitKernel(llvm::Module &module, llvm::StringRef name,
                           llvm::ArrayRef<llvm::Type *> parameterTypes, KernelFlavor flavor,
                           int maxThreadsPerBlock, const KernelBody &body);

} // namespace spcc::ptx

#endif
