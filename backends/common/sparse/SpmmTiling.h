//===- SpmmTiling.h - How generated sparse code walks A, B and C ---------===//
#ifndef SPCC_BACKENDS_COMMON_SPARSE_SPMMTILING_H
#define SPCC_BACKENDS_COMMON_SPARSE_SPMMTILING_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace spcc {

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
    /// A loop over every column for a register tile of rowTile rows, zeros included, the
    /// weights read from a table: one load of B per vector feeds every row of the tile. For
    /// dense (unpruned) layers, where straight-line code streams from L2 and the nonzero loop
    /// loads B once per row.
    Dense,
    /// One position (n = 1): each row a dot product of its nonzeros with B, in scalar sums
    /// over consecutive nonzeros, reading offsets and values from tables. The other
    /// schedules spend a vector operation per nonzero on one useful lane.
    RowDot,
  };
  Schedule schedule = Schedule::Unrolled;
  /// Rows per tile: the register tile height (Unrolled, Dense) or the rows per unit of thread
  /// work (Loop).
  int rowTile = 8;
  /// SIMD vectors of positions per step (the register tile width).
  int vectors = 2;
  /// Positions per block: every tile finishes a block before the next, so the block of B stays
  /// in cache (0: all positions).
  int64_t nBlock = 0;
  /// Unrolled: tiles take rows in tileRowOrder (rows sharing columns together) instead of in
  /// index order; each row is still stored to its own place.
  bool permuteRows = false;
  /// Columns of A per reduction block (split-K, 0: all). Every row's partial sums over one
  /// block are stored and reloaded for the next, so the block's rows of B stay in L1 while all
  /// rows use them: a loop's in C, straight-line tiles' (one step per position block) in the
  /// calling thread's scratch.
  int64_t kBlock = 0;
  /// Loop with reduction blocks and one step per position block: each block's rows of B are
  /// first copied into the calling thread's scratch; straight-line tiles with position blocks:
  /// each position block of every row of B is. Rows of B a power of two apart otherwise fall
  /// into a few cache sets and evict each other.
  bool packB = false;
  /// Loop: rows walked in lockstep (0: one at a time), a divisor of rowTile. Each group's
  /// nonzero loop keeps rowGroup * vectors accumulators and ends once for all its rows;
  /// shorter rows are padded with zero weights (see RowGroups.h).
  int64_t rowGroup = 0;

  /// A short name, e.g. "unrolled-r8-v2-nb256" ("-perm" when rows are permuted, "-kb128" for
  /// reduction blocks, "-g2" for row groups, "-pack" for packed blocks of B).
  std::string describe() const;

  bool operator==(const SpmmTiling &other) const = default;
};

/// Parses describe()'s form back; nothing for text that is not a valid tiling.
std::optional<SpmmTiling> parseTiling(llvm::StringRef text);

} // namespace spcc

#endif
