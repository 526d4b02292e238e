//===- BakedSpmmEmitter.h - GPU SpMM with the weights in the code ---------===//
//
// The SparseRT style of sparse product for small layers: `C[m x n] = A[m x k] * B[k x n]` with
// A's nonzero values as FMA immediates and every B load at an offset known at compile time.
// Each thread computes one position (column of B and C) for a group of consecutive rows of A,
// its accumulators in registers; blocks of threads along x cover the positions and the grid's
// y dimension the row groups. Code grows with the nonzeros (~16 bytes of sm_90 machine code
// each), so it suits layers of up to a few hundred thousand nonzeros.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_BAKEDSPMMEMITTER_H
#define SPCC_BACKENDS_PTX_BAKEDSPMMEMITTER_H

#include "backends/common/sparse/SparseKernelSpec.h"
#include "backends/ptx/KernelFlavor.h"

#include "llvm/Support/Error.h"

namespace spcc::ptx {

struct BakedSpmmTiling {
  int rowsPerGroup = 8;      ///< rows of A per block row (the grid's y)
  int threadsPerBlock = 128; ///< positions per block (the grid's x)
};

/// Where a position's values lie: B's element (k, p) at bRowOffsets[k] + p * bPositionStride,
/// C's (and the residual's) (m, p) at m * ldc + p * cPositionStride. {1, 1}: feature-major, as
/// the x86 products; token-major activations ([positions, features]) have strides K and M.
struct GpuProductLayout {
  int64_t bPositionStride = 1;
  int64_t cPositionStride = 1;
};

/// How to launch a generated kernel: grid (ceil(n / (positionsPerThread * threadsPerBlock)),
/// gridY), block (threadsPerBlock).
struct GpuLaunchShape {
  int threadsPerBlock = 0;
  int64_t gridY = 0;
  int positionsPerThread = 1; ///< the grid's x covers n / positionsPerThread threads
};

/// Emits kernel \p name computing \p spec with \p tiling in \p flavor (KernelFlavor.h) over
/// \p layout. Its
/// parameters: `ptr addrspace(1) B, ptr addrspace(1) C, ptr addrspace(1) residual, i32 n`
/// (residual is read only when spec.epilogue.residual; n: positions, any value up to the
/// grid's coverage). Bias, residual and activation are applied before the store. Fails for a
/// product the style does not compute (a convolution read from padded plane rows).
llvm::Expected<GpuLaunchShape> emitBakedSpmm(llvm::Module &module, llvm::StringRef name,
                                             const SparseKernelSpec &spec,
                                             const BakedSpmmTiling &tiling, KernelFlavor flavor,
                                             const GpuProductLayout &layout = {});

} // namespace spcc::ptx

#endif
