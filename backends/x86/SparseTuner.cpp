//===- SparseTuner.cpp - Choosing a sparse layer's tiling ----------------===//
#include "backends/x86/SparseTuner.h"

#include "backends/common/sparse/RowGroups.h"
#include "backends/common/sparse/RowOrder.h"
#include "backends/x86/ColdRunTimer.h"
#include "backends/x86/SpmmEmitter.h"
#include "compiler/support/ParallelFor.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>

namespace spcc::x86 {
namespace {

/// Candidates timed within this factor of the fastest are timed again (tuneSparseLayer).
constexpr double kContenderMargin = 1.10;
/// Of those, at most this many (the fastest) are.
constexpr size_t kMaxContenders = 3;

/// Bytes of B one block may span to stay in the L2 cache next to C.
constexpr double kBlockBytes = 256 * 1024;

/// Nonzeros and distinct columns of rows [r0, r1) of A.
struct TileCounts {
  int64_t nonzeros = 0, columns = 0;
};

/// Of the rows order[i0, i1).
TileCounts countTile(const SparseTensor &a, const std::vector<int64_t> &order, int64_t i0,
                     int64_t i1, std::vector<int64_t> &seen, int64_t stamp) {
  TileCounts counts;
  for (int64_t index = i0; index < i1; ++index) {
    int64_t r = order[size_t(index)];
    for (int64_t i = a.getRowStart()[size_t(r)]; i < a.getRowStart()[size_t(r) + 1]; ++i) {
      ++counts.nonzeros;
      int64_t &mark = seen[size_t(a.getColIndex()[size_t(i)])];
      if (mark != stamp) mark = stamp, ++counts.columns;
    }
  }
  return counts;
}

/// The block of positions that keeps the B rows of a block in cache (0: no blocking needed).
int64_t blockFor(const SparseLayer &layer, int64_t step) {
  double rowBytes = 4.0 * double(std::max<int64_t>(1, layer.spec.weights.getCols()));
  int64_t block = int64_t(kBlockBytes / rowBytes) / step * step;
  block = std::max(block, step);
  return block >= layer.spec.n ? 0 : block;
}

/// The fraction of \p a's entries that are nonzero.
double weightDensity(const SparseTensor &a) {
  double cells =
      double(std::max<int64_t>(1, a.getRows())) * double(std::max<int64_t>(1, a.getCols()));
  return double(a.getNumNonZeros()) / cells;
}

/// Dense register tiles are offered from this fraction of nonzero weights on.
constexpr double kDenseTileDensity = 0.5;

/// Bytes of a reduction block's rows of B that stay in L1 (Zen 4 has 32 KiB; measured best
/// with packed blocks of 32 KiB at 70% sparsity).
constexpr double kL1BlockBytes = 32 * 1024;

/// Columns per reduction block for the loop with steps of \p step positions (empty: one
/// step's rows of B fit in L1 as they are).
/// A block should hold ~16-32 nonzeros of an average row: fewer, and storing and reloading
/// the row's partial sums per block dominates; more, and the block's rows of B leave L1.
/// Measured on Zen 4 (1024 x 1024 x 512, 8 vectors, packed): 32-64 columns at 70% sparsity,
/// 64-128 at 90%, 256 at 95% (4 vectors).
std::vector<int64_t> reductionBlocksFor(const SparseLayer &layer, int64_t step) {
  const SparseTensor &a = layer.spec.weights;
  int64_t columns = a.getCols();
  if (4.0 * double(columns) * double(step) <= kL1BlockBytes) return {};
  double density = std::max(weightDensity(a), 1e-3);
  int64_t block = int64_t(llvm::bit_floor(uint64_t(std::max(16.0, 16.0 / density))));
  std::vector<int64_t> blocks;
  for (int64_t b : {block, 2 * block})
    if (b < columns) blocks.push_back(b);
  return blocks;
}

/// Bytes of B one step of \p step positions reads: the distinct cache lines of all columns'
/// rows of B at an aligned position (a convolution's taps of one channel share most lines).
double stepBytesOfB(const SparseLayer &layer, int64_t step) {
  std::vector<int64_t> lines;
  for (int64_t offset : layer.spec.bRowOffsets)
    for (int64_t p = 0; p < step; p += 16) {
      lines.push_back((offset + p) >> 4);
      lines.push_back((offset + p + 15) >> 4);
    }
  std::sort(lines.begin(), lines.end());
  return 64.0 * double(std::unique(lines.begin(), lines.end()) - lines.begin());
}

/// Bytes of one step's B that straight-line tiles keep in L1 (of 32 KiB, next to the partial
/// sums and the value stream).
constexpr double kL1StepBytes = 16 * 1024;

/// Columns per reduction block for straight-line tiles of \p step positions (empty: one step's
/// B fits in L1). Each block's B is read by every tile of the task while in L1: without blocks
/// each tile reads the step's B from L2 (3x3 convolution 256 -> 128 channels at 28x28, 95%
/// sparse: 0.49-0.60 ms, 0.41-0.42 ms in blocks of 32 channels, on Zen 4).
std::vector<int64_t> unrolledReductionBlocksFor(const SparseLayer &layer, int64_t step) {
  double bytes = stepBytesOfB(layer, step);
  int64_t columns = layer.spec.weights.getCols();
  if (bytes <= 2 * kL1StepBytes || columns < 2) return {};
  std::vector<int64_t> blocks;
  for (double target : {kL1StepBytes, kL1StepBytes / 2}) {
    int64_t count = int64_t(std::ceil(bytes / target));
    int64_t block = (columns + count - 1) / count;
    if (block < columns && (blocks.empty() || blocks.back() != block)) blocks.push_back(block);
  }
  return blocks;
}

/// Whether \p layer reads B as a matrix whose rows are so many cache lines apart that the same
/// positions of all its rows do not fit the L2 sets they fall into (1 MiB, 8 ways of 2048 sets
/// on Zen 4; 16 of 1024 on Zen 5, the same for these strides): a product of 512 positions
/// (rows 32 lines apart, 512 of them held) by more than 512 columns, or of 2048 positions by
/// more than 128. Straight-line tiles then read B from L3 unless its blocks are packed.
bool rowsOfBConflict(const SparseLayer &layer) {
  std::optional<int64_t> stride = layer.spec.rowStrideOfB();
  if (!stride || *stride <= 0 || *stride * 4 % 64 != 0) return false;
  constexpr int64_t kL2Sets = 2048, kL2Ways = 8;
  int64_t heldRows = kL2Ways * kL2Sets / std::gcd(*stride * 4 / 64, kL2Sets);
  return int64_t(layer.spec.bRowOffsets.size()) > heldRows;
}

} // namespace

double estimateCycles(const SparseLayer &layer, const SpmmTiling &tiling, int vectorWidth) {
  // Zen 4 / Skylake-like core: one 512-bit (two 256-bit) FMA and one 512-bit load per cycle.
  const double fmaCost = vectorWidth >= 16 ? 1.0 : 0.5;
  const double loadCost = vectorWidth >= 16 ? 1.0 : 0.5;
  const SparseTensor &a = layer.spec.weights;
  int64_t step = int64_t(tiling.vectors) * vectorWidth;
  double steps = std::ceil(double(layer.spec.n) / double(step));
  // Lanes computed past n in the last step are wasted work.
  double v = tiling.vectors;
  if (tiling.schedule == SpmmTiling::Schedule::Dense) {
    // Per column of a tile: a table load, v loads of B and rowTile weights, rowTile * v FMAs
    // (zeros too); then the tile's stores.
    double tileRows = tiling.rowTile;
    double tiles = std::ceil(double(a.getRows()) / tileRows);
    double perColumn = std::max(tileRows * v * fmaCost, (v + tileRows + 1) * loadCost);
    return steps * tiles * (double(a.getCols()) * perColumn + tileRows * v * 1.5 + 12);
  }
  if (tiling.schedule == SpmmTiling::Schedule::RowDot) {
    // Per nonzero and position: its offset, value and B loads (scalars, two a cycle); per row
    // the sums' combination, the epilogue and the store.
    double perPosition = double(a.getNumNonZeros()) * 1.5 + double(a.getRows()) * 20;
    return double(layer.spec.n) * perPosition;
  }
  std::vector<int64_t> seen(size_t(a.getCols()), -1);
  bool unrolled = tiling.schedule == SpmmTiling::Schedule::Unrolled;
  std::vector<int64_t> order =
      unrolled && tiling.permuteRows ? tileRowOrder(a, tiling.rowTile) : identityRowOrder(a);
  // A loop's slices of B stay in L1 when its reduction block's rows fit there, contiguous
  // (packed, or one step is a whole row) rather than a power-of-two stride apart.
  // A loop reading B in place where its rows do not start on a vector boundary splits nearly
  // every vector load across two cache lines, costing two (measured on n = 49 layers: packed
  // aligned rows ran 1.7x faster).
  double l2Cycles = 0, bLoadCost = loadCost;
  double tiles = std::ceil(double(a.getRows()) / double(tiling.rowTile));
  double kBlocks = tiling.kBlock > 0 ? std::ceil(double(a.getCols()) / double(tiling.kBlock)) : 1.0;
  if (unrolled) {
    // A convolution's taps read each plane row at kernel_w shifts: a step outgrowing L1 reads
    // those lines from L2 for every tile (~1.3 cycles a load on Zen 4); in reduction blocks
    // only the first tile of a block does. (Products read whole lines of B once per row and
    // step: measured no slower when a step's B outgrows L1, 256 x 256 x 512 at 95%.)
    bool shiftedRows = layer.params.kernel_h * layer.params.kernel_w > 1;
    if (shiftedRows && stepBytesOfB(layer, step) / kBlocks > 2 * kL1StepBytes)
      l2Cycles = 1.3 * double(vectorWidth) / 16.0;
    if (kBlocks > 1) l2Cycles /= tiles;
  } else {
    double blockColumns =
        double(tiling.kBlock > 0 ? std::min(tiling.kBlock, a.getCols()) : a.getCols());
    bool packed = packsB(tiling, layer.spec.n, step);
    bool contiguous = packed || layer.spec.n <= step;
    if (!contiguous || 4.0 * blockColumns * double(step) > kL1BlockBytes)
      l2Cycles = 0.75 * v * double(vectorWidth) / 16.0;
    bool aligned = std::all_of(layer.spec.bRowOffsets.begin(), layer.spec.bRowOffsets.end(),
                               [&](int64_t offset) { return offset % vectorWidth == 0; });
    if (!packed && !aligned) bLoadCost = 2 * loadCost;
  }
  double perStep = 0;
  const bool grouped = !unrolled && tiling.rowGroup > 1;
  if (grouped) {
    // Each entry of a group: its rows' nonzeros (or padding) side by side.
    const double g = double(tiling.rowGroup);
    int64_t kBlock = tiling.kBlock > 0 ? tiling.kBlock : std::max<int64_t>(1, a.getCols());
    RowGroupLayout layout = groupRows(a, int(tiling.rowTile), int(tiling.rowGroup), kBlock);
    double entries =
        double(std::accumulate(layout.lengths.begin(), layout.lengths.end(), int64_t(0)));
    double segments = double(layout.lengths.size());
    double perEntry =
        std::max({g * v * fmaCost, g * (v * bLoadCost + 1.5 * loadCost), 4.0}) + g * l2Cycles;
    double groups = double(layout.groupsPerBlock);
    perStep =
        entries * perEntry + groups * (g * v * 1.5 + 12) + (segments - groups) * (g * v * 2 + 12);
  }
  for (int64_t r0 = 0; !grouped && r0 < a.getRows(); r0 += tiling.rowTile) {
    int64_t r1 = std::min(a.getRows(), r0 + tiling.rowTile);
    if (unrolled) {
      TileCounts t = countTile(a, order, r0, r1, seen, r0);
      double fmas = double(t.nonzeros) * v * fmaCost;
      double loads = (double(t.columns) * v + double(t.nonzeros) * 0.5) * loadCost;
      // Each reduction block after the first reloads the tile's partial sums; each before the
      // last stores them.
      double partials = (kBlocks - 1) * (double(r1 - r0) * v * 2 + 12);
      perStep += std::max(fmas, loads) + double(t.columns) * v * l2Cycles +
                 double(r1 - r0) * v * 1.5 + 12 + partials;
    } else {
      // A reduction block reloads and stores each row's partial sums.
      double segments =
          tiling.kBlock > 0 ? std::ceil(double(a.getCols()) / double(tiling.kBlock)) : 1.0;
      for (int64_t r = r0; r < r1; ++r) {
        double nonzeros = double(a.getRowStart()[size_t(r) + 1] - a.getRowStart()[size_t(r)]);
        // Per nonzero: v loads of B, a broadcast and two table loads; FMA latency (4 cycles)
        // bounds a chain of v accumulators. Slices of B outside L1 come from L2 at ~0.75 cycles
        // per cache line (measured: packed blocks in L1 run ~1.5x faster than blocks in L2).
        double perNonzero = std::max({v * fmaCost, v * bLoadCost + 1.5 * loadCost, 4.0}) + l2Cycles;
        perStep += nonzeros * perNonzero + v * 1.5 + 12 + (segments - 1) * (v * 2 + 12);
      }
    }
  }
  double cycles = perStep * steps;
  if (unrolled && tiling.packB) {
    // Each position block first copies its rows of B: a load and a store per vector.
    // (Packed straight-line tiles always have position blocks.)
    double blocks = std::ceil(double(layer.spec.n) / double(tiling.nBlock));
    cycles += double(a.getCols()) * double(tiling.nBlock) / double(vectorWidth) * 2 * blocks;
  } else if (unrolled && rowsOfBConflict(layer)) {
    // Measured on Zen 4, one thread, in blocks of ~256 KiB of B: 256 x 256 x 2048 at 90%
    // 0.82 ms in place, 0.34 ms packed; 3072 x 768 x 512 at 95% 4.5 against 2.0 ms.
    cycles *= 2.0;
  }
  // Without blocking, B rows spill out of L2 when many positions are live.
  double bColumns = double(tiling.kBlock > 0 ? std::min(tiling.kBlock, a.getCols()) : a.getCols());
  double bBytes = 4.0 * bColumns * double(tiling.nBlock > 0 ? tiling.nBlock : layer.spec.n);
  if (bBytes > 4 * kBlockBytes) cycles *= 1.3;
  // Straight-line code beyond the L2 cache is fetched from memory on every block.
  if (tiling.schedule == SpmmTiling::Schedule::Unrolled) {
    double codeBytes = double(a.getNumNonZeros()) * v * 7;
    if (codeBytes > 512 * 1024) cycles *= 1.0 + std::min(1.0, codeBytes / (8.0 * 1024 * 1024));
  }
  return cycles;
}

UnrolledLayerSize unrolledLayerSize(const SparseTensor &weights) {
  return {weights.getNumNonZeros(), weightDensity(weights)};
}

int64_t defaultUnrolledBudget(TuneLevel level) { return level == TuneLevel::Full ? 400000 : 16384; }

std::vector<int64_t> unrolledBudgets(const std::vector<UnrolledLayerSize> &layers,
                                     TuneLevel level) {
  std::vector<int64_t> budgets(layers.size(), defaultUnrolledBudget(level));
  std::vector<size_t> smallestFirst(layers.size());
  std::iota(smallestFirst.begin(), smallestFirst.end(), 0);
  std::sort(smallestFirst.begin(), smallestFirst.end(), [&](size_t x, size_t y) {
    return layers[x].nonzeros < layers[y].nonzeros ||
           (layers[x].nonzeros == layers[y].nonzeros && x < y);
  });
  int64_t granted = 0;
  for (size_t i : smallestFirst) {
    int64_t limit =
        layers[i].density >= kReusedDensity ? kModelUnrolledNonzerosReused : kModelUnrolledNonzeros;
    if (granted + layers[i].nonzeros > limit) continue;
    granted += layers[i].nonzeros;
    budgets[i] = std::max(budgets[i], layers[i].nonzeros);
  }
  return budgets;
}

namespace {

/// Positions a loop computes for \p n positions in steps of \p vectors vectors (a block's last
/// step moved back to end at n, or masked where n is narrower than a step).
int64_t computedPositions(int64_t n, int vectors, int vectorWidth) {
  return int64_t(llvm::alignTo(uint64_t(n), uint64_t(vectors) * uint64_t(vectorWidth)));
}

/// Adds to \p loopVectors the steps that cover \p n in up to six steps with fewer computed
/// positions than every step of four vectors or more already there. At AVX2's 8 lanes the
/// steps of 4 and 8 vectors compute 256 positions for a 14x14 layer's 196 and 64 for a 7x7
/// layer's 49; 9 vectors compute 216, 5 vectors 200, 7 vectors 56. (ResNet-50's 1x1 layers at
/// 14x14, 80%, one thread on Zen 3, fastest of four interleaved rounds: 256 -> 1024 channels
/// 0.48 ms in steps of 8 vectors, 0.41 in steps of 9; 1024 -> 256 0.46 ms in steps of 4, two
/// rows in lockstep, 0.41 in steps of 5.)
void addTighterSteps(std::set<int> &loopVectors, int64_t n, int vectorWidth) {
  const int most = std::min(16, accumulatorRegisters(vectorWidth) - 4);
  const uint64_t vectorsOfN = llvm::divideCeil(uint64_t(n), uint64_t(vectorWidth));
  int64_t fewest = std::numeric_limits<int64_t>::max();
  for (int vectors : loopVectors)
    if (vectors >= 4) fewest = std::min(fewest, computedPositions(n, vectors, vectorWidth));
  for (uint64_t steps = 1; steps <= 6; ++steps) {
    int vectors = int(llvm::divideCeil(vectorsOfN, steps));
    int64_t computed = computedPositions(n, vectors, vectorWidth);
    if (vectors < 3 || vectors > most || computed >= fewest) continue;
    loopVectors.insert(vectors);
    if (vectors >= 4) fewest = computed;
  }
}

} // namespace

std::vector<SpmmTiling> offeredTilings(const SparseLayer &layer, int vectorWidth,
                                       int64_t unrolledBudget) {
  const int registers = accumulatorRegisters(vectorWidth) - 2;
  // Straight-line code costs compile time (LLVM spends ~60-100 us per FMA of a large layer) and
  // instruction-cache misses: past this many FMAs per step only the compact loop is tried.
  // Measured on Zen 4 at 95% sparsity, N = 128: the loop is within 12% of the best unrolled
  // tiling at 768 x 768 (30k nonzeros) and faster at 768 x 3072 and at N = 512, where
  // straight-line code is streamed from L2 once per block; BERT-base's 4M nonzeros unrolled
  // took 245 s of code generation.
  std::vector<SpmmTiling> all;
  for (int vectors : {1, 2, 3, 4}) {
    if (layer.spec.weights.getNumNonZeros() * vectors > unrolledBudget) continue;
    int64_t step = int64_t(vectors) * vectorWidth;
    // More vectors than positions only computes masked lanes.
    if (vectors > 1 && step - vectorWidth >= layer.spec.n) continue;
    std::set<int64_t> blocks = {0, blockFor(layer, step)};
    std::vector<int64_t> kBlocks = unrolledReductionBlocksFor(layer, step);
    // Position blocks of B packed where its rows conflict in the caches: products only (a
    // convolution's taps would copy each plane row kernel_w times).
    bool packable = rowsOfBConflict(layer) && blockFor(layer, step) > 0;
    // 28 rows of one vector leave AVX-512 two registers, for B and a weight (3x3 convolutions
    // 128 -> 128 at 90-95%: 2-4% faster than 24 rows on Zen 4).
    for (int rows : {1, 2, 4, 6, 8, 12, 16, 24, 28}) {
      if (rows * vectors + vectors > registers) continue;
      SpmmTiling t;
      t.schedule = SpmmTiling::Schedule::Unrolled;
      t.rowTile = rows;
      t.vectors = vectors;
      for (int64_t block : blocks) {
        t.nBlock = block;
        all.push_back(t);
      }
      if (packable) {
        t.nBlock = blockFor(layer, step);
        t.packB = true;
        all.push_back(t);
        t.packB = false;
      }
      // Reduction blocks: one step per position block, its partial sums in the scratch.
      // (Tiles of fewer rows than 8 would store and reload more than they compute.)
      for (int64_t kBlock : rows >= 8 ? kBlocks : std::vector<int64_t>{}) {
        t.nBlock = step < layer.spec.n ? step : 0;
        t.kBlock = kBlock;
        all.push_back(t);
      }
    }
  }
  // Also one step spanning all of n where that takes 9-16 vectors: n = 196 (14x14) in steps
  // of 8 vectors computes 256 positions, in one of 13 vectors 208 (512x512 at 90%, packed:
  // 0.170 against 0.185 ms).
  std::set<int> loopVectors = {2, 4, 8};
  int64_t spanning = (layer.spec.n + vectorWidth - 1) / vectorWidth;
  if (spanning > 8 && spanning <= std::min(16, accumulatorRegisters(vectorWidth) - 4)) {
    loopVectors.insert(int(spanning));
    // And two steps spanning n: their blocks of B are half the size (n = 224, ResNet-50's
    // 256 x 2304 3x3 layers at 80%, one thread: 0.61-0.67 ms in steps of 14 vectors,
    // 0.58-0.61 in two of 7).
    loopVectors.insert(int((spanning + 1) / 2));
  }
  addTighterSteps(loopVectors, layer.spec.n, vectorWidth);
  // A convolution's taps: rows of B not one stride apart (see the split loops below).
  const bool taps = !layer.spec.rowStrideOfB();
  for (int vectors : loopVectors) {
    int64_t step = int64_t(vectors) * vectorWidth;
    if (vectors > 2 && step / 2 >= layer.spec.n) continue;
    std::set<int64_t> blocks = {0, blockFor(layer, step)};
    SpmmTiling t;
    t.schedule = SpmmTiling::Schedule::Loop;
    t.rowTile = 16;
    t.vectors = vectors;
    for (int64_t block : blocks) {
      t.nBlock = block;
      all.push_back(t);
    }
    // Split-K: one step per block, so one reduction block's rows of B stay in cache; rows of B
    // a stride apart are packed into one buffer, or they conflict in the cache's sets.
    // (Split loops of two vectors are not offered: on 1024 x 1024 x 512 they ran 1.3x slower
    // than four at 90% sparsity.)
    for (int64_t kBlock : vectors > 2 ? reductionBlocksFor(layer, step) : std::vector<int64_t>{}) {
      t.nBlock = step < layer.spec.n ? step : 0;
      t.kBlock = kBlock;
      // Rows of B lie a stride apart when a step is not a whole row: packed where the block
      // fits the scratch limit. One step spanning all of n could read B in place, but rows n
      // floats apart start anywhere in a cache line (n = 49: three of four vectors straddle
      // two lines): offered both ways, and measured. So are a convolution's taps (rows of B
      // not one stride apart): read in place, a block's rows share their channels' plane lines,
      // where the packed copy holds every tap apart (3x3, 128 channels at 28x28, 95%, one
      // thread on Zen 3: 0.31 ms in place against 0.37 ms packed, blocks of 256 columns).
      t.packB = true;
      bool packable = packsB(t, layer.spec.n, step);
      if (layer.spec.n <= step || !packable || taps) {
        t.packB = false;
        all.push_back(t);
      }
      if (packable) {
        t.packB = true;
        all.push_back(t);
      }
    }
  }
  // Loops of three to seven vectors keep too few accumulators to hide the FMA latency (4
  // cycles on both ports): their reduction-blocked forms are also offered walking two and four
  // rows in lockstep. (1x1 convolutions of ResNet-50's last stage, 2048 x 512 x 49 at 80%:
  // 0.353 -> 0.293 ms on one thread; no gain for 8 vectors, which are bound by their loads.)
  for (size_t i = 0, count = all.size(); i < count; ++i) {
    SpmmTiling t = all[i];
    if (t.schedule != SpmmTiling::Schedule::Loop || t.kBlock == 0 || t.vectors < 3 ||
        t.vectors >= 8)
      continue;
    for (int group : {2, 4})
      if (group * (t.vectors + 1) <= registers && t.rowTile % group == 0) {
        t.rowGroup = group;
        all.push_back(t);
      }
  }
  // Register tiles over every column where most weights are nonzero (an unpruned stem): one
  // load of B per vector serves all rows of the tile, the weights come from a table.
  if (weightDensity(layer.spec.weights) >= kDenseTileDensity)
    for (int vectors : {2, 3, 4}) {
      if ((vectors - 1) * vectorWidth >= layer.spec.n) continue;
      for (int rows : {12, 8, 6, 4})
        if (rows * vectors + vectors + 1 <= accumulatorRegisters(vectorWidth)) {
          SpmmTiling t;
          t.schedule = SpmmTiling::Schedule::Dense;
          t.rowTile = rows;
          t.vectors = vectors;
          all.push_back(t);
          break;
        }
    }
  // One position: row dot products. (A convolution's compacted output is stored by the vector
  // schedules only.)
  if (layer.spec.n == 1 && layer.spec.compacted.planeWidth == 0) {
    SpmmTiling t;
    t.schedule = SpmmTiling::Schedule::RowDot;
    t.rowTile = 16;
    t.vectors = 1;
    all.push_back(t);
  }
  return all;
}

bool isOfferedTiling(const SparseLayer &layer, int vectorWidth, int64_t unrolledBudget,
                     const SpmmTiling &tiling) {
  SpmmTiling stored = tiling;
  // Row permutation is offered for unrolled tiles of two rows or more (where it pays off).
  if (stored.permuteRows) {
    if (stored.schedule != SpmmTiling::Schedule::Unrolled || stored.rowTile < 2) return false;
    stored.permuteRows = false;
  }
  std::vector<SpmmTiling> offered = offeredTilings(layer, vectorWidth, unrolledBudget);
  return std::find(offered.begin(), offered.end(), stored) != offered.end();
}

namespace {

/// \p chosen plus, for each unrolled tiling in it, its twin in tile-greedy row order where that
/// loads fewer B slices (measured against it, except without tuning, where the twin replaces
/// it).
void addPermutedTwins(const SparseLayer &layer, TuneLevel level, std::vector<SpmmTiling> &chosen) {
  size_t unpermuted = chosen.size();
  for (size_t i = 0; i < unpermuted; ++i) {
    SpmmTiling permuted = chosen[i];
    if (permuted.schedule != SpmmTiling::Schedule::Unrolled || permuted.rowTile < 2) continue;
    permuted.permuteRows = true;
    const SparseTensor &a = layer.spec.weights;
    int64_t loads = tileColumnLoads(a, identityRowOrder(a), permuted.rowTile);
    if (tileColumnLoads(a, tileRowOrder(a, permuted.rowTile), permuted.rowTile) >= loads) continue;
    if (level == TuneLevel::None)
      chosen[i] = permuted;
    else
      chosen.push_back(permuted);
  }
}

} // namespace

std::vector<SpmmTiling> candidateTilings(const SparseLayer &layer, int vectorWidth, TuneLevel level,
                                         int64_t unrolledBudget) {
  if (unrolledBudget <= 0) unrolledBudget = defaultUnrolledBudget(level);
  std::vector<SpmmTiling> all = offeredTilings(layer, vectorWidth, unrolledBudget);
  std::vector<std::pair<double, SpmmTiling>> ranked;
  for (const SpmmTiling &t : all) ranked.push_back({estimateCycles(layer, t, vectorWidth), t});
  // Ties are broken by name, so the choice is deterministic.
  std::sort(ranked.begin(), ranked.end(), [&](const auto &x, const auto &y) {
    return x.first < y.first || (x.first == y.first && x.second.describe() < y.second.describe());
  });
  std::vector<SpmmTiling> chosen;
  // Layers granted straight-line code beyond the default are the costly ones to compile for
  // each trial: fast tuning measures fewer of their tilings.
  size_t fastKeep = unrolledBudget > defaultUnrolledBudget(level) ? 1 : 4;
  size_t keep = level == TuneLevel::None ? 1 : level == TuneLevel::Fast ? fastKeep : ranked.size();
  for (const auto &[cycles, t] : ranked) {
    if (chosen.size() < keep) chosen.push_back(t);
  }
  addPermutedTwins(layer, level, chosen);
  // Fast tuning always measures the best compact loop without reduction blocks, every one
  // with them and every dense tile: the cost model is least sure where code size and cache
  // misses matter, and loops compile in milliseconds.
  if (level == TuneLevel::Fast) {
    auto measured = [&](const SpmmTiling &t) {
      return std::any_of(chosen.begin(), chosen.end(), [&](const SpmmTiling &c) { return c == t; });
    };
    bool wholeLoop = false;
    for (const auto &[cycles, t] : ranked) {
      if (t.schedule == SpmmTiling::Schedule::Dense && !measured(t)) chosen.push_back(t);
      if (t.schedule != SpmmTiling::Schedule::Loop || measured(t)) continue;
      if (t.kBlock > 0 || !wholeLoop) chosen.push_back(t);
      wholeLoop = wholeLoop || t.kBlock == 0;
    }
  }
  return chosen;
}

SparseLayerTimer::SparseLayerTimer(const SparseLayer &layer)
    : input(size_t(layer.inputFloats())), output(size_t(layer.outputFloats())) {
  if (layer.spec.epilogue.residual) residual.resize(size_t(layer.params.m * layer.spec.ldc));
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float &x : input) x = uniform(random);
  for (float &x : residual) x = uniform(random);
}

double SparseLayerTimer::time(LoadedSparseLayer &loaded, int threads, double minSeconds,
                              CacheState caches) {
  return timeRuns(
      [&] {
        loaded.run(input.data(), residual.empty() ? nullptr : residual.data(), output.data(),
                   threads);
      },
      minSeconds, threads,
      {{input.data(), input.size() * sizeof(float)},
       {residual.data(), residual.size() * sizeof(float)}},
      caches);
}

llvm::Expected<TunedLayer> tuneSparseLayer(KernelJit &jit, const SparseLayer &layer,
                                           const TargetIsa &isa, const TuneOptions &options,
                                           SparseLayerTimer &timer) {
  std::vector<SpmmTiling> candidates =
      candidateTilings(layer, vectorWidthOf(isa, layer), options.level, options.unrolledBudget);
  // Without measurements the cost model's first choice is the one kept.
  if (options.level == TuneLevel::None) candidates.resize(std::min<size_t>(candidates.size(), 1));
  bool narrowed = false;
  if (!options.onlyTilings.empty()) {
    std::vector<SpmmTiling> kept;
    for (const SpmmTiling &t : candidates)
      if (std::find(options.onlyTilings.begin(), options.onlyTilings.end(), t) !=
          options.onlyTilings.end())
        kept.push_back(t);
    narrowed = !kept.empty();
    if (narrowed) candidates = std::move(kept);
  }
  struct Candidate {
    SpmmTiling tiling;
    std::optional<LoadedSparseLayer> loaded;
    std::vector<double> seconds;
  };
  std::vector<Candidate> timed;
  for (const SpmmTiling &tiling : candidates) timed.push_back({tiling, std::nullopt, {}});
  // Code generation is most of a straight-line candidate's tuning time: every candidate is
  // compiled side by side before any is timed, so the timings still run alone.
  if (llvm::Error err =
          parallelFor(timed.size(), options.compileThreads, [&](size_t i, unsigned) -> llvm::Error {
            auto loaded = LoadedSparseLayer::compile(jit, layer, timed[i].tiling, isa);
            if (!loaded) return loaded.takeError();
            timed[i].loaded = std::move(*loaded);
            return llvm::Error::success();
          }))
    return std::move(err);
  auto time = [&](Candidate &c) {
    c.seconds.push_back(
        timer.time(*c.loaded, options.threads, options.secondsPerCandidate, options.caches));
  };
  double fastest = std::numeric_limits<double>::infinity();
  if (options.level != TuneLevel::None)
    for (Candidate &c : timed) {
      time(c);
      fastest = std::min(fastest, c.seconds[0]);
    }
  // One timing of ~20 ms on a shared machine is off by 5-10% now and then, enough to pick the
  // slower of two close tilings (MobileNet's five 512 x 512 x 196 layers chose two different
  // ones): the fastest few candidates within 10% of the fastest are timed twice more,
  // interleaved, and ranked by the fastest of their three timings (each a median of runs: the
  // host's noise only adds time). So the tiling kept is never slower than any trial reported,
  // those dropped after one timing included. (Not more of them: BERT's layers have many loops
  // within 10%, and re-timing them all doubled its compile time.)
  std::vector<Candidate *> contenders;
  for (Candidate &c : timed)
    if (!c.seconds.empty() && c.seconds[0] <= fastest * kContenderMargin) contenders.push_back(&c);
  std::sort(contenders.begin(), contenders.end(),
            [](const Candidate *x, const Candidate *y) { return x->seconds[0] < y->seconds[0]; });
  if (contenders.size() > kMaxContenders) contenders.resize(kMaxContenders);
  if (contenders.size() > 1) {
    for (Candidate &c : timed)
      if (std::find(contenders.begin(), contenders.end(), &c) == contenders.end()) c.loaded.reset();
    for (int round = 0; round < 2; ++round)
      for (Candidate *c : contenders) time(*c);
  }
  auto score = [](const Candidate &c) {
    return c.seconds.empty() ? std::nan("") : *std::min_element(c.seconds.begin(), c.seconds.end());
  };
  Candidate *best = nullptr;
  std::vector<TuningTrial> trials;
  for (Candidate &c : timed) {
    trials.push_back({c.tiling, score(c)});
    if (c.loaded && (!best || score(c) < score(*best))) best = &c;
  }
  return TunedLayer{best->tiling, std::move(*best->loaded), score(*best), std::move(trials),
                    narrowed};
}

llvm::Expected<TunedLayer> tuneSparseLayer(KernelJit &jit, const SparseLayer &layer,
                                           const TargetIsa &isa, const TuneOptions &options) {
  SparseLayerTimer timer(layer);
  return tuneSparseLayer(jit, layer, isa, options, timer);
}

} // namespace spcc::x86
