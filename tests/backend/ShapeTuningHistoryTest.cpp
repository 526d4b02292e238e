//===- ShapeTuningHistoryTest.cpp - Tilings carried over between layers of a shape ===//
#include "backends/x86/ShapeTuningHistory.h"
#include "backends/common/sparse/SparseLayer.h"
#include "tests/backend/SparseTestData.h"

#include <catch2/catch.hpp>

#include <random>

using namespace spcc;
using namespace spcc::x86;

namespace {

SparseTensor randomSparse(int64_t rows, int64_t cols, double density, std::mt19937 &random) {
  return SparseTensor::fromDense(test::randomWeights({rows, cols}, 1 - density, random));
}

SpmmTiling loop(int vectors, int64_t kBlock) {
  SpmmTiling t;
  t.schedule = SpmmTiling::Schedule::Loop;
  t.rowTile = 16;
  t.vectors = vectors;
  t.kBlock = kBlock;
  return t;
}

} // namespace

TEST_CASE("layers of one shape share a key whatever their weights, others do not", "[sparse]") {
  std::mt19937 random(5);
  SparseLayer first = planMatrixProduct(randomSparse(96, 128, 0.1, random), 64);
  SparseLayer second = planMatrixProduct(randomSparse(96, 128, 0.1, random), 64);
  REQUIRE(first.spec.weights.getColIndex() != second.spec.weights.getColIndex());
  CHECK(layerShapeKey(first, 0) == layerShapeKey(second, 0));
  CHECK(layerShapeKey(first, 0) != layerShapeKey(first, 4096)); // straight-line budget
  SparseLayer denser = planMatrixProduct(randomSparse(96, 128, 0.3, random), 64);
  CHECK(layerShapeKey(first, 0) != layerShapeKey(denser, 0));
  SparseLayer longer = planMatrixProduct(randomSparse(96, 128, 0.1, random), 128);
  CHECK(layerShapeKey(first, 0) != layerShapeKey(longer, 0));
  SparseLayer taller = planMatrixProduct(randomSparse(112, 128, 0.1, random), 64);
  CHECK(layerShapeKey(first, 0) != layerShapeKey(taller, 0));
}

TEST_CASE("later layers of a shape time the tilings fastest in its first ones", "[sparse]") {
  ShapeTuningHistory history;
  const std::string shape = "shape", other = "other";
  SpmmTiling a = loop(4, 0), b = loop(4, 256), c = loop(8, 0), d = loop(8, 256), e = loop(2, 0);
  // Until two layers of the shape have timed everything, nothing is narrowed.
  CHECK(history.closeTilings(shape).empty());
  history.recordFullTuning(shape, {{a, 1.00}, {b, 1.03}, {c, 1.05}, {d, 1.08}, {e, 1.5}});
  CHECK(history.closeTilings(shape).empty());
  history.recordFullTuning(other, {{e, 1.0}});
  CHECK(history.closeTilings(shape).empty());
  // The second: the three fastest of each within 10% of its fastest, fastest first. d is
  // within 10% in both but fourth in both; c is third in the first layer only (25% slower
  // here), e third in the second only.
  history.recordFullTuning(shape, {{d, 2.16}, {a, 2.00}, {c, 2.50}, {b, 2.10}, {e, 2.15}});
  CHECK(history.closeTilings(shape) == std::vector<SpmmTiling>{a, b, c, e});
  // A third layer's full trials, if any, add their fastest too; ties go by name.
  history.recordFullTuning(shape, {{e, 0.9}, {a, 1.2}});
  CHECK(history.closeTilings(shape) == std::vector<SpmmTiling>{e, a, b, c});
  CHECK(history.closeTilings(other).empty());
}
