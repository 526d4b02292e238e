//===- RowOrder.cpp - Which rows of A share a register tile -------------===//
#include "backends/common/sparse/RowOrder.h"

#include "llvm/ADT/bit.h"

#include <numeric>

namespace spcc {
namespace {

/// Each row's nonzero columns as a bit set of ceil(cols / 64) words.
class ColumnSets {
public:
  explicit ColumnSets(const SparseTensor &a)
      : words((a.getCols() + 63) / 64), bits(size_t(a.getRows() * words), 0) {
    for (int64_t r = 0; r < a.getRows(); ++r)
      for (int64_t i = a.getRowStart()[size_t(r)]; i < a.getRowStart()[size_t(r) + 1]; ++i) {
        int64_t c = a.getColIndex()[size_t(i)];
        bits[size_t(r * words + c / 64)] |= uint64_t(1) << (c % 64);
      }
  }
  const uint64_t *row(int64_t r) const { return bits.data() + r * words; }
  int64_t words;

private:
  std::vector<uint64_t> bits;
};

} // namespace

std::vector<int64_t> identityRowOrder(const SparseTensor &a) {
  std::vector<int64_t> order(size_t(a.getRows()));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

std::vector<int64_t> tileRowOrder(const SparseTensor &a, int rowTile) {
  ColumnSets sets(a);
  auto nonzeros = [&](int64_t r) {
    return a.getRowStart()[size_t(r) + 1] - a.getRowStart()[size_t(r)];
  };
  std::vector<int64_t> remaining = identityRowOrder(a), order;
  std::vector<uint64_t> tileColumns(size_t(sets.words));
  while (!remaining.empty()) {
    // Seed: the heaviest remaining row (the lowest index among equals).
    size_t seed = 0;
    for (size_t i = 1; i < remaining.size(); ++i)
      if (nonzeros(remaining[i]) > nonzeros(remaining[seed])) seed = i;
    std::fill(tileColumns.begin(), tileColumns.end(), 0);
    for (int tileRows = 0; tileRows < rowTile && !remaining.empty(); ++tileRows) {
      size_t pick = seed;
      if (tileRows > 0) {
        int64_t bestNew = INT64_MAX, bestShared = -1;
        for (size_t i = 0; i < remaining.size(); ++i) {
          const uint64_t *columns = sets.row(remaining[i]);
          int64_t shared = 0;
          for (int64_t w = 0; w < sets.words; ++w)
            shared += llvm::popcount(columns[w] & tileColumns[size_t(w)]);
          int64_t added = nonzeros(remaining[i]) - shared;
          if (added < bestNew || (added == bestNew && shared > bestShared))
            pick = i, bestNew = added, bestShared = shared;
        }
      }
      int64_t row = remaining[pick];
      const uint64_t *columns = sets.row(row);
      for (int64_t w = 0; w < sets.words; ++w) tileColumns[size_t(w)] |= columns[w];
      order.push_back(row);
      remaining.erase(remaining.begin() + std::ptrdiff_t(pick));
    }
  }
  return order;
}

int64_t tileColumnLoads(const SparseTensor &a, const std::vector<int64_t> &order, int rowTile) {
  std::vector<int64_t> seen(size_t(a.getCols()), -1);
  int64_t loads = 0;
  for (size_t start = 0; start < order.size(); start += size_t(rowTile)) {
    size_t end = std::min(order.size(), start + size_t(rowTile));
    for (size_t i = start; i < end; ++i) {
      int64_t r = order[i];
      for (int64_t j = a.getRowStart()[size_t(r)]; j < a.getRowStart()[size_t(r) + 1]; ++j) {
        int64_t &mark = seen[size_t(a.getColIndex()[size_t(j)])];
        if (mark != int64_t(start)) mark = int64_t(start), ++loads;
      }
    }
  }
  return loads;
}

} // namespace spcc
