//===- CsrSpmmEmitter.h - GPU SpMM with the weights as data ---------------===//
//
// The Sputnik style of sparse product for layers too large to bake into code: A as compressed
// rows in global memory (values, the columns of B they read, row starts) and a thread per
// position (or per four consecutive positions, with 16-byte vector loads of B and stores of C)
// of one row, looping over the row's nonzeros. Rows are visited longest first (the row
// swizzle), so the blocks that run together do similar work. Columns are 16-bit indices when
// B's rows are evenly spaced and fewer than 65536 (half the index traffic), else 32-bit
// offsets. Code size does not grow with the nonzeros, so any layer compiles in constant time.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_CSRSPMMEMITTER_H
#define SPCC_BACKENDS_PTX_CSRSPMMEMITTER_H

#include "backends/common/sparse/SparseKernelSpec.h"
#include "backends/ptx/BakedSpmmEmitter.h"

namespace spcc::ptx {

struct CsrSpmmTiling {
  int threadsPerBlock = 128; ///< threads per block (the grid's x); the grid's y is the row
  /// 1, or 4: each thread computes four consecutive positions with vector loads and stores;
  /// needs unit position strides, n, ldc and B's row offsets multiples of 4, and B, C and the
  /// residual 16-byte aligned (csrVectorPositions says whether a product allows it).
  int positionsPerThread = 1;
};

/// The positions per thread a product allows (4 or 1); \p bytesAligned16: B, C and the
/// residual start at 16-byte aligned addresses.
int csrVectorPositions(const SparseKernelSpec &spec, const GpuProductLayout &layout,
                       bool bytesAligned16);

/// Whether the CSR kernel reads \p spec's columns as 16-bit indices.
bool csrNarrowColumns(const SparseKernelSpec &spec);

/// Whether emitDenseProduct computes \p spec: B's rows evenly spaced, no plane rows.
bool denseProductApplies(const SparseKernelSpec &spec);

/// The CSR kernel's dense twin, for weights with few zeros: each row's weights in order, zeros
/// included, so no column index is read (a weight's column is its place in the row).
llvm::Expected<GpuLaunchShape> emitDenseProduct(llvm::Module &module, llvm::StringRef name,
                                                const SparseKernelSpec &spec,
                                                const CsrSpmmTiling &tiling, KernelFlavor flavor,
                                                const GpuProductLayout &layout = {});

/// Emits kernel \p name computing \p spec in \p flavor over \p layout, with the parameters and
/// epilogue of emitBakedSpmm. Fails for a convolution read from padded plane rows
/// (SparseKernelSpec::readsPlaneRows) or more rows than a grid's y dimension holds (65535).
llvm::Expected<GpuLaunchShape> emitCsrSpmm(llvm::Module &module, llvm::StringRef name,
                                           const SparseKernelSpec &spec,
                                           const CsrSpmmTiling &tiling, KernelFlavor flavor,
                                           const GpuProductLayout &layout = {});

} // namespace spcc::ptx

#endif
