//===- CsrSpmmEmitter.h - GPU SpMM with the weights as data ---------------===//
//
// The Sputnik style of sparse product for layers too large to bake into code: A as compressed
// rows in global memory (values, the offsets in B of their columns, row starts) and a thread
// per position of one row, looping over the row's nonzeros. Rows are visited longest first
// (the row swizzle), so the blocks that run together do similar work. Code size does not grow
// with the nonzeros, so any layer compiles in constant time.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_CSRSPMMEMITTER_H
#define SPCC_BACKENDS_PTX_CSRSPMMEMITTER_H

#include "backends/common/sparse/SparseKernelSpec.h"
#include "backends/ptx/BakedSpmmEmitter.h"

namespace spcc::ptx {

struct CsrSpmmTiling {
  int threadsPerBlock = 128; ///< positions per block (the grid's x); the grid's y is the row
};

/// Emits kernel \p name computing \p spec in \p flavor over \p layout, with the parameters and
/// epilogue of emitBakedSpmm. Fails for a compacted convolution output or more rows than a
/// grid's y dimension holds (65535).
llvm::Expected<GpuLaunchShape> emitCsrSpmm(llvm::Module &module, llvm::StringRef name,
                                           const SparseKernelSpec &spec,
                                           const CsrSpmmTiling &tiling, KernelFlavor flavor,
                                           const GpuProductLayout &layout = {});

} // namespace spcc::ptx

#endif
