//===- ConvKernels.h - GPU convolution and pooling kernels ----------------===//
//
// Direct convolution (any kernel size, stride, padding, dilation and group count; depthwise
// included), max pooling and global average pooling, over one NCHW image, one thread per output
// element.
// Pointwise convolutions do not come here: they are products (BakedSpmmEmitter.h).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_CONVKERNELS_H
#define SPCC_BACKENDS_PTX_CONVKERNELS_H

#include "backends/ptx/KernelFlavor.h"
#include "compiler/ops/FusedEpilogue.h"

#include <cstdint>
#include <vector>

namespace spcc::ptx {

/// Threads per block of the kernels below.
inline constexpr int kConvThreads = 128;

/// Where a 2-D window of taps lies over the input for each output.
struct Window2D {
  int64_t kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, padTop = 0, padLeft = 0;
  int64_t dilationH = 1, dilationW = 1;
};

/// A 2-D convolution of one image: weights [cout, cin / group, kernelH, kernelW].
struct DirectConvSpec {
  int64_t inChannels = 0, inH = 0, inW = 0;
  int64_t outChannels = 0, outH = 0, outW = 0;
  Window2D window;
  int64_t group = 1;
  std::vector<float> weights;
  std::vector<float> bias; ///< one per output channel, or empty
  bool residual = false;
  FusedActivation activation;
};

/// Emits kernel \p name computing \p spec in \p flavor: parameters `ptr addrspace(1) out,
/// ptr addrspace(1) in, ptr addrspace(1) residual, i32 count` (count: output elements); the
/// weights are constant data of the module.
llvm::Function *emitDirectConvKernel(llvm::Module &module, llvm::StringRef name,
                                     const DirectConvSpec &spec, KernelFlavor flavor);

/// A 2-D max pooling window over one image's channels.
struct MaxPoolSpec {
  int64_t channels = 0, inH = 0, inW = 0, outH = 0, outW = 0;
  Window2D window;
};

/// Emits kernel \p name computing \p spec (NaN in a window gives NaN; padding is never the
/// maximum): parameters `ptr addrspace(1) out, ptr addrspace(1) in, ptr addrspace(1) unused,
/// i32 count`.
llvm::Function *emitMaxPoolKernel(llvm::Module &module, llvm::StringRef name,
                                  const MaxPoolSpec &spec, KernelFlavor flavor);

/// Emits kernel \p name averaging each of the `count` channels of \p planeSize elements:
/// parameters `ptr addrspace(1) out, ptr addrspace(1) in, ptr addrspace(1) unused, i32 count`.
llvm::Function *emitGlobalAveragePoolKernel(llvm::Module &module, llvm::StringRef name,
                                            int64_t planeSize, KernelFlavor flavor);

} // namespace spcc::ptx

#endif
