//===- SparseKernelTest.cpp - Generated sparse kernels against references ===//
//
// Every schedule and register tiling of the SpMM generator, on both vector
// widths the host can run, over sparsity {0, 0.5, 0.9, 0.99, 1} and sizes that
// are not multiples of any tile; epilogues; and sparse convolutions at the
// edges of stride and padding. References are double-precision loops.
//
//===----------------------------------------------------------------------===//
#include "backends/x86/LoadedSparseLayer.h"
#include "backends/x86/SparseTuner.h"
#include "backends/x86/SpmmEmitter.h"
#include "compiler/support/Error.h"
#include "tests/backend/SparseTestData.h"

#include "llvm/TargetParser/Host.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using namespace spcc;
using namespace spcc::x86;
using namespace spcc::test;

namespace {

x86::KernelJit &jit() {
  static std::unique_ptr<KernelJit> instance = [] {
    auto created = KernelJit::create();
    if (!created) FAIL(takeMessage(created.takeError()));
    return std::move(*created);
  }();
  return *instance;
}

/// The ISA levels this host runs: x86-64-v3, and x86-64-v4 with AVX-512.
std::vector<TargetIsa> hostIsas() {
  std::vector<TargetIsa> isas = {{"x86-64-v3", "", "x86-64-v3"}};
  if (llvm::sys::getHostCPUFeatures().lookup("avx512f"))
    isas.push_back({"x86-64-v4", "", "x86-64-v4"});
  return isas;
}

/// Runs \p layer compiled with \p tiling for \p isa on \p threads threads.
std::vector<float> runLayer(const SparseLayer &layer, const SpmmTiling &tiling,
                            const TargetIsa &isa, const std::vector<float> &input,
                            const std::vector<float> &residual, int threads) {
  auto loaded = LoadedSparseLayer::compile(jit(), layer, tiling, isa);
  if (!loaded) FAIL(takeMessage(loaded.takeError()));
  std::vector<float> output(size_t(layer.outputFloats()), NAN);
  loaded->run(input.data(), residual.empty() ? nullptr : residual.data(), output.data(), threads);
  return output;
}

void requireClose(const std::vector<float> &actual, const std::vector<double> &expected,
                  int64_t reduction) {
  REQUIRE(actual.size() == expected.size());
  double tolerance = 1e-5 * std::sqrt(double(std::max<int64_t>(reduction, 1)));
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    REQUIRE(std::abs(double(actual[i]) - expected[i]) <=
            tolerance * std::max(1.0, std::abs(expected[i])));
  }
}

/// C = A * B in double precision: \p weights m x k, \p b k x n, both row-major.
std::vector<double> referenceProduct(const Tensor &weights, const std::vector<float> &b,
                                     int64_t n) {
  int64_t m = weights.getType().getDims()[0], k = weights.getType().getDims()[1];
  auto a = weights.getData<float>();
  std::vector<double> c(size_t(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t p = 0; p < n; ++p)
        c[size_t(i * n + p)] += double(a[size_t(i * k + j)]) * b[size_t(j * n + p)];
  return c;
}

/// Every tiling shape the generator accepts for \p width-float vectors (what the tuner picks
/// from), both schedules, with and without position and reduction blocks.
std::vector<SpmmTiling> tilingTable(int width) {
  std::vector<SpmmTiling> table;
  for (int vectors : {1, 2, 3, 4})
    for (int rows : {1, 3, 8, 16})
      if (rows * vectors + vectors <= accumulatorRegisters(width) - 2)
        for (int64_t block : {int64_t(0), int64_t(vectors * width)}) {
          table.push_back({SpmmTiling::Schedule::Unrolled, rows, vectors, block});
          // Rows in tileRowOrder: each must still land in its own row of C.
          if (rows > 1)
            table.push_back({SpmmTiling::Schedule::Unrolled, rows, vectors, block, true});
        }
  // Straight-line tiles in reduction blocks (one step per position block, the last one
  // partial): partial sums go through the thread's scratch; a step moved back recomputes
  // the lanes it shares with the step before.
  for (int vectors : {1, 2})
    for (int64_t kBlock : {7, 16}) {
      table.push_back({SpmmTiling::Schedule::Unrolled, 8, vectors, vectors * width, false, kBlock});
      table.push_back({SpmmTiling::Schedule::Unrolled, 3, vectors, vectors * width, true, kBlock});
    }
  // Straight-line tiles on packed position blocks of B (a block's first step moved back when
  // the last block is narrower than a step: the copy starts there).
  for (int vectors : {1, 2})
    for (int64_t block : {int64_t(vectors * width), int64_t(2 * vectors * width)}) {
      table.push_back({SpmmTiling::Schedule::Unrolled, 8, vectors, block, false, 0, true});
      table.push_back({SpmmTiling::Schedule::Unrolled, 3, vectors, block, true, 0, true});
    }
  for (int vectors : {2, 4, 8}) {
    for (int64_t block : {int64_t(0), int64_t(2 * vectors * width)}) {
      table.push_back({SpmmTiling::Schedule::Loop, 5, vectors, block});
      // Reduction blocks, the last one partial: partial sums go through C.
      for (int64_t kBlock : {7, 16})
        table.push_back({SpmmTiling::Schedule::Loop, 5, vectors, block, false, kBlock});
    }
    // One step per position block: each reduction block's rows of B copied to a buffer first
    // (narrower layers than a step copy n floats per row and zeros after them). Without
    // position blocks, only layers no wider than a step are packed; wider ones read B in place.
    for (int64_t kBlock : {7, 16})
      for (int64_t block : {int64_t(vectors * width), int64_t(0)})
        table.push_back({SpmmTiling::Schedule::Loop, 5, vectors, block, false, kBlock, true});
  }
  // Rows walked in lockstep groups (a divisor of the tile), each padded to its group's longest
  // row: m not a multiple of the group leaves streams without a row in the last tile.
  for (int64_t group : {2, 4})
    for (int64_t kBlock : {0, 7})
      table.push_back({SpmmTiling::Schedule::Loop, 4, 4, 0, false, kBlock, false, group});
  table.push_back({SpmmTiling::Schedule::Loop, 4, 4, 4 * width, false, 16, true, 2});
  table.push_back({SpmmTiling::Schedule::Loop, 6, 2, 0, false, 16, false, 2});
  // A step of an odd vector count spanning all of n (offered for 9-16 vectors), in place and
  // packed.
  for (bool packed : {false, true})
    table.push_back({SpmmTiling::Schedule::Loop, 5, 11, 0, false, 7, packed});
  // Dense register tiles (every weight, zeros included): a row count that does not divide m
  // leaves a partial last tile.
  for (auto [rows, vectors] : {std::pair{4, 2}, {3, 3}, {6, 1}})
    for (int64_t block : {int64_t(0), int64_t(vectors * width)})
      table.push_back({SpmmTiling::Schedule::Dense, rows, vectors, block});
  // Row dot products (offered for one position; correct for any n, a position at a time).
  for (int rows : {3, 16}) table.push_back({SpmmTiling::Schedule::RowDot, rows, 1, 0});
  return table;
}

} // namespace

TEST_CASE("generated SpMM matches the reference for every tiling, sparsity and tail", "[sparse]") {
  std::mt19937 random(11);
  for (const TargetIsa &isa : hostIsas()) {
    int width = vectorWidthOf(isa);
    for (const SpmmTiling &tiling : tilingTable(width))
      for (double sparsity : {0.0, 0.5, 0.9, 0.99, 1.0})
        for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{37, 29, 45},
                               {5, 70, 3},
                               {9, 40, 1},
                               {7, 33, 6},
                               {16, 16, 2 * int64_t(width) + 1}}) {
          Tensor weights = randomWeights({m, k}, sparsity, random);
          SparseLayer layer = planMatrixProduct(SparseTensor::fromDense(weights), n);
          std::vector<float> b = randomVector(k * n, random);
          std::vector<double> expected = referenceProduct(weights, b, n);
          for (int threads : {1, 2}) {
            INFO(isa.kernelLevel << " " << tiling.describe() << " sparsity " << sparsity << " m "
                                 << m << " k " << k << " n " << n << " threads " << threads);
            requireClose(runLayer(layer, tiling, isa, b, {}, threads), expected, k);
          }
        }
  }
}

TEST_CASE("loops name rows of B past the 256th column in two bytes", "[sparse]") {
  // A loop's table holds each nonzero's column (within its reduction block when packed) where
  // B's rows lie a constant distance apart: one byte for up to 256 columns (the table above),
  // two beyond.
  std::mt19937 random(12);
  for (const TargetIsa &isa : hostIsas()) {
    int width = vectorWidthOf(isa);
    const int64_t m = 19, k = 700, n = 2 * int64_t(width) + 3;
    for (const SpmmTiling &tiling :
         {SpmmTiling{SpmmTiling::Schedule::Loop, 5, 2, 2 * int64_t(width), false, 300, true},
          SpmmTiling{SpmmTiling::Schedule::Loop, 4, 4, 4 * int64_t(width), false, 257, true, 2},
          SpmmTiling{SpmmTiling::Schedule::Loop, 5, 4, 0, false, 256, true},
          SpmmTiling{SpmmTiling::Schedule::Loop, 5, 2, 0},
          SpmmTiling{SpmmTiling::Schedule::Loop, 4, 4, 0, false, 300, false, 4},
          SpmmTiling{SpmmTiling::Schedule::RowDot, 3, 1, 0}})
      for (double sparsity : {0.5, 0.95}) {
        Tensor weights = randomWeights({m, k}, sparsity, random);
        SparseLayer layer = planMatrixProduct(SparseTensor::fromDense(weights), n);
        std::vector<float> b = randomVector(k * n, random);
        std::vector<double> expected = referenceProduct(weights, b, n);
        for (int threads : {1, 2}) {
          INFO(isa.kernelLevel << " " << tiling.describe() << " sparsity " << sparsity
                               << " threads " << threads);
          requireClose(runLayer(layer, tiling, isa, b, {}, threads), expected, k);
        }
      }
  }
}

TEST_CASE("epilogues apply bias, residual and activation before the store", "[sparse]") {
  std::mt19937 random(12);
  int64_t m = 19, k = 33, n = 41;
  for (const TargetIsa &isa : hostIsas())
    for (FusedActivation act : {FusedActivation{FusedActivation::Kind::None},
                                FusedActivation{FusedActivation::Kind::Relu},
                                FusedActivation{FusedActivation::Kind::Clip, 0.0f, 6.0f},
                                FusedActivation{FusedActivation::Kind::Clip, -1.5f, 2.5f},
                                FusedActivation{FusedActivation::Kind::Gelu}})
      for (SpmmTiling::Schedule schedule :
           {SpmmTiling::Schedule::Unrolled, SpmmTiling::Schedule::Loop, SpmmTiling::Schedule::Dense,
            SpmmTiling::Schedule::RowDot}) {
        Tensor weights = randomWeights({m, k}, 0.7, random);
        SparseLayer layer = planMatrixProduct(SparseTensor::fromDense(weights), n);
        std::vector<float> bias = randomVector(m, random);
        for (float &x : bias) x *= 4; // reach both sides of ReLU6's bounds
        layer.spec.epilogue = {bias, true, act};
        std::vector<float> b = randomVector(k * n, random), residual = randomVector(m * n, random);
        std::vector<double> expected(size_t(m * n));
        auto a = weights.getData<float>();
        for (int64_t i = 0; i < m; ++i)
          for (int64_t p = 0; p < n; ++p) {
            double sum = bias[size_t(i)] + residual[size_t(i * n + p)];
            for (int64_t j = 0; j < k; ++j)
              sum += double(a[size_t(i * k + j)]) * b[size_t(j * n + p)];
            expected[size_t(i * n + p)] = activate(act, sum);
          }
        std::vector<SpmmTiling> tilings = {{schedule, 4, 2, 0, false}};
        if (schedule == SpmmTiling::Schedule::Unrolled) {
          tilings.push_back({schedule, 4, 2, 0, true});
          tilings.push_back({schedule, 4, 2, 2 * vectorWidthOf(isa), true, 8});
          tilings.push_back({schedule, 4, 2, 2 * vectorWidthOf(isa), false, 0, true});
        }
        // Bias, residual and activation exactly once across reduction blocks.
        if (schedule == SpmmTiling::Schedule::Loop) {
          tilings.push_back({schedule, 4, 2, 0, false, 8});
          tilings.push_back({schedule, 4, 2, 2 * vectorWidthOf(isa), false, 8, true});
        }
        for (const SpmmTiling &tiling : tilings) {
          INFO(isa.kernelLevel << " " << tiling.describe() << " activation " << int(act.kind)
                               << " [" << act.min << ", " << act.max << "]");
          requireClose(runLayer(layer, tiling, isa, b, residual, 2), expected, k);
        }
      }
}

TEST_CASE("sparse convolutions match direct convolution at stride and padding edges", "[sparse]") {
  std::mt19937 random(13);
  struct Case {
    int64_t cin, cout, h, w, kh, kw, stride, top, left, bottom, right;
  };
  const Case cases[] = {
      {3, 5, 7, 7, 3, 3, 1, 1, 1, 1, 1},
      {4, 6, 8, 9, 3, 3, 2, 1, 1, 1, 1},
      {5, 7, 6, 6, 1, 1, 1, 0, 0, 0, 0},
      {6, 4, 9, 7, 1, 1, 2, 0, 0, 0, 0},
      {2, 3, 10, 8, 5, 5, 1, 2, 1, 0, 3},
      {3, 4, 5, 5, 3, 3, 1, 0, 0, 0, 0},
      {4, 4, 3, 3, 3, 3, 2, 1, 1, 1, 1},
      {2, 9, 1, 1, 3, 3, 1, 1, 1, 1, 1},
      {8, 16, 14, 14, 3, 3, 2, 0, 0, 1, 1},
      {3, 8, 20, 19, 7, 7, 2, 3, 3, 3, 3},
      {2, 3, 1, 1, 3, 3, 2, 0, 0, 2, 2},
      {3, 5, 11, 13, 3, 3, 3, 1, 2, 1, 0},
      // Enough work for several threads, each filling its own copy of the plane rows its
      // positions read (boundaries mid-row, halo rows below them) and storing its outputs.
      {16, 32, 24, 23, 3, 3, 1, 1, 1, 1, 1},
      {16, 24, 30, 29, 3, 3, 2, 1, 1, 1, 1},
      // Rows that share their padding (phasePlaneShape): a tap past a row's end reads the next
      // row's left padding, and the last row's the zero row below the plane.
      {5, 6, 14, 14, 7, 7, 1, 3, 3, 3, 3},
      {3, 5, 13, 13, 5, 5, 1, 2, 1, 2, 3},
      {3, 5, 13, 13, 5, 5, 1, 2, 3, 2, 1},
      {16, 20, 14, 14, 7, 7, 1, 3, 3, 3, 3},
      // Stride-1 plane rows of three to five vectors of 16 (five to nine of 8: the fill's loops
      // specialized to a vector count, fillUnitStrideRowsOf, and its wider rows), on
      // several threads too.
      {3, 4, 5, 40, 3, 3, 1, 1, 1, 1, 1},
      {3, 4, 4, 56, 3, 3, 1, 1, 1, 1, 1},
      {3, 5, 4, 70, 3, 3, 1, 1, 1, 1, 1},
      {8, 16, 12, 70, 3, 3, 1, 1, 1, 1, 1},
      // Output rows of whole vectors, computed alone from plane rows widened to whole vectors
      // (OutputRowPositions): steps of two vectors of 16 span two rows of 16 outputs.
      {3, 5, 9, 32, 7, 7, 2, 3, 3, 3, 3},
      {2, 3, 6, 33, 3, 3, 2, 0, 1, 1, 0},
      {4, 6, 5, 16, 3, 3, 1, 1, 1, 1, 1},
      {3, 4, 7, 64, 5, 5, 2, 2, 2, 2, 2},
      {16, 24, 12, 32, 3, 3, 1, 1, 1, 1, 1},
      // The same at stride 2 (fillStrideTwoRowsOf), a 1x1 kernel's one column phase too.
      {3, 4, 5, 70, 3, 3, 2, 1, 1, 1, 1},
      {3, 4, 6, 100, 3, 3, 2, 1, 0, 0, 1},
      {2, 3, 6, 140, 3, 3, 2, 0, 1, 1, 0},
      {4, 6, 7, 100, 1, 1, 2, 0, 0, 0, 0},
      {8, 16, 14, 70, 3, 3, 2, 1, 1, 1, 1},
      // Rows of more than eight vectors of 16 (the fills' unspecialized loops).
      {2, 3, 3, 140, 3, 3, 1, 1, 1, 1, 1},
      {2, 3, 4, 280, 3, 3, 2, 1, 1, 1, 1},
  };
  for (const TargetIsa &isa : hostIsas())
    for (const Case &c : cases)
      for (double sparsity : {0.0, 0.9}) {
        ConvGeometry g{c.cin, c.h, c.w, c.kh, c.kw, c.stride, c.top, c.left, c.bottom, c.right};
        Tensor weights = randomWeights({c.cout, c.cin, c.kh, c.kw}, sparsity, random);
        std::vector<float> bias = randomVector(c.cout, random);
        SparseLayer layer = planConvolution(weights, g, bias);
        std::vector<float> x = randomVector(c.cin * c.h * c.w, random);
        int64_t oh = g.outH(), ow = g.outW();
        std::vector<double> expected(size_t(c.cout * oh * ow));
        auto w = weights.getData<float>();
        for (int64_t co = 0; co < c.cout; ++co)
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t xo = 0; xo < ow; ++xo) {
              double sum = bias[size_t(co)];
              for (int64_t ci = 0; ci < c.cin; ++ci)
                for (int64_t i = 0; i < c.kh; ++i)
                  for (int64_t j = 0; j < c.kw; ++j) {
                    int64_t iy = y * c.stride + i - c.top, ix = xo * c.stride + j - c.left;
                    if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                    sum += double(w[size_t(((co * c.cin + ci) * c.kh + i) * c.kw + j)]) *
                           x[size_t((ci * c.h + iy) * c.w + ix)];
                  }
              expected[size_t((co * oh + y) * ow + xo)] = sum;
            }
        for (const SpmmTiling &tiling :
             {SpmmTiling{SpmmTiling::Schedule::Unrolled, 4, 2, 0},
              SpmmTiling{SpmmTiling::Schedule::Unrolled, 4, 1, vectorWidthOf(isa), true, 5},
              SpmmTiling{SpmmTiling::Schedule::Loop, 3, 2, 16},
              SpmmTiling{SpmmTiling::Schedule::Loop, 3, 2, 16, false, 5},
              SpmmTiling{SpmmTiling::Schedule::Loop, 3, 2, 2 * vectorWidthOf(isa), false, 5, true},
              SpmmTiling{SpmmTiling::Schedule::Dense, 3, 2, 0}})
          for (int threads : {1, 3}) {
            INFO(isa.kernelLevel << " conv cin " << c.cin << " cout " << c.cout << " " << c.h << "x"
                                 << c.w << " k " << c.kh << "x" << c.kw << " stride " << c.stride
                                 << " sparsity " << sparsity << " " << tiling.describe()
                                 << " threads " << threads);
            requireClose(runLayer(layer, tiling, isa, x, {}, threads), expected,
                         c.cin * c.kh * c.kw);
          }
      }
}

TEST_CASE("stride-1 convolution planes share their rows' padding where it saves positions",
          "[sparse]") {
  std::mt19937 random(15);
  // 7x7 at 14x14: rows of 14 + 3 positions instead of 14 + 6, 240 computed instead of 288.
  ConvGeometry seven{8, 14, 14, 7, 7, 1, 3, 3, 3, 3};
  PhasePlaneShape shape = phasePlaneShape(seven);
  CHECK(shape.height == 14 + 6 + 1);
  CHECK(shape.width == 14 + 3);
  SparseLayer layer = planConvolution(randomWeights({4, 8, 7, 7}, 0.9, random), seven, {});
  CHECK(layer.params.plane_w == 14 + 3);
  CHECK(layer.spec.n == 240);
  CHECK(layer.spec.compacted.planeWidth == 14 + 3);
  // 3x3 at 14x14: 224 positions either way, so the rows keep both paddings.
  shape = phasePlaneShape({8, 14, 14, 3, 3, 1, 1, 1, 1, 1});
  CHECK(shape.height == 16);
  CHECK(shape.width == 16);
  // At stride 2 the phase planes keep their padding.
  shape = phasePlaneShape({8, 28, 28, 7, 7, 2, 3, 3, 3, 3});
  CHECK(shape.height == 17);
  CHECK(shape.width == 17);
}

TEST_CASE("output rows of whole vectors are computed alone", "[sparse]") {
  std::mt19937 random(16);
  // ResNet-50's stem: 112 outputs a row read from plane rows of 115 columns, widened to 128.
  ConvGeometry stem{3, 224, 224, 7, 7, 2, 3, 3, 3, 3};
  PhasePlaneShape shape = phasePlaneShape(stem);
  CHECK(shape.outputRows);
  CHECK(shape.height == 115);
  CHECK(shape.width == 128);
  SparseLayer layer = planConvolution(randomWeights({4, 3, 7, 7}, 0.0, random), stem, {});
  CHECK(layer.spec.n == 112 * 112);
  CHECK(layer.spec.ldc == 112 * 112);
  CHECK(layer.spec.outputRows.width == 112);
  CHECK(layer.spec.outputRows.planeWidth == 128);
  CHECK(layer.spec.compacted.planeWidth == 0);
  CHECK(layer.params.c_layout == SPCC_SPARSE_C_DIRECT);
  CHECK(layer.params.plane_w == 128);
  // Rows of 56 outputs are not whole vectors of 16: computed over plane rows, compacted.
  layer = planConvolution(randomWeights({4, 3, 3, 3}, 0.0, random),
                          {3, 56, 56, 3, 3, 1, 1, 1, 1, 1}, {});
  CHECK(layer.spec.outputRows.width == 0);
  CHECK(layer.params.c_layout == SPCC_SPARSE_C_COMPACT_ROWS);
  // A 1x1 strided convolution's plane rows are its output rows already.
  layer = planConvolution(randomWeights({4, 3, 1, 1}, 0.0, random), {3, 64, 64, 1, 1, 2}, {});
  CHECK(layer.spec.outputRows.width == 0);
  CHECK(layer.params.plane_w == 32);
  CHECK(layer.params.c_layout == SPCC_SPARSE_C_DIRECT);

  // C is the output, so a residual and an activation fuse into the store (which a compacted
  // output refuses): on one thread and on per-thread planes, steps in one row and across two.
  ConvGeometry g{8, 9, 32, 3, 3, 1, 1, 1, 1, 1};
  const int64_t cout = 16, outputs = g.outH() * g.outW();
  Tensor weights = randomWeights({cout, g.inChannels, 3, 3}, 0.5, random);
  std::vector<float> bias = randomVector(cout, random);
  std::vector<float> x = randomVector(g.inChannels * g.inH * g.inW, random);
  std::vector<float> residual = randomVector(cout * outputs, random);
  layer = planConvolution(weights, g, bias);
  REQUIRE(layer.spec.outputRows.width == 32);
  layer.spec.epilogue.residual = true;
  layer.spec.epilogue.activation = {FusedActivation::Kind::Relu};
  std::vector<double> expected(size_t(cout * outputs));
  auto w = weights.getData<float>();
  for (int64_t co = 0; co < cout; ++co)
    for (int64_t y = 0; y < g.outH(); ++y)
      for (int64_t xo = 0; xo < g.outW(); ++xo) {
        int64_t at = co * outputs + y * g.outW() + xo;
        double sum = bias[size_t(co)] + residual[size_t(at)];
        for (int64_t ci = 0; ci < g.inChannels; ++ci)
          for (int64_t i = 0; i < 3; ++i)
            for (int64_t j = 0; j < 3; ++j) {
              int64_t iy = y + i - 1, ix = xo + j - 1;
              if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
              sum += double(w[size_t(((co * g.inChannels + ci) * 3 + i) * 3 + j)]) *
                     x[size_t((ci * g.inH + iy) * g.inW + ix)];
            }
        expected[size_t(at)] = std::max(0.0, sum);
      }
  for (const TargetIsa &isa : hostIsas())
    for (const SpmmTiling &tiling : {SpmmTiling{SpmmTiling::Schedule::Unrolled, 4, 2, 0},
                                     SpmmTiling{SpmmTiling::Schedule::Unrolled, 4, 3, 0},
                                     SpmmTiling{SpmmTiling::Schedule::Loop, 3, 2, 0, false, 20},
                                     SpmmTiling{SpmmTiling::Schedule::Dense, 3, 2, 0}})
      for (int threads : {1, 2}) {
        INFO(isa.kernelLevel << " " << tiling.describe() << " threads " << threads);
        requireClose(runLayer(layer, tiling, isa, x, residual, threads), expected,
                     g.inChannels * 9);
      }
}

TEST_CASE("a transposed product computes X * W + bias row-major", "[sparse]") {
  std::mt19937 random(14);
  int64_t rows = 13, k = 24, m = 18;
  Tensor w = randomWeights({k, m}, 0.8, random); // [K, M] as in ONNX MatMul
  Tensor wt(TensorType(DType::Float32, {m, k}));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < m; ++j)
      wt.getMutableData<float>()[size_t(j * k + i)] = w.getData<float>()[size_t(i * m + j)];
  std::vector<float> bias = randomVector(m, random);
  SparseLayer layer = planTransposedProduct(SparseTensor::fromDense(wt), rows, bias);
  std::vector<float> x = randomVector(rows * k, random);
  std::vector<double> expected(size_t(rows * m));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < m; ++j) {
      double sum = bias[size_t(j)];
      for (int64_t i = 0; i < k; ++i)
        sum += double(x[size_t(r * k + i)]) * w.getData<float>()[size_t(i * m + j)];
      expected[size_t(r * m + j)] = sum;
    }
  for (const TargetIsa &isa : hostIsas())
    requireClose(runLayer(layer, {SpmmTiling::Schedule::Unrolled, 4, 1, 0}, isa, x, {}, 2),
                 expected, k);
}

TEST_CASE("a product of one position splits its rows over threads", "[sparse]") {
  // Enough nonzeros that a one-position layer (a classifier) runs its row tiles on several
  // threads: each must store exactly its own rows.
  std::mt19937 random(16);
  int64_t m = 700, k = 600;
  Tensor weights = randomWeights({m, k}, 0.6, random);
  SparseLayer layer = planMatrixProduct(SparseTensor::fromDense(weights), 1);
  std::vector<float> b = randomVector(k, random);
  std::vector<double> expected = referenceProduct(weights, b, 1);
  for (const TargetIsa &isa : hostIsas())
    for (const SpmmTiling &tiling :
         candidateTilings(layer, vectorWidthOf(isa, layer), TuneLevel::Fast))
      for (int threads : {1, 2, 3}) {
        INFO(isa.kernelLevel << " " << tiling.describe() << " threads " << threads);
        requireClose(runLayer(layer, tiling, isa, b, {}, threads), expected, k);
      }
}

TEST_CASE("the tuner keeps the fastest measured candidate", "[sparse]") {
  std::mt19937 random(15);
  Tensor weights = randomWeights({64, 64}, 0.9, random);
  SparseLayer layer = planMatrixProduct(SparseTensor::fromDense(weights), 96);
  TargetIsa isa = hostIsas().back();
  TuneOptions options;
  options.secondsPerCandidate = 0.001;
  auto tuned = tuneSparseLayer(jit(), layer, isa, options);
  if (!tuned) FAIL(takeMessage(tuned.takeError()));
  REQUIRE(tuned->trials.size() >= 2);
  for (const TuningTrial &trial : tuned->trials) REQUIRE(tuned->seconds <= trial.seconds);
  options.level = TuneLevel::None;
  auto untuned = tuneSparseLayer(jit(), layer, isa, options);
  if (!untuned) FAIL(takeMessage(untuned.takeError()));
  REQUIRE(untuned->trials.size() == 1);
  REQUIRE(std::isnan(untuned->seconds));
}

/// A 96 x 80 product at 85% over 112 positions to tune: its input, double-precision result and
/// the tilings fast tuning offers it at the host's widest level.
struct ProductToTune {
  Tensor weights;
  SparseLayer layer;
  std::vector<float> b;
  std::vector<double> expected;
  TargetIsa isa = hostIsas().back();
  std::vector<SpmmTiling> offered;

  explicit ProductToTune(unsigned seed) {
    std::mt19937 random(seed);
    weights = randomWeights({96, 80}, 0.85, random);
    layer = planMatrixProduct(SparseTensor::fromDense(weights), 112);
    b = randomVector(80 * 112, random);
    expected = referenceProduct(weights, b, 112);
    offered = candidateTilings(layer, vectorWidthOf(isa, layer), TuneLevel::Fast);
  }
};

TEST_CASE("the tuner times only the tilings it is told to, of those it offers", "[sparse]") {
  ProductToTune product(17);
  const SparseLayer &layer = product.layer;
  const TargetIsa &isa = product.isa;
  const std::vector<SpmmTiling> &offered = product.offered;
  REQUIRE(offered.size() >= 3);
  SpmmTiling unknown;
  unknown.schedule = SpmmTiling::Schedule::Loop;
  unknown.rowTile = 16;
  unknown.vectors = 11;
  unknown.kBlock = 77;
  REQUIRE(std::find(offered.begin(), offered.end(), unknown) == offered.end());
  TuneOptions options;
  options.secondsPerCandidate = 0.001;
  // Two of the offered ones and one it does not offer: those two, in the offered order.
  options.onlyTilings = {offered[2], unknown, offered[0]};
  auto tuned = tuneSparseLayer(jit(), layer, isa, options);
  if (!tuned) FAIL(takeMessage(tuned.takeError()));
  CHECK(tuned->narrowed);
  REQUIRE(tuned->trials.size() == 2);
  CHECK(tuned->trials[0].tiling == offered[0]);
  CHECK(tuned->trials[1].tiling == offered[2]);
  CHECK((tuned->tiling == offered[0] || tuned->tiling == offered[2]));
  std::vector<float> output(size_t(layer.outputFloats()), NAN);
  tuned->loaded.run(product.b.data(), nullptr, output.data(), 1);
  requireClose(output, product.expected, 80);
  // None of them offered: every candidate is timed.
  options.onlyTilings = {unknown};
  tuned = tuneSparseLayer(jit(), layer, isa, options);
  if (!tuned) FAIL(takeMessage(tuned.takeError()));
  CHECK_FALSE(tuned->narrowed);
  CHECK(tuned->trials.size() == offered.size());
}

TEST_CASE("candidates compiled side by side are the tilings offered, each computing the product",
          "[sparse]") {
  ProductToTune product(16);
  const SparseLayer &layer = product.layer;
  const TargetIsa &isa = product.isa;
  const std::vector<SpmmTiling> &offered = product.offered;
  REQUIRE(offered.size() >= 3);
  for (unsigned threads : {1u, 4u}) {
    INFO("compile threads " << threads);
    TuneOptions options;
    options.secondsPerCandidate = 0.001;
    options.compileThreads = threads;
    auto tuned = tuneSparseLayer(jit(), layer, isa, options);
    if (!tuned) FAIL(takeMessage(tuned.takeError()));
    REQUIRE(tuned->trials.size() == offered.size());
    for (size_t i = 0; i < offered.size(); ++i) REQUIRE(tuned->trials[i].tiling == offered[i]);
    // The code kept is the reported tiling's: its size is that tiling's compiled alone.
    auto alone = LoadedSparseLayer::compile(jit(), layer, tuned->tiling, isa);
    if (!alone) FAIL(takeMessage(alone.takeError()));
    REQUIRE(tuned->loaded.getStats().codeBytes == alone->getStats().codeBytes);
    std::vector<float> output(size_t(layer.outputFloats()), NAN);
    tuned->loaded.run(product.b.data(), nullptr, output.data(), 2);
    requireClose(output, product.expected, 80);
  }
}
