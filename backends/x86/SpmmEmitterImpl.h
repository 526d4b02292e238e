//===- SpmmEmitterImpl.h - The sparse product emitter's class -------------===//
//
// Shared by the files that implement the emitter's schedules (SpmmEmitter.cpp: straight-line
// tiles and nonzero loops; DenseTileEmitter.cpp: dense register tiles; RowDotEmitter.cpp: row
// dot products for one position). Not for other users:
// they call emitSparseTask (SpmmEmitter.h).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_X86_SPMMEMITTERIMPL_H
#define SPCC_BACKENDS_X86_SPMMEMITTERIMPL_H

#include "backends/x86/SpmmEmitter.h"

#include "llvm/IR/IRBuilder.h"

#include <cstddef>
#include <map>
#include <utility>
#include <vector>

namespace spcc::x86::detail {

/// Field indices of spcc_sparse_task_args, which the task reads as an LLVM struct of eight-byte
/// fields (taskArgsType).
enum TaskArg {
  ArgB,
  ArgC,
  ArgResidual,
  ArgNBegin,
  ArgNEnd,
  ArgTileBegin,
  ArgTileEnd,
  ArgScratch,
  ArgOut,
  NumTaskArgs
};
static_assert(sizeof(void *) == 8 && sizeof(spcc_sparse_task_args) == NumTaskArgs * 8,
              "spcc_sparse_task_args: eight-byte fields only");
static_assert(offsetof(spcc_sparse_task_args, b) == ArgB * 8 &&
                  offsetof(spcc_sparse_task_args, c) == ArgC * 8 &&
                  offsetof(spcc_sparse_task_args, residual) == ArgResidual * 8 &&
                  offsetof(spcc_sparse_task_args, n_begin) == ArgNBegin * 8 &&
                  offsetof(spcc_sparse_task_args, n_end) == ArgNEnd * 8 &&
                  offsetof(spcc_sparse_task_args, tile_begin) == ArgTileBegin * 8 &&
                  offsetof(spcc_sparse_task_args, tile_end) == ArgTileEnd * 8 &&
                  offsetof(spcc_sparse_task_args, scratch) == ArgScratch * 8 &&
                  offsetof(spcc_sparse_task_args, out) == ArgOut * 8,
              "TaskArg mirrors spcc_sparse_task_args field by field");

class SpmmEmitter {
public:
  SpmmEmitter(llvm::Module &module, const SparseKernelSpec &spec, const SpmmTiling &tiling,
              int vectorWidth)
      : module(module), spec(spec), tiling(tiling), width(vectorWidth),
        context(module.getContext()), builder(context), f32(builder.getFloatTy()),
        i32(builder.getInt32Ty()), i64(builder.getInt64Ty()),
        ptr(llvm::PointerType::getUnqual(context)),
        vecTy(llvm::FixedVectorType::get(f32, unsigned(vectorWidth))) {}

  EmittedSparseTask emit(llvm::StringRef name, bool exported);

private:
  int64_t nStep() const { return int64_t(tiling.vectors) * width; }
  int64_t rows() const { return spec.weights.getRows(); }
  /// Whether steps are masked: only when n is narrower than one step.
  bool masked() const { return spec.n < nStep(); }
  bool compacts() const { return spec.compacted.planeWidth > 0; }
  /// Whether positions are output positions read from wider plane rows (OutputRowPositions).
  bool readsOutputRows() const { return spec.outputRows.width > 0; }
  /// Whether \p vectors vectors from a step's position lie in one plane row (always, unless
  /// the layer reads output rows: then when they are within a step and steps stay in rows).
  bool vectorsInOneRow(int vectors) const {
    return !readsOutputRows() ||
           (vectors <= tiling.vectors && spec.outputRows.width % nStep() == 0);
  }

  /// Lanes of vector \p v of the step at \p n that lie before \p limit.
  llvm::Value *laneMask(llvm::Value *n, llvm::Value *limit, int v);
  /// Where the step the loop is at (\p n) reads and writes: n itself, or for unmasked
  /// steps never past \p limit (the last one overlaps the one before).
  llvm::Value *stepPosition(llvm::Value *n, llvm::Value *limit);
  /// The masks of a step at \p n (null: unmasked).
  std::vector<llvm::Value *> stepMasks(llvm::Value *n, llvm::Value *limit);
  llvm::Value *splat(float value) {
    return llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(unsigned(width)),
                                          llvm::ConstantFP::get(f32, value));
  }
  /// &base[index + offset] as a float pointer.
  llvm::Value *at(llvm::Value *base, llvm::Value *index, int64_t offset) {
    llvm::Value *p = builder.CreateInBoundsGEP(f32, base, index);
    return offset ? builder.CreateConstInBoundsGEP1_64(f32, p, uint64_t(offset)) : p;
  }
  /// Where vector \p v of the step at \p position reads its rows of B, from their offsets:
  /// position + v * width, moved into its plane row where the layer reads output rows.
  llvm::Value *positionOfB(llvm::Value *position, int v);
  /// Where a vector reads a row of B: at the row's offset + position + shift.
  struct VectorOfB {
    llvm::Value *position;
    int64_t shift;
  };
  /// Where each of \p vectors vectors from a step's \p position (the step's own, or a packed
  /// block's) reads B, computed once before the loops that read it: vectors in one plane row
  /// share the step's position (shift v * width), others are each moved into their own.
  std::vector<VectorOfB> vectorsOfB(llvm::Value *position, int vectors);
  /// &base[rowOfB + where.position + where.shift]: a vector of the row of B \p rowOfB (an offset
  /// from \p base).
  llvm::Value *vectorOfB(llvm::Value *base, llvm::Value *rowOfB, const VectorOfB &where) {
    return at(base, builder.CreateAdd(rowOfB, where.position), where.shift);
  }
  /// Whether the straight-line tiles read a convolution's taps as lane shifts of aligned
  /// vectors (TapWindows).
  bool readsAlignedTaps() const { return (compacts() || readsOutputRows()) && width == 16; }
  /// The vectors of B a step's taps read, each from the aligned vectors around it: a tap at
  /// offset o is lanes o % 16 .. o % 16 + 15 of the two vectors at o - o % 16 and 16 floats on
  /// (VALIGND), and the taps of one plane row (offsets o, o + 1, o + 2, ...) share those loads.
  /// A 512-bit load one float off a cache line reads two lines: on AMD Zen 4 one such load
  /// per two FMAs ran at 70% of the FMA peak, an aligned one at 89%. Steps start at multiples
  /// of 16 positions (n, its blocks and its steps are whole vectors), so the windows are
  /// aligned where the planes are; elsewhere they are right and slower.
  class TapWindows {
  public:
    TapWindows(SpmmEmitter &e, llvm::Value *base, llvm::Value *position)
        : e(e), base(base), position(position) {}
    llvm::Value *tap(int64_t offset) {
      const int64_t shift = offset % e.width, first = offset - shift;
      // Only the current plane row's windows stay live.
      if (!windows.count(first) && !windows.count(first + e.width) &&
          !windows.count(first - e.width))
        windows.clear();
      llvm::Value *low = window(first);
      if (shift == 0) return e.builder.CreateBitCast(low, e.vecTy);
      llvm::Value *high = window(first + e.width);
      llvm::SmallVector<int, 16> lanes;
      for (int64_t lane = 0; lane < e.width; ++lane) lanes.push_back(int(shift + lane));
      return e.builder.CreateBitCast(e.builder.CreateShuffleVector(low, high, lanes), e.vecTy);
    }

  private:
    /// The aligned vector at \p offset, as 32-bit integers: the backend moves integer lanes
    /// with VALIGND, float lanes with a two-source permute that needs its index reloaded.
    llvm::Value *window(int64_t offset) {
      auto [it, inserted] = windows.try_emplace(offset, nullptr);
      if (inserted) {
        auto *intVector = llvm::FixedVectorType::get(e.builder.getInt32Ty(), unsigned(e.width));
        it->second =
            e.builder.CreateAlignedLoad(intVector, e.at(base, position, offset), llvm::Align(4));
      }
      return it->second;
    }
    SpmmEmitter &e;
    llvm::Value *base, *position;
    std::map<int64_t, llvm::Value *> windows;
  };
  llvm::Value *load(llvm::Value *address, llvm::Value *mask) {
    if (!mask) return builder.CreateAlignedLoad(vecTy, address, llvm::Align(4));
    return builder.CreateMaskedLoad(vecTy, address, llvm::Align(4), mask,
                                    llvm::Constant::getNullValue(vecTy));
  }
  void store(llvm::Value *value, llvm::Value *address, llvm::Value *mask) {
    if (mask)
      builder.CreateMaskedStore(value, address, llvm::Align(4), mask);
    else
      builder.CreateAlignedStore(value, address, llvm::Align(4));
  }
  llvm::Value *fma(llvm::Value *a, llvm::Value *b, llvm::Value *acc) {
    return builder.CreateIntrinsic(llvm::Intrinsic::fma, {vecTy}, {a, b, acc});
  }
  /// acc + value * bv, with +-1 folded into an add or subtract; other values are read from
  /// \p valueTable at \p valueIndex.
  llvm::Value *accumulate(llvm::Value *acc, float value, llvm::Value *bv,
                          llvm::GlobalVariable *valueTable, int64_t valueIndex) {
    if (value == 1.0f) return builder.CreateFAdd(acc, bv);
    if (value == -1.0f) return builder.CreateFSub(acc, bv);
    llvm::Value *scalar = builder.CreateLoad(
        f32, builder.CreateConstInBoundsGEP1_64(f32, valueTable, uint64_t(valueIndex)));
    return fma(builder.CreateVectorSplat(unsigned(width), scalar), bv, acc);
  }
  /// \p acc (bias already in it) with the residual at \p index (elements from C's start), vector
  /// \p v, added and the activation applied.
  llvm::Value *finish(llvm::Value *acc, llvm::Value *index, int v, llvm::Value *mask);
  /// Applies the residual and activation to \p acc (bias already in it) and stores it to row
  /// \p rowOffset (elements from C, a Value) at step \p n, vector \p v.
  void finishAndStore(llvm::Value *acc, llvm::Value *rowOffset, llvm::Value *n, int v,
                      llvm::Value *mask);
  /// Stores the step's \p values at \p index, except lanes before \p n when the step was moved
  /// back to \p position < n (they belong to the step before); then branches to \p next.
  void storeNewLanes(const std::vector<llvm::Value *> &values, llvm::Value *index, llvm::Value *n,
                     llvm::Value *position, const std::vector<llvm::Value *> &masks,
                     llvm::BasicBlock *next);
  /// Creates compactionTable and compactedStores on first use.
  void emitCompactionTables();
  /// Stores the finished \p value, vector \p v of the step at \p position in row \p row, to the
  /// compacted output: its output lanes packed together. (A step moved back stores the lanes
  /// it shares with the step before again, with the same values.)
  void storeCompacted(llvm::Value *value, llvm::Value *row, llvm::Value *position, int v);

  /// Emits the per-block body; returns the block the body ends in (falls through to \p next).
  void emitUnrolledTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next);
  void emitLoopTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next);
  void emitDenseTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next);
  void emitRowDotTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next);

  /// The constant tables a compact loop reads (emitLoopTables).
  struct LoopTables {
    /// Row groups per reduction block (the rows, without groups).
    int64_t groupsPerBlock = 0;
    /// The first entry of each (reduction block, row group) segment, and one past the last.
    llvm::GlobalVariable *segmentStart = nullptr;
    /// Each entry's rows of B and values, one per row of the group, side by side. The rows are
    /// offsets from B (i32), or, with \p bColumnType, columns (within the reduction block when
    /// packed) in that unsigned integer, which the loop scales by \p bRowStride.
    llvm::GlobalVariable *bOffsets = nullptr, *values = nullptr;
    llvm::IntegerType *bColumnType = nullptr;
    int64_t bRowStride = 0;
    /// Each row's bias (zeros without one).
    llvm::GlobalVariable *bias = nullptr;
    /// Each segment's rows, -1 past the last (only for groups of two rows or more).
    llvm::GlobalVariable *groupRows = nullptr;
  };
  /// What one step of a compact loop works on.
  struct LoopStep {
    llvm::Value *n, *row, *rowOffset;
    /// Where the step reads and writes (n, or moved back to end at the block's end), that
    /// position in C (rowOffset + position), and each vector's lane mask (null: all lanes).
    llvm::Value *position, *index;
    std::vector<llvm::Value *> masks;
    /// Where each vector reads B (vectorsOfB; empty when B is packed).
    std::vector<VectorOfB> bVectors;
  };
  /// The step at \p n of row \p row (a Value) reading and writing at \p position.
  LoopStep rowStep(llvm::Value *n, llvm::Value *row, llvm::Value *position,
                   std::vector<llvm::Value *> masks) {
    LoopStep step;
    step.n = n;
    step.row = row;
    step.rowOffset = builder.CreateMul(row, builder.getInt64(uint64_t(spec.ldc)));
    step.position = position;
    step.masks = std::move(masks);
    step.index = builder.CreateAdd(step.rowOffset, position);
    return step;
  }
  /// Each row of B's offset from B, an i32 table (created on first use).
  llvm::GlobalVariable *bRowOffsetTable();
  /// The loop's tables for reduction blocks of \p kBlock columns and row groups of \p group.
  LoopTables emitLoopTables(int64_t kBlock, int64_t kBlocks, bool packed, int group = 1);
  /// With reduction blocks: each stream's \p initial becomes its bias in the first block and
  /// its partial sums reloaded from C in the others; returns the block they are defined in.
  llvm::BasicBlock *emitInitialAccumulators(const std::vector<LoopStep> &steps,
                                            const std::vector<llvm::Value *> &biasSplats,
                                            llvm::Value *firstBlock,
                                            std::vector<std::vector<llvm::Value *>> &initial);
  /// The loop over entries [first, last) of a group's segment in blocks \p loop and \p body,
  /// one accumulator set per stream (row of the group, from \p initial), leaving to \p done;
  /// returns the accumulators (live in \p done).
  std::vector<std::vector<llvm::Value *>>
  emitNonzeroLoop(const LoopStep &step, const LoopTables &tables, llvm::Value *bBase, bool packed,
                  llvm::Value *first, llvm::Value *last,
                  const std::vector<std::vector<llvm::Value *>> &initial,
                  llvm::BasicBlock *initialBlock, llvm::BasicBlock *loop, llvm::BasicBlock *body,
                  llvm::BasicBlock *done);
  /// Stores the step's sums: finished in the last reduction block, partial before it; then
  /// branches to \p next.
  void emitStepStores(const LoopStep &step, const std::vector<llvm::Value *> &acc, int64_t kBlocks,
                      llvm::Value *lastBlock, llvm::BasicBlock *next);
  /// Entry \p entry's row of B (its offset from B, or from the packed block) from a loop's
  /// tables, as i64.
  llvm::Value *loadRowOfB(const LoopTables &tables, llvm::Value *entry);
  /// Element \p index of an i32 table, as an i64.
  llvm::Value *loadIndex(llvm::GlobalVariable *tableVar, llvm::Value *index) {
    return builder.CreateSExt(
        builder.CreateLoad(i32, builder.CreateInBoundsGEP(i32, tableVar, index)), i64);
  }
  /// Copies columns [firstColumn, endColumn) of B, masks.size() vectors from \p position each
  /// (lanes outside masks[v] as zeros), into the task's scratch, column c at
  /// (c - firstColumn) * rowFloats.
  void emitCopyOfB(llvm::Value *firstColumn, llvm::Value *endColumn, llvm::Value *position,
                   int64_t rowFloats, const std::vector<llvm::Value *> &masks);
  /// Copies the step at \p position of B's rows in reduction block \p kb into the task's
  /// scratch (row c of the block at c * nStep()), lanes outside \p masks as zeros; returns the
  /// scratch.
  llvm::Value *emitPackedBlockOfB(llvm::Value *kb, int64_t kBlock, llvm::Value *position,
                                  const std::vector<llvm::Value *> &masks);
  /// Copies positions [first, end) of every row of B into the task's scratch, row c at
  /// c * rowFloats (end - first <= rowFloats, a multiple of the vector), lanes past end as
  /// zeros.
  void emitPackedPositionsOfB(llvm::Value *first, llvm::Value *end, int64_t rowFloats);
  /// The first row of the task's tiles and one past its last (at most the row count), for
  /// schedules that take a tile's rows one at a time.
  std::pair<llvm::Value *, llvm::Value *> threadRows();
  /// Work before each row tile: its nonzeros plus one per row (the stores).
  std::vector<int64_t> tileWorkPrefix() const;
  llvm::GlobalVariable *table(const llvm::Twine &name, llvm::Constant *init);

  llvm::Module &module;
  const SparseKernelSpec &spec;
  const SpmmTiling &tiling;
  int width;
  llvm::LLVMContext &context;
  llvm::IRBuilder<> builder;
  llvm::Type *f32, *i32, *i64;
  llvm::PointerType *ptr;
  llvm::FixedVectorType *vecTy;

  /// The rows of A in the order tiles take them (tile t: entries [t * rowTile, ...)).
  std::vector<int64_t> rowOrder;
  llvm::Function *function = nullptr;
  llvm::Value *argB = nullptr, *argC = nullptr, *argResidual = nullptr, *argOut = nullptr;
  llvm::Value *tileBegin = nullptr, *tileEnd = nullptr;
  /// Packed blocks of B: the scratch they go to and its size; each row of B's offset
  /// (bRowOffsetTable).
  llvm::Value *argScratch = nullptr;
  int64_t scratchFloats = 0;
  llvm::GlobalVariable *columnOffsetTable = nullptr;
  /// Compacted output: for each column x of a plane row, the lanes of a vector starting there
  /// that are outputs, in order (created on first use).
  llvm::GlobalVariable *compactionTable = nullptr;
  /// Compacted output: per vector of positions (index q / width), three i32: the output its
  /// first output lane goes to, how many of its lanes are outputs, and where its lanes'
  /// permutation starts in compactionTable.
  llvm::GlobalVariable *compactedStores = nullptr;
};

} // namespace spcc::x86::detail

#endif
