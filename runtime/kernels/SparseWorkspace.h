//===- SparseWorkspace.h - The workspace a generated sparse layer needs --===//
//
// Sizes shared by the compiler (which reserves the workspace in the arena) and the launch
// (SparseLaunch.h, which lays B and C out in it).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_SPARSEWORKSPACE_H
#define SPCC_RUNTIME_KERNELS_SPARSEWORKSPACE_H

#include "runtime/kernels/SparseParams.h"

#include <cstdint>

namespace spcc::kernels {

/// Floats of workspace the prepared B occupies (0 when B is the input itself),
/// rounded up to whole cache lines.
inline int64_t sparseBFloats(const spcc_sparse_params &p) {
  int64_t floats = 0;
  if (p.b_layout == SPCC_SPARSE_B_PHASE_PLANES) {
    floats = p.stride * p.stride * p.channels * p.plane_h * p.plane_w;
    // A compacted convolution's positions run up to 15 past its last output (whole vectors):
    // its last taps read that far past the planes; and a tap read from the two aligned
    // vectors around it reads up to 15 floats more (past the last plane row's end too).
    if (p.c_layout == SPCC_SPARSE_C_COMPACT_ROWS || p.plane_w > p.out_w) floats += 32;
  } else if (p.b_layout == SPCC_SPARSE_B_TRANSPOSED)
    floats = p.channels * p.n;
  return (floats + 15) / 16 * 16;
}

/// Floats of workspace C is staged in (0 when C is the output itself): a compacted
/// convolution's partial sums between reduction blocks.
inline int64_t sparseCFloats(const spcc_sparse_params &p) {
  return p.c_layout == SPCC_SPARSE_C_DIRECT ? 0 : (p.m * p.ldc + 15) / 16 * 16;
}

} // namespace spcc::kernels

#endif
