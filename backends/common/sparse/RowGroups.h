//===- RowGroups.h - Rows a compact loop walks in lockstep ---------------===//
//
// A compact loop over one row's nonzeros keeps `vectors` accumulators and ends its segment
// with a mispredicted loop exit. Walking a group of rows in lockstep multiplies the
// independent accumulators (FMA latency hides behind them) and shares the exit. Each group's
// streams are padded to its longest: rows of a row tile are sorted by their nonzeros in each
// reduction block and grouped with their neighbours, so little padding is needed.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_SPARSE_ROWGROUPS_H
#define SPCC_BACKENDS_COMMON_SPARSE_ROWGROUPS_H

#include "compiler/ir/SparseTensor.h"

#include <cstdint>
#include <vector>

namespace spcc {

/// Groups of \p group rows per reduction block: each tile of \p rowTile rows (a multiple of
/// \p group) in groups of consecutive rows (\p group = 1: every row alone, in index order).
struct RowGroupLayout {
  int group = 1;
  /// Groups in one reduction block: rowTile / group per tile, the last tile's rounded up.
  int64_t groupsPerBlock = 0;
  /// Row of each group's streams, [block][group][stream]; -1 where the last tile runs out.
  std::vector<int32_t> rows;
  /// Entries of each group, [block][group]: its longest stream's nonzeros in the block.
  std::vector<int64_t> lengths;
};

RowGroupLayout groupRows(const SparseTensor &a, int rowTile, int group, int64_t kBlock);

} // namespace spcc

#endif
