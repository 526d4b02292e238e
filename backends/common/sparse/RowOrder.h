//===- RowOrder.h - Which rows of A share a register tile ---------------===//
//
// The straight-line kernel loads a B slice once per distinct column of a row tile, so rows
// whose nonzero columns overlap belong in the same tile (SparseDNN's weight permutation). The
// generated code stores every row at its own place in C, so computing rows in another order
// needs no compensation anywhere else in the graph.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_ROWORDER_H
#define SPCC_BACKENDS_COMMON_ROWORDER_H

#include "compiler/ir/SparseTensor.h"

#include <cstdint>
#include <vector>

namespace spcc {

/// A permutation of A's rows for tiles of \p rowTile consecutive entries, built tile by tile:
/// each tile starts at the remaining row with the most nonzeros and grows by the row adding the
/// fewest columns the tile does not load yet (ties: the most shared columns, then the lowest
/// index). SparseDNN's order (a chain where each row follows the row it overlaps most) also
/// groups similar rows, but not by what a tile loads.
std::vector<int64_t> tileRowOrder(const SparseTensor &a, int rowTile);

/// The identity order of A's rows.
std::vector<int64_t> identityRowOrder(const SparseTensor &a);

/// B slices the tiles of \p order load: the distinct columns of each tile, summed.
int64_t tileColumnLoads(const SparseTensor &a, const std::vector<int64_t> &order, int rowTile);

} // namespace spcc

#endif
