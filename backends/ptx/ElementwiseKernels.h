//===- ElementwiseKernels.h - GPU kernels of one thread per element -------===//
#ifndef SPCC_BACKENDS_PTX_ELEMENTWISEKERNELS_H
#define SPCC_BACKENDS_PTX_ELEMENTWISEKERNELS_H

#include "backends/ptx/KernelFlavor.h"

namespace spcc::ptx {

/// What an elementwise kernel computes on float32: out[i] = f(a[i], b[i]).
enum class ElementwiseOp { Copy, Relu, Add };

/// Threads per block of the elementwise kernels.
inline constexpr int kElementwiseThreads = 256;

/// Emits kernel \p name in \p flavor: parameters `ptr addrspace(1) out, ptr addrspace(1) a,
/// ptr addrspace(1) b, i32 count` (b is read by Add only); thread i < count computes element i.
llvm::Function *emitElementwiseKernel(llvm::Module &module, llvm::StringRef name, ElementwiseOp op,
                                      KernelFlavor flavor);

} // namespace spcc::ptx

#endif
