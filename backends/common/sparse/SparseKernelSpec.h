//===- SparseKernelSpec.h - What a generated sparse kernel is specialized to ===//
//
// Target-neutral: what the product is (pattern, placement, epilogue); how a target's code walks
// it is its tiling (SpmmTiling.h).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_SPARSE_SPARSEKERNELSPEC_H
#define SPCC_BACKENDS_COMMON_SPARSE_SPARSEKERNELSPEC_H

#include "compiler/ir/SparseTensor.h"
#include "compiler/ops/FusedEpilogue.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spcc {

/// What happens to an output tile in registers before it is stored:
/// `act(acc + bias[row] + residual[row, n])`.
struct SparseEpilogue {
  /// One value per row of C, or empty.
  std::vector<float> bias;
  /// Whether the task's residual pointer is added (same layout as C).
  bool residual = false;
  /// Applied last (the IR's description of a fused activation).
  FusedActivation activation;
};

/// A convolution computed over positions `y * planeWidth + x` of which only `x < width` are
/// outputs: the finished sums go straight to the dense output (the task's `out`, rows of
/// `outputs` floats), each vector's output lanes packed together; C then holds only the partial
/// sums between reduction blocks.
struct CompactedOutput {
  /// 0: C is the output.
  int64_t planeWidth = 0;
  int64_t width = 0;
  /// Outputs per row of C (out_h * out_w).
  int64_t outputs = 0;
};

/// A convolution computed on its output rows: position `y * width + x` (C is the output) reads
/// its taps at `y * planeWidth + x`, in plane rows wider than the output's by the kernel's reach
/// and rounded up to whole vectors. `width` is a whole number of the widest vector, so no vector
/// straddles two rows and none computes a position that is not an output.
struct OutputRowPositions {
  /// 0: positions read B where they are (or as CompactedOutput says).
  int64_t width = 0;
  int64_t planeWidth = 0;
};

/// One sparse product `C[m x n] = A[m x k] * B[k x n]`, A known at compile time.
struct SparseKernelSpec {
  /// A: rows are rows of C, columns rows of B (float32 CSR).
  SparseTensor weights;
  /// Element offset of each row of B from the task's B pointer (k entries): `j * ldb` for
  /// a matrix, the position of a tap in the zero-padded input planes for a convolution.
  std::vector<int64_t> bRowOffsets;
  /// Positions of each row of C the kernel is tuned for (tasks take any range).
  int64_t n = 0;
  /// Distance between rows of C (and of the residual), in elements.
  int64_t ldc = 0;
  SparseEpilogue epilogue;
  CompactedOutput compacted;
  OutputRowPositions outputRows;

  /// Whether positions lie in a convolution's plane rows, which are wider than C's (a
  /// compacted output, output rows).
  bool readsPlaneRows() const { return compacted.planeWidth != 0 || outputRows.width != 0; }

  /// The distance between consecutive rows of B where every row lies that far past the one
  /// before (a matrix, a 1x1 convolution's planes); none for a convolution's taps or for fewer
  /// than two rows.
  std::optional<int64_t> rowStrideOfB() const {
    if (bRowOffsets.size() < 2) return std::nullopt;
    int64_t stride = bRowOffsets[1] - bRowOffsets[0];
    for (size_t c = 1; c < bRowOffsets.size(); ++c)
      if (bRowOffsets[c] - bRowOffsets[c - 1] != stride) return std::nullopt;
    return stride;
  }
};

} // namespace spcc

#endif
