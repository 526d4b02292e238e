//===- TilingChoiceTest.cpp - Which tilings the tuner offers and caches --===//
#include "backends/common/TuneCache.h"
#include "backends/common/sparse/SparseLayer.h"
#include "backends/x86/SparseTuner.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <random>
#include <set>

using namespace spcc;
using namespace spcc::x86;

namespace {

SparseTensor randomSparse(int64_t rows, int64_t cols, double density, std::mt19937 &random) {
  Tensor dense(TensorType(DType::Float32, {rows, cols}));
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float &x : dense.getMutableData<float>())
    x = uniform(random) < density ? uniform(random) + 0.5f : 0.0f;
  return SparseTensor::fromDense(dense);
}

bool isSplitLoop(const SpmmTiling &t) {
  return t.schedule == SpmmTiling::Schedule::Loop && t.kBlock > 0;
}

} // namespace

TEST_CASE("fast tuning measures a split-K loop where B overflows the cache", "[sparse]") {
  std::mt19937 random(31);
  // 4096 rows of B at 8 vectors of 16 floats: 2 MiB per step.
  SparseLayer wide = planMatrixProduct(randomSparse(64, 4096, 0.05, random), 512);
  std::vector<SpmmTiling> candidates = candidateTilings(wide, 16, TuneLevel::Fast);
  auto split = std::find_if(candidates.begin(), candidates.end(), isSplitLoop);
  REQUIRE(split != candidates.end());
  CHECK(split->kBlock < 4096);
  // Rows of B 512 floats apart: the split loops copy each block's rows into one buffer.
  CHECK(std::any_of(candidates.begin(), candidates.end(),
                    [](const SpmmTiling &t) { return isSplitLoop(t) && t.packB; }));
  CHECK(std::any_of(candidates.begin(), candidates.end(), [](const SpmmTiling &t) {
    return t.schedule == SpmmTiling::Schedule::Loop && t.kBlock == 0;
  }));
  // n = 49 floats per row of B: one step spans it, and its rows start anywhere in a cache
  // line; the split loops are offered reading B in place and packed into aligned rows.
  SparseLayer short_ = planMatrixProduct(randomSparse(256, 1024, 0.1, random), 49);
  std::vector<SpmmTiling> shortCandidates = candidateTilings(short_, 16, TuneLevel::Fast);
  for (bool packed : {false, true})
    CHECK(std::any_of(shortCandidates.begin(), shortCandidates.end(), [&](const SpmmTiling &t) {
      return isSplitLoop(t) && t.nBlock == 0 && t.packB == packed;
    }));
  // The cost model (what --tune=none and levels this host cannot run go by) prices the split
  // loads of the in-place form: each packed tiling is estimated cheaper than its in-place twin.
  for (const SpmmTiling &packed : shortCandidates) {
    if (!isSplitLoop(packed) || !packed.packB) continue;
    SpmmTiling inPlace = packed;
    inPlace.packB = false;
    CHECK(estimateCycles(short_, packed, 16) < estimateCycles(short_, inPlace, 16));
  }
  // A short reduction fits as it is.
  SparseLayer narrow = planMatrixProduct(randomSparse(64, 48, 0.3, random), 512);
  for (TuneLevel level : {TuneLevel::Fast, TuneLevel::Full})
    for (const SpmmTiling &t : candidateTilings(narrow, 16, level)) CHECK_FALSE(isSplitLoop(t));
}

TEST_CASE("loops are offered the steps that recompute fewest positions", "[sparse]") {
  std::mt19937 random(35);
  auto loopVectors = [](const std::vector<SpmmTiling> &offered) {
    std::set<int> vectors;
    for (const SpmmTiling &t : offered)
      if (t.schedule == SpmmTiling::Schedule::Loop) vectors.insert(t.vectors);
    return vectors;
  };
  // 14x14 = 196 positions in AVX2's vectors of 8: steps of 4 and 8 vectors compute 224 and
  // 256, of 9 216, of 5 200 (more than 12 vectors leave too few registers).
  SparseLayer fourteen = planMatrixProduct(randomSparse(256, 1024, 0.2, random), 196);
  std::set<int> avx2 = loopVectors(offeredTilings(fourteen, 8, kModelUnrolledNonzeros));
  CHECK(avx2.count(9) == 1);
  CHECK(avx2.count(5) == 1);
  CHECK(avx2.count(7) == 0); // 224, no fewer than 4 vectors'
  CHECK(std::none_of(avx2.begin(), avx2.end(), [](int v) { return v > 12; }));
  // The steps of 5 vectors are also offered two rows in lockstep, as those of 4 are.
  std::vector<SpmmTiling> offered = offeredTilings(fourteen, 8, kModelUnrolledNonzeros);
  CHECK(std::any_of(offered.begin(), offered.end(), [](const SpmmTiling &t) {
    return t.schedule == SpmmTiling::Schedule::Loop && t.vectors == 5 && t.rowGroup == 2;
  }));
  // 7x7 = 49 positions: one step of 7 vectors computes 56, those of 4 and 8 vectors 64.
  SparseLayer seven = planMatrixProduct(randomSparse(256, 1024, 0.2, random), 49);
  CHECK(loopVectors(offeredTilings(seven, 8, kModelUnrolledNonzeros)).count(7) == 1);
  // In AVX-512's vectors of 16 one step of 13 vectors (208) already computes fewest.
  CHECK(loopVectors(offeredTilings(fourteen, 16, kModelUnrolledNonzeros)) ==
        std::set<int>{2, 4, 7, 8, 13});
}

TEST_CASE("a convolution's split loops read B in place as well as packed", "[sparse]") {
  std::mt19937 random(36);
  Tensor dense(TensorType(DType::Float32, {128, 128, 3, 3}));
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float &x : dense.getMutableData<float>()) x = uniform(random) < 0.05 ? uniform(random) : 0;
  ConvGeometry g;
  g.inChannels = 128;
  g.inH = g.inW = 28;
  g.kernelH = g.kernelW = 3;
  g.padTop = g.padLeft = g.padBottom = g.padRight = 1;
  SparseLayer conv = planConvolution(dense, g, {});
  REQUIRE_FALSE(conv.spec.rowStrideOfB().has_value());
  std::vector<SpmmTiling> offered = offeredTilings(conv, 8, kModelUnrolledNonzeros);
  for (bool packed : {false, true})
    CHECK(std::any_of(offered.begin(), offered.end(), [&](const SpmmTiling &t) {
      return isSplitLoop(t) && t.nBlock > 0 && t.nBlock < conv.spec.n && t.packB == packed;
    }));
  // A product's rows of B a row apart are packed only (in place they crowd a few cache sets).
  SparseLayer product = planMatrixProduct(randomSparse(128, 1152, 0.05, random), 816);
  offered = offeredTilings(product, 8, kModelUnrolledNonzeros);
  CHECK_FALSE(std::any_of(offered.begin(), offered.end(), [&](const SpmmTiling &t) {
    return isSplitLoop(t) && t.nBlock > 0 && t.nBlock < product.spec.n && !t.packB;
  }));
}

TEST_CASE("straight-line tiles are offered reduction blocks where a step's B outgrows L1",
          "[sparse]") {
  std::mt19937 random(33);
  auto convolution = [&](int64_t channels) {
    Tensor dense(TensorType(DType::Float32, {128, channels, 3, 3}));
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (float &x : dense.getMutableData<float>()) x = uniform(random) < 0.05 ? uniform(random) : 0;
    ConvGeometry g;
    g.inChannels = channels;
    g.inH = g.inW = 28;
    g.kernelH = g.kernelW = 3;
    g.padTop = g.padLeft = g.padBottom = g.padRight = 1;
    return planConvolution(dense, g, {});
  };
  // 256 channels: a step of 16 positions reads 3 plane rows of 2 cache lines each per channel,
  // 96 KiB of B.
  SparseLayer wide = convolution(256);
  std::vector<SpmmTiling> offered = offeredTilings(wide, 16, kModelUnrolledNonzeros);
  std::vector<SpmmTiling> blocked;
  std::copy_if(offered.begin(), offered.end(), std::back_inserter(blocked), [](const auto &t) {
    return t.schedule == SpmmTiling::Schedule::Unrolled && t.kBlock > 0;
  });
  REQUIRE_FALSE(blocked.empty());
  for (const SpmmTiling &t : blocked) {
    INFO(t.describe());
    // One step per position block, whole tiles of 8 rows or more, several blocks.
    CHECK(t.nBlock == 16 * t.vectors);
    CHECK(t.rowTile >= 8);
    CHECK(t.kBlock < 256 * 9);
    // The cost model prices the loads from L2 the blocks save above their partial sums.
    SpmmTiling whole = t;
    whole.kBlock = 0;
    whole.nBlock = 0;
    CHECK(estimateCycles(wide, t, 16) < estimateCycles(wide, whole, 16));
  }
  // 32 channels: 12 KiB a step, in L1 as it is.
  for (const SpmmTiling &t : offeredTilings(convolution(32), 16, kModelUnrolledNonzeros))
    CHECK_FALSE((t.schedule == SpmmTiling::Schedule::Unrolled && t.kBlock > 0));
}

TEST_CASE("straight-line tiles pack B's position blocks where its rows conflict in L2",
          "[sparse]") {
  std::mt19937 random(34);
  auto isPackedUnrolled = [](const SpmmTiling &t) {
    return t.schedule == SpmmTiling::Schedule::Unrolled && t.packB;
  };
  // 2048 positions: rows of B 128 cache lines apart, 128 of them held by L2's sets; 256 rows.
  SparseLayer wide = planMatrixProduct(randomSparse(256, 256, 0.1, random), 2048);
  std::vector<SpmmTiling> offered = offeredTilings(wide, 16, kModelUnrolledNonzeros);
  REQUIRE(std::any_of(offered.begin(), offered.end(), isPackedUnrolled));
  for (const SpmmTiling &t : offered) {
    if (!isPackedUnrolled(t)) continue;
    INFO(t.describe());
    CHECK(t.nBlock > 0);
    SpmmTiling inPlace = t;
    inPlace.packB = false;
    CHECK(estimateCycles(wide, t, 16) < estimateCycles(wide, inPlace, 16));
  }
  // 128 positions: rows 8 lines apart, 2048 held.
  SparseLayer narrow = planMatrixProduct(randomSparse(256, 256, 0.1, random), 128);
  for (const SpmmTiling &t : offeredTilings(narrow, 16, kModelUnrolledNonzeros))
    CHECK_FALSE(isPackedUnrolled(t));
}

TEST_CASE("one position is offered row dot products, preferred to the nonzero loop untuned",
          "[sparse]") {
  std::mt19937 random(33);
  auto isRowDot = [](const SpmmTiling &t) { return t.schedule == SpmmTiling::Schedule::RowDot; };
  // A classifier on one sample: 1000 x 1024 at 90%.
  SparseLayer classifier = planMatrixProduct(randomSparse(1000, 1024, 0.1, random), 1);
  std::vector<SpmmTiling> untuned = candidateTilings(classifier, 16, TuneLevel::None);
  REQUIRE(untuned.size() == 1);
  CHECK(isRowDot(untuned[0]));
  std::vector<SpmmTiling> fast = candidateTilings(classifier, 16, TuneLevel::Fast);
  CHECK(std::any_of(fast.begin(), fast.end(), isRowDot));
  // Two positions or more keep the vector schedules.
  SparseLayer two = planMatrixProduct(randomSparse(1000, 1024, 0.1, random), 2);
  for (TuneLevel level : {TuneLevel::None, TuneLevel::Fast, TuneLevel::Full})
    for (const SpmmTiling &t : candidateTilings(two, 16, level)) CHECK_FALSE(isRowDot(t));
}

TEST_CASE("tiling names round-trip through the tune cache's parser", "[sparse]") {
  std::vector<SpmmTiling> tilings = {
      {SpmmTiling::Schedule::Unrolled, 8, 2, 256, true},
      {SpmmTiling::Schedule::Unrolled, 24, 1, 16, true, 288},
      {SpmmTiling::Schedule::Unrolled, 28, 1, 80, true, 0, true},
      {SpmmTiling::Schedule::Loop, 16, 8, 128, false, 256},
      {SpmmTiling::Schedule::Loop, 16, 4, 0, false, 0},
      {SpmmTiling::Schedule::Loop, 16, 4, 64, false, 256, true},
      {SpmmTiling::Schedule::Loop, 16, 4, 0, false, 128, true, 4},
      {SpmmTiling::Schedule::RowDot, 16, 1, 0},
  };
  for (const SpmmTiling &t : tilings) {
    INFO(t.describe());
    auto parsed = parseTiling(t.describe());
    REQUIRE(parsed);
    CHECK(parsed->describe() == t.describe());
    CHECK(parsed->kBlock == t.kBlock);
    CHECK(parsed->packB == t.packB);
    CHECK(parsed->rowGroup == t.rowGroup);
  }
  CHECK_FALSE(parseTiling("unrolled-r4-v2-kb64-pack")); // straight-line tiles pack positions
  CHECK_FALSE(parseTiling("unrolled-r4-v2-pack"));      // ... of position blocks
  CHECK_FALSE(parseTiling("dense-r4-v2-nb64-pack"));
  CHECK_FALSE(parseTiling("loop-r16-v8-kb0"));
  CHECK_FALSE(parseTiling("loop-r16-v8-kbx"));
  CHECK_FALSE(parseTiling("loop-r16-v8-pack")); // packing needs reduction blocks
  CHECK_FALSE(parseTiling("loop-r16-v8-kb64-pack-pack"));
  CHECK_FALSE(parseTiling("loop-r16-v4-g1"));     // a group is two rows or more
  CHECK_FALSE(parseTiling("loop-r6-v4-kb64-g4")); // ... dividing the row tile
  CHECK_FALSE(parseTiling("unrolled-r4-v2-g2"));  // ... of a loop
}

TEST_CASE("a tiling read from the tune cache must be one the tuner offers", "[sparse]") {
  std::mt19937 random(32);
  SparseLayer layer = planMatrixProduct(randomSparse(64, 96, 0.1, random), 128);
  int64_t budget = defaultUnrolledBudget(TuneLevel::Full);
  for (TuneLevel level : {TuneLevel::None, TuneLevel::Fast, TuneLevel::Full})
    for (const SpmmTiling &t : candidateTilings(layer, 16, level)) {
      INFO(t.describe());
      CHECK(isOfferedTiling(layer, 16, budget, t));
    }
  // What a damaged or hand-edited cache could hold: absurd tiles and blocks compile for
  // minutes or exhaust memory.
  for (const char *text : {"unrolled-r100000-v100000", "loop-r16-v8-nb2147483647",
                           "loop-r16-v4-kb100000", "loop-r1-v2-perm", "unrolled-r3-v2",
                           "dense-r6-v4",      // dense tiles: for mostly nonzero weights only
                           "rowdot-r16-v1"}) { // row dot products: for one position only
    auto tiling = parseTiling(text);
    REQUIRE(tiling);
    INFO(text);
    CHECK_FALSE(isOfferedTiling(layer, 16, budget, *tiling));
  }
}

TEST_CASE("compilations sharing a tune cache keep each other's decisions", "[sparse]") {
  llvm::SmallString<128> dir;
  REQUIRE(!llvm::sys::fs::createUniqueDirectory("spcc-tune-cache-test", dir));
  std::string path = (dir + "/tune.txt").str();
  KernelChoice sparse;
  sparse.sparse = true;
  sparse.tiling = {SpmmTiling::Schedule::Loop, 16, 4, 0, false, 0};
  KernelChoice dense = sparse;
  dense.sparse = false;
  // Two layers' keys, in the cache's current format.
  std::mt19937 random(34);
  TuningSetting setting{"test-target", TuneLevel::Fast, 1, 0};
  std::string keyA =
      TuneCache::keyOf(planMatrixProduct(randomSparse(8, 8, 0.5, random), 4), setting);
  std::string keyB =
      TuneCache::keyOf(planMatrixProduct(randomSparse(8, 9, 0.5, random), 4), setting);
  REQUIRE(keyA != keyB);
  // Both load the (empty) cache, decide a layer each, and save: the second save merges.
  TuneCache first = TuneCache::load(path), second = TuneCache::load(path);
  first.insert(keyA, sparse);
  second.insert(keyB, dense);
  second.insert(keyA, dense); // decided differently by the second: the first's stays
  REQUIRE(!first.save());
  REQUIRE(!second.save());
  TuneCache merged = TuneCache::load(path);
  auto a = merged.lookup(keyA), b = merged.lookup(keyB);
  REQUIRE(static_cast<bool>(a));
  REQUIRE(static_cast<bool>(b));
  REQUIRE(a->has_value());
  REQUIRE(b->has_value());
  CHECK((*a)->sparse);
  CHECK_FALSE((*b)->sparse);
  // No temporary is left beside the cache.
  std::error_code ec;
  int files = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    files += !llvm::StringRef(it->path()).ends_with(".lock");
  CHECK(files == 1);
  llvm::sys::fs::remove_directories(dir);
}

TEST_CASE("straight-line code is granted to the smallest layers, further where they are denser",
          "[sparse]") {
  const int64_t fallback = defaultUnrolledBudget(TuneLevel::Fast);
  // Five 95%-sparse layers of 30k nonzeros: four fit the model's 140k, listed in any order.
  std::vector<UnrolledLayerSize> sparse(5, {30000, 0.05});
  sparse[2].nonzeros = 31000;
  std::vector<int64_t> budgets = unrolledBudgets(sparse, TuneLevel::Fast);
  CHECK(budgets == std::vector<int64_t>{30000, 30000, fallback, 30000, 30000});
  // 80%-sparse layers: their B slices feed several rows each, and all twelve fit (360k).
  std::vector<UnrolledLayerSize> reused(12, {30000, 0.2});
  budgets = unrolledBudgets(reused, TuneLevel::Fast);
  CHECK(std::count(budgets.begin(), budgets.end(), 30000) == 12);
  // Mixed: the sparse ones stop at 140k in all, the denser ones go on to 400k.
  std::vector<UnrolledLayerSize> mixed = {{100000, 0.05}, {60000, 0.05}, {90000, 0.2},
                                          {50000, 0.2},   {200000, 0.3}, {20000, 0.05}};
  budgets = unrolledBudgets(mixed, TuneLevel::Fast);
  // Smallest first: 20k (20k), 50k (70k), 60k (130k), 90k (220k), 100k sparse would pass 140k,
  // 200k would pass 400k.
  CHECK(budgets == std::vector<int64_t>{fallback, 60000, 90000, 50000, fallback, 20000});
  // Full tuning's own per-layer default is larger than any of these.
  for (int64_t b : unrolledBudgets(mixed, TuneLevel::Full)) CHECK(b >= 200000);
}
