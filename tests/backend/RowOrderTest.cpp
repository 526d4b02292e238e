//===- RowOrderTest.cpp - Row orders for register tiles -----------------===//
#include "backends/common/sparse/RowOrder.h"
#include "backends/x86/SparseTuner.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace spcc;
using namespace spcc::x86;

namespace {

/// rows x cols with row r's nonzeros in columns of its group (r % groups) only, each present
/// with probability \p density: index order puts rows of different groups in every tile.
SparseTensor groupedRows(int64_t rows, int64_t cols, int64_t groups, double density,
                         std::mt19937 &random) {
  Tensor dense(TensorType(DType::Float32, {rows, cols}));
  auto data = dense.getMutableData<float>();
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (c % groups == r % groups && coin(random) < density)
        data[size_t(r * cols + c)] = float(coin(random)) + 0.5f;
  return SparseTensor::fromDense(dense);
}

} // namespace

TEST_CASE("tileRowOrder is a permutation that groups rows sharing columns", "[sparse]") {
  std::mt19937 random(21);
  SparseTensor a = groupedRows(96, 120, 4, 0.6, random);
  for (int rowTile : {2, 3, 8, 24}) {
    INFO("row tile " << rowTile);
    std::vector<int64_t> order = tileRowOrder(a, rowTile);
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(sorted == identityRowOrder(a));
    // Index order mixes the 4 groups in every tile of 4 or more rows; grouped tiles load each
    // group's columns only.
    int64_t identityLoads = tileColumnLoads(a, identityRowOrder(a), rowTile);
    int64_t permutedLoads = tileColumnLoads(a, order, rowTile);
    CHECK(permutedLoads < identityLoads);
    if (rowTile >= 4) CHECK(permutedLoads * 2 < identityLoads);
  }
}

TEST_CASE("tileColumnLoads counts the distinct columns of each tile", "[sparse]") {
  // Rows: {0, 1}, {1, 2}, {3}, {0, 3}.
  Tensor dense(TensorType(DType::Float32, {4, 4}));
  auto data = dense.getMutableData<float>();
  for (auto [r, c] : {std::pair<int, int>{0, 0}, {0, 1}, {1, 1}, {1, 2}, {2, 3}, {3, 0}, {3, 3}})
    data[size_t(r * 4 + c)] = 1.5f;
  SparseTensor a = SparseTensor::fromDense(dense);
  CHECK(tileColumnLoads(a, {0, 1, 2, 3}, 2) == 3 + 2);
  CHECK(tileColumnLoads(a, {0, 3, 1, 2}, 2) == 3 + 3);
  CHECK(tileColumnLoads(a, {0, 1, 2, 3}, 1) == 7);
  CHECK(tileColumnLoads(a, {0, 1, 2, 3}, 4) == 4);
}

TEST_CASE("the tuner measures a permuted tiling against its twin", "[sparse]") {
  std::mt19937 random(22);
  SparseLayer layer = planMatrixProduct(groupedRows(64, 96, 4, 0.3, random), 64);
  std::vector<SpmmTiling> candidates = candidateTilings(layer, 16, TuneLevel::Fast);
  bool anyPermuted = false;
  for (const SpmmTiling &t : candidates) {
    if (!t.permuteRows) continue;
    anyPermuted = true;
    SpmmTiling twin = t;
    twin.permuteRows = false;
    CHECK(std::any_of(candidates.begin(), candidates.end(),
                      [&](const SpmmTiling &c) { return c.describe() == twin.describe(); }));
  }
  CHECK(anyPermuted);
}
