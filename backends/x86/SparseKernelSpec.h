//===- SparseKernelSpec.h - What a generated sparse kernel is specialized to ===//
#ifndef SPCC_BACKENDS_X86_SPARSEKERNELSPEC_H
#define SPCC_BACKENDS_X86_SPARSEKERNELSPEC_H

#include "compiler/ir/SparseTensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace spcc::x86 {

/// The activation an epilogue applies last.
enum class Activation { None, Relu, Relu6, Gelu };

/// What happens to an output tile in registers before it is stored:
/// `act(acc + bias[row] + residual[row, n])`.
struct SparseEpilogue {
  /// One value per row of C, or empty.
  std::vector<float> bias;
  /// Whether the task's residual pointer is added (same layout as C).
  bool residual = false;
  Activation activation = Activation::None;
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
};

/// How the generated code walks A, B and C.
struct SpmmTiling {
  enum class Schedule {
    /// One straight-line block per tile of rowTile rows: for each nonzero column of the tile,
    /// load the B slice once, then one FMA per nonzero with its value as an immediate
    /// broadcast into the accumulator of its row (SparseDNN's microkernel).
    Unrolled,
    /// A loop over each row's nonzeros reading column offsets and values from tables:
    /// code size independent of the nonzero count.
    Loop,
  };
  Schedule schedule = Schedule::Unrolled;
  /// Rows per tile: the register tile height (Unrolled) or the rows per unit of thread work
  /// (Loop).
  int rowTile = 8;
  /// SIMD vectors of positions per step (the register tile width).
  int vectors = 2;
  /// Positions per block: every tile finishes a block before the next, so the block of B stays
  /// in cache (0: all positions).
  int64_t nBlock = 0;
  /// Unrolled: tiles take rows in tileRowOrder (rows sharing columns together) instead of in
  /// index order; each row is still stored to its own place.
  bool permuteRows = false;
  /// Loop: columns of A per reduction block (split-K, 0: all). Every row's partial sums over one
  /// block are stored to C and reloaded for the next, so the block's rows of B stay in L1
  /// while all rows use them.
  int64_t kBlock = 0;
  /// Loop with reduction blocks and one step per position block: each block's rows of B are
  /// first copied into the calling thread's scratch. Rows of B a power of two apart otherwise
  /// fall into a few cache sets and evict each other.
  bool packB = false;

  /// A short name, e.g. "unrolled-r8-v2-nb256" ("-perm" when rows are permuted, "-kb128" for
  /// reduction blocks, "-pack" for packed blocks of B).
  std::string describe() const;
};

} // namespace spcc::x86

#endif
