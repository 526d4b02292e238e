//===- RowGroups.cpp - Rows a compact loop walks in lockstep -------------===//
#include "backends/common/sparse/RowGroups.h"

#include <algorithm>
#include <cassert>

namespace spcc {
namespace {

/// Nonzeros of each row in each reduction block, [block][row].
std::vector<int64_t> blockNonzeros(const SparseTensor &a, int64_t kBlock, int64_t blocks) {
  std::vector<int64_t> counts(size_t(blocks * a.getRows()), 0);
  for (int64_t r = 0; r < a.getRows(); ++r)
    for (int64_t j = a.getRowStart()[size_t(r)]; j < a.getRowStart()[size_t(r) + 1]; ++j)
      ++counts[size_t(a.getColIndex()[size_t(j)] / kBlock * a.getRows() + r)];
  return counts;
}

int64_t blockCount(const SparseTensor &a, int64_t kBlock) {
  return std::max<int64_t>(1, (a.getCols() + kBlock - 1) / kBlock);
}

} // namespace

RowGroupLayout groupRows(const SparseTensor &a, int rowTile, int group, int64_t kBlock) {
  assert(group >= 1 && rowTile % group == 0);
  kBlock = std::max<int64_t>(1, kBlock);
  const int64_t rows = a.getRows(), blocks = blockCount(a, kBlock);
  std::vector<int64_t> counts = blockNonzeros(a, kBlock, blocks);
  RowGroupLayout layout;
  layout.group = group;
  for (int64_t r0 = 0; r0 < rows; r0 += rowTile)
    layout.groupsPerBlock += (std::min<int64_t>(rowTile, rows - r0) + group - 1) / group;
  for (int64_t kb = 0; kb < blocks; ++kb) {
    const int64_t *count = counts.data() + kb * rows;
    for (int64_t r0 = 0; r0 < rows; r0 += rowTile) {
      std::vector<int64_t> tile;
      for (int64_t r = r0; r < std::min(rows, r0 + int64_t(rowTile)); ++r) tile.push_back(r);
      // Longest first: a last group short of rows pads the shortest streams.
      if (group > 1)
        std::sort(tile.begin(), tile.end(), [&](int64_t x, int64_t y) {
          return count[x] > count[y] || (count[x] == count[y] && x < y);
        });
      for (size_t first = 0; first < tile.size(); first += size_t(group)) {
        int64_t length = 0;
        for (size_t i = first; i < first + size_t(group); ++i) {
          bool present = i < tile.size();
          layout.rows.push_back(present ? int32_t(tile[i]) : -1);
          if (present) length = std::max(length, count[tile[i]]);
        }
        layout.lengths.push_back(length);
      }
    }
  }
  return layout;
}

} // namespace spcc
