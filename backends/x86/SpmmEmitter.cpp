//===- SpmmEmitter.cpp - LLVM IR of a pattern-specialized sparse product -===//
//
// The task walks positions in blocks of tiling.nBlock; within a block every row
// tile in the task's range runs its steps of `vectors` SIMD vectors. When n
// holds at least one step, a block's last step is moved back to end at the
// block's end: it recomputes a few positions instead of masking, because masked
// loads cost large tiles ~40% on Zen 4. (Every task range then holds at least
// one step; see runSparseTask.) Only layers narrower than a step use masks.
//
// Unrolled tiles are straight-line code: per nonzero column of the tile one
// load of the B slice per vector, per nonzero one FMA (an add or subtract for
// +-1) whose value is a broadcast from a table at a constant offset, laid out in
// the order the code runs, so the only data read besides B is one float per
// nonzero, streamed. Rows without nonzeros only store their epilogue. In
// reduction blocks, every tile runs a block's columns before any tile runs the
// next block's, so the block's rows of B are read from L1 by all tiles but the
// first; the tiles' partial sums wait in the thread's scratch.
//
// Dense register tiles (every weight, zeros included) are DenseTileEmitter.cpp's, row dot
// products for one position RowDotEmitter.cpp's.
//
// A convolution's positions include the plane columns past each output row; its
// finished vectors are packed (a permute chosen by the column the vector starts
// at) and stored straight to the dense output, so no pass copies them later.
//
//===----------------------------------------------------------------------===//
#include "backends/x86/SpmmEmitterImpl.h"

#include "backends/common/ActivationIr.h"
#include "backends/common/sparse/RowGroups.h"
#include "backends/common/sparse/RowOrder.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <map>
#include <tuple>

namespace spcc::x86::detail {

llvm::Value *SpmmEmitter::laneMask(llvm::Value *n, llvm::Value *limit, int v) {
  // remaining = limit - n - v * width, compared lane-wise against 0, 1, ..., width - 1.
  llvm::Value *remaining =
      builder.CreateSub(limit, builder.CreateAdd(n, builder.getInt64(v * width)));
  remaining = builder.CreateTrunc(
      builder.CreateSelect(builder.CreateICmpSGT(remaining, builder.getInt64(width)),
                           builder.getInt64(width), remaining),
      i32);
  std::vector<llvm::Constant *> lanes;
  for (int i = 0; i < width; ++i) lanes.push_back(builder.getInt32(uint32_t(i)));
  return builder.CreateICmpSGT(builder.CreateVectorSplat(unsigned(width), remaining),
                               llvm::ConstantVector::get(lanes));
}

llvm::Value *SpmmEmitter::stepPosition(llvm::Value *n, llvm::Value *limit) {
  if (masked()) return n;
  llvm::Value *lastStart = builder.CreateSub(limit, builder.getInt64(uint64_t(nStep())));
  return builder.CreateSelect(builder.CreateICmpSGT(n, lastStart), lastStart, n, "at");
}

llvm::Value *SpmmEmitter::positionOfB(llvm::Value *position, int v) {
  llvm::Value *p =
      v == 0 ? position : builder.CreateAdd(position, builder.getInt64(uint64_t(v * width)));
  if (!readsOutputRows()) return p;
  const OutputRowPositions &rows = spec.outputRows;
  llvm::Value *y = builder.CreateUDiv(p, builder.getInt64(uint64_t(rows.width)));
  return builder.CreateAdd(
      p, builder.CreateMul(y, builder.getInt64(uint64_t(rows.planeWidth - rows.width))));
}

std::vector<SpmmEmitter::VectorOfB> SpmmEmitter::vectorsOfB(llvm::Value *position, int vectors) {
  const bool apart = !vectorsInOneRow(vectors);
  llvm::Value *shared = apart ? nullptr : positionOfB(position, 0);
  std::vector<VectorOfB> where;
  for (int v = 0; v < vectors; ++v)
    where.push_back(apart ? VectorOfB{positionOfB(position, v), 0}
                          : VectorOfB{shared, int64_t(v) * width});
  return where;
}

std::vector<llvm::Value *> SpmmEmitter::stepMasks(llvm::Value *n, llvm::Value *limit) {
  std::vector<llvm::Value *> masks(size_t(tiling.vectors), nullptr);
  if (masked())
    for (int v = 0; v < tiling.vectors; ++v) masks[size_t(v)] = laneMask(n, limit, v);
  return masks;
}

llvm::Value *SpmmEmitter::finish(llvm::Value *acc, llvm::Value *index, int v, llvm::Value *mask) {
  if (spec.epilogue.residual)
    acc = builder.CreateFAdd(acc, load(at(argResidual, index, int64_t(v) * width), mask));
  return emitFusedActivation(builder, acc, spec.epilogue.activation);
}

void SpmmEmitter::finishAndStore(llvm::Value *acc, llvm::Value *rowOffset, llvm::Value *n, int v,
                                 llvm::Value *mask) {
  llvm::Value *index = builder.CreateAdd(rowOffset, n);
  store(finish(acc, index, v, mask), at(argC, index, int64_t(v) * width), mask);
}

void SpmmEmitter::storeNewLanes(const std::vector<llvm::Value *> &values, llvm::Value *index,
                                llvm::Value *n, llvm::Value *position,
                                const std::vector<llvm::Value *> &masks, llvm::BasicBlock *next) {
  auto storeAll = [&] {
    for (size_t v = 0; v < values.size(); ++v)
      store(values[v], at(argC, index, int64_t(v) * width), masks[v]);
    builder.CreateBr(next);
  };
  if (masked()) return storeAll();
  auto *plain = llvm::BasicBlock::Create(context, "store", function);
  auto *blend = llvm::BasicBlock::Create(context, "store.new_lanes", function);
  builder.CreateCondBr(builder.CreateICmpEQ(position, n), plain, blend);
  builder.SetInsertPoint(plain);
  storeAll();
  builder.SetInsertPoint(blend);
  for (size_t v = 0; v < values.size(); ++v) {
    llvm::Value *address = at(argC, index, int64_t(v) * width);
    // Lanes before n belong to the step before.
    llvm::Value *old = laneMask(position, n, int(v));
    store(builder.CreateSelect(old, load(address, nullptr), values[v]), address, nullptr);
  }
  builder.CreateBr(next);
}

void SpmmEmitter::emitCompactionTables() {
  if (compactionTable) return;
  const CompactedOutput &c = spec.compacted;
  std::vector<int32_t> lanes;
  for (int64_t x = 0; x < c.planeWidth; ++x) {
    size_t begin = lanes.size();
    for (int i = 0; i < width; ++i)
      if ((x + i) % c.planeWidth < c.width) lanes.push_back(i);
    lanes.resize(begin + size_t(width), 0);
  }
  compactionTable = table("compaction", llvm::ConstantDataArray::get(context, lanes));
  // The output index of position p, or of the next output when p is not one.
  auto outputIndex = [&](int64_t p) {
    int64_t y = p / c.planeWidth, x = p % c.planeWidth;
    return std::min(y * c.width + std::min(x, c.width), c.outputs);
  };
  // Entry n / width (and every vector past it, which the loads clamp to it) stores nothing.
  std::vector<int32_t> entries;
  for (int64_t q = 0; q <= spec.n; q += width) {
    int64_t start = outputIndex(q), end = outputIndex(q + width);
    entries.push_back(int32_t(start));
    entries.push_back(int32_t(q < spec.n ? end - start : 0));
    entries.push_back(int32_t(q % c.planeWidth * width));
  }
  compactedStores = table("compacted.stores", llvm::ConstantDataArray::get(context, entries));
}

void SpmmEmitter::storeCompacted(llvm::Value *value, llvm::Value *row, llvm::Value *position,
                                 int v) {
  const CompactedOutput &c = spec.compacted;
  emitCompactionTables();
  // The vector's output lanes go to outputs [start, start + count) in order. Where the vector
  // starts and how many outputs it holds are read from a table by its index (positions are whole
  // vectors: task ranges and blocks are whole steps or end at n, a multiple of the widest):
  // three loads where the arithmetic took two divisions by the plane width per stored vector.
  llvm::Value *q = builder.CreateAdd(position, builder.getInt64(uint64_t(v * width)));
  llvm::Value *vector =
      builder.CreateLShr(q, builder.getInt64(uint64_t(llvm::Log2_32(unsigned(width)))));
  vector = builder.CreateBinaryIntrinsic(llvm::Intrinsic::umin, vector,
                                         builder.getInt64(uint64_t(spec.n / width)));
  auto field = [&](int f) {
    llvm::Value *at = builder.CreateAdd(builder.CreateMul(vector, builder.getInt64(3)),
                                        builder.getInt64(uint64_t(f)));
    return builder.CreateLoad(i32, builder.CreateInBoundsGEP(i32, compactedStores, at));
  };
  llvm::Value *start = builder.CreateZExt(field(0), i64);
  llvm::Value *count = field(1);
  llvm::Value *lanes = builder.CreateAlignedLoad(
      llvm::FixedVectorType::get(i32, unsigned(width)),
      builder.CreateInBoundsGEP(i32, compactionTable, builder.CreateZExt(field(2), i64)),
      llvm::Align(4));
  llvm::Value *packed = builder.CreateIntrinsic(
      width == 16 ? llvm::Intrinsic::x86_avx512_permvar_sf_512 : llvm::Intrinsic::x86_avx2_permps,
      {}, {value, lanes});
  std::vector<llvm::Constant *> laneIndex;
  for (int i = 0; i < width; ++i) laneIndex.push_back(builder.getInt32(uint32_t(i)));
  llvm::Value *mask = builder.CreateICmpSLT(llvm::ConstantVector::get(laneIndex),
                                            builder.CreateVectorSplat(unsigned(width), count));
  llvm::Value *index =
      builder.CreateAdd(builder.CreateMul(row, builder.getInt64(uint64_t(c.outputs))), start);
  llvm::Value *address = at(argOut, index, 0);
  if (width == 16) return store(packed, address, mask);
  // AVX2's masked store (VMASKMOVPS) is microcoded on AMD cores before Zen 4, many times a plain
  // store's cost: a vector whose lanes all go out (most of a row's) is stored plainly.
  auto *whole = llvm::BasicBlock::Create(context, "store.whole", function);
  auto *part = llvm::BasicBlock::Create(context, "store.part", function);
  auto *stored = llvm::BasicBlock::Create(context, "store.done", function);
  builder.CreateCondBr(builder.CreateICmpEQ(count, builder.getInt32(uint32_t(width))), whole, part);
  builder.SetInsertPoint(whole);
  store(packed, address, nullptr);
  builder.CreateBr(stored);
  builder.SetInsertPoint(part);
  store(packed, address, mask);
  builder.CreateBr(stored);
  builder.SetInsertPoint(stored);
}

std::pair<llvm::Value *, llvm::Value *> SpmmEmitter::threadRows() {
  llvm::Value *rowTile = builder.getInt64(uint64_t(tiling.rowTile));
  llvm::Value *rowBegin = builder.CreateMul(tileBegin, rowTile);
  llvm::Value *rowEnd = builder.CreateMul(tileEnd, rowTile);
  rowEnd = builder.CreateSelect(builder.CreateICmpSLT(rowEnd, builder.getInt64(uint64_t(rows()))),
                                rowEnd, builder.getInt64(uint64_t(rows())));
  return {rowBegin, rowEnd};
}

llvm::GlobalVariable *SpmmEmitter::table(const llvm::Twine &name, llvm::Constant *init) {
  auto *global = new llvm::GlobalVariable(module, init->getType(), true,
                                          llvm::GlobalValue::PrivateLinkage, init, name);
  global->setAlignment(llvm::Align(64));
  return global;
}

std::vector<int64_t> SpmmEmitter::tileWorkPrefix() const {
  llvm::ArrayRef<int64_t> rowStart = spec.weights.getRowStart();
  std::vector<int64_t> prefix(1, 0);
  for (int64_t i0 = 0; i0 < rows(); i0 += tiling.rowTile) {
    int64_t work = 0;
    for (int64_t i = i0; i < std::min(rows(), i0 + tiling.rowTile); ++i) {
      int64_t r = rowOrder[size_t(i)];
      work += rowStart[size_t(r) + 1] - rowStart[size_t(r)] + 1;
    }
    prefix.push_back(prefix.back() + work);
  }
  return prefix;
}

void SpmmEmitter::emitUnrolledTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next) {
  llvm::ArrayRef<int64_t> rowStart = spec.weights.getRowStart();
  llvm::ArrayRef<int32_t> colIndex = spec.weights.getColIndex();
  llvm::ArrayRef<float> values = spec.weights.getValues();
  const int64_t tileCount = (rows() + tiling.rowTile - 1) / tiling.rowTile;
  const int64_t columns = std::max<int64_t>(1, spec.weights.getCols());
  const int64_t kBlock = tiling.kBlock > 0 ? std::min(tiling.kBlock, columns) : columns;
  const int64_t kBlocks = (columns + kBlock - 1) / kBlock;
  // Reduction blocks keep one step's partial sums per row in the scratch: a block holds one step.
  assert((kBlocks == 1 || tiling.nBlock == nStep() || spec.n <= nStep()) &&
         "unrolled reduction blocks take one step per position block");
  if (kBlocks > 1) scratchFloats = rows() * nStep();
  // Packed: the position block of every row of B first copied into the scratch, rows one
  // block apart (rows of B a power-of-two stride apart share a few cache sets and evict each
  // other once a block outgrows L1).
  const bool packed = packsB(tiling, spec.n, nStep());
  const bool alignedTaps = !packed && readsAlignedTaps();
  assert((!packed || kBlocks == 1) && "unrolled tiles pack B without reduction blocks");
  const int64_t packedRow = packed ? tiling.nBlock / nStep() * nStep() : 0;
  llvm::Value *bBase = argB, *packedFirst = nullptr;
  if (packed) {
    // The block's first step reads the least position any of its steps reads.
    packedFirst = stepPosition(nb, nbEnd);
    emitPackedPositionsOfB(packedFirst, nbEnd, packedRow);
    scratchFloats = columns * packedRow;
    bBase = argScratch;
  }
  // Each (reduction block, tile) piece: its nonzero columns, each with its rows and values.
  using Piece = std::map<int32_t, std::vector<std::pair<int64_t, float>>>;
  std::vector<Piece> pieces(size_t(kBlocks * tileCount));
  for (int64_t t = 0; t < tileCount; ++t) {
    int64_t i0 = t * tiling.rowTile, i1 = std::min(rows(), i0 + tiling.rowTile);
    for (int64_t i = i0; i < i1; ++i) {
      int64_t r = rowOrder[size_t(i)];
      for (int64_t j = rowStart[size_t(r)]; j < rowStart[size_t(r) + 1]; ++j) {
        int32_t column = colIndex[size_t(j)];
        pieces[size_t(column / kBlock * tileCount + t)][column].push_back(
            {i - i0, values[size_t(j)]});
      }
    }
  }
  // The values other than +-1, in the order the code uses them: one stream read front to back.
  // (As per-instruction constants they would cost the backend a constant-pool search each.)
  std::vector<float> streamed;
  for (const Piece &piece : pieces)
    for (const auto &[column, entries] : piece)
      for (const auto &[row, value] : entries)
        if (value != 1.0f && value != -1.0f) streamed.push_back(value);
  if (streamed.empty()) streamed.push_back(0.0f);
  llvm::GlobalVariable *valueTable =
      table("values", llvm::ConstantDataArray::get(context, streamed));
  int64_t nextValue = 0;
  // Partial sums between reduction blocks: each row's step in the thread's scratch, rows side
  // by side. (In C, rows lie a stride apart that makes a tile's reloads alias the stores of the
  // tile before in the store buffer's 4 KiB address check.)
  auto partialOffset = [&](int64_t i, int v) { return i * nStep() + int64_t(v) * width; };
  // The scratch is 64-byte aligned; a row's step is a multiple of the vector.
  auto partialAlign = [&](int64_t i, int v) {
    return llvm::commonAlignment(llvm::Align(64), uint64_t(partialOffset(i, v)) * 4);
  };
  auto partial = [&](int64_t i, int v) {
    return builder.CreateConstInBoundsGEP1_64(f32, argScratch, uint64_t(partialOffset(i, v)));
  };
  // Every reduction block runs all the task's tiles before the next, so its rows of B stay in
  // L1 while every tile uses them.
  for (int64_t kb = 0; kb < kBlocks; ++kb) {
    const bool firstBlock = kb == 0, lastBlock = kb + 1 == kBlocks;
    for (int64_t t = 0; t < tileCount; ++t) {
      const Piece &piece = pieces[size_t(kb * tileCount + t)];
      // A middle reduction block without nonzeros in this tile leaves its partial sums be.
      if (piece.empty() && !firstBlock && !lastBlock) continue;
      int64_t i0 = t * tiling.rowTile, i1 = std::min(rows(), i0 + tiling.rowTile);
      std::string name = "tile" + std::to_string(t);
      if (kBlocks > 1) name += ".kb" + std::to_string(kb);
      llvm::BasicBlock *loop = llvm::BasicBlock::Create(context, name, function);
      llvm::BasicBlock *after =
          t + 1 < tileCount || !lastBlock
              ? llvm::BasicBlock::Create(context, "check" + llvm::Twine(t + 1), function)
              : next;
      llvm::Value *tile = builder.getInt64(uint64_t(t));
      llvm::BasicBlock *entry = builder.GetInsertBlock();
      builder.CreateCondBr(builder.CreateAnd(builder.CreateICmpSGE(tile, tileBegin),
                                             builder.CreateICmpSLT(tile, tileEnd)),
                           loop, after);

      builder.SetInsertPoint(loop);
      llvm::PHINode *n = builder.CreatePHI(i64, 2, "n");
      n->addIncoming(nb, entry);
      llvm::Value *position = stepPosition(n, nbEnd);
      std::vector<llvm::Value *> masks = stepMasks(n, nbEnd);
      // Accumulators start at the bias, or at the partial sums of the blocks before.
      std::vector<std::vector<llvm::Value *>> acc(size_t(i1 - i0));
      for (int64_t i = i0; i < i1; ++i) {
        int64_t r = rowOrder[size_t(i)];
        for (int v = 0; v < tiling.vectors; ++v)
          acc[size_t(i - i0)].push_back(
              firstBlock ? splat(spec.epilogue.bias.empty() ? 0.0f : spec.epilogue.bias[size_t(r)])
                         : builder.CreateAlignedLoad(vecTy, partial(i, v), partialAlign(i, v)));
      }
      // A packed block's vectors lie side by side from the step's place in it.
      std::vector<VectorOfB> bVectors;
      if (packed) {
        llvm::Value *inBlock = builder.CreateSub(position, packedFirst);
        for (int v = 0; v < tiling.vectors; ++v) bVectors.push_back({inBlock, int64_t(v) * width});
      } else {
        bVectors = vectorsOfB(position, tiling.vectors);
      }
      // Vectors from one position share their aligned windows.
      std::map<llvm::Value *, TapWindows> windows;
      for (const VectorOfB &where : bVectors)
        windows.try_emplace(where.position, *this, bBase, where.position);
      for (const auto &[column, entries] : piece) {
        int64_t offset = packed ? column * packedRow : spec.bRowOffsets[size_t(column)];
        for (int v = 0; v < tiling.vectors; ++v) {
          const VectorOfB &where = bVectors[size_t(v)];
          llvm::Value *bv =
              alignedTaps && !masks[size_t(v)]
                  ? windows.at(where.position).tap(offset + where.shift)
                  : load(at(bBase, where.position, offset + where.shift), masks[size_t(v)]);
          int64_t valueIndex = nextValue;
          for (const auto &[row, value] : entries) {
            acc[size_t(row)][size_t(v)] =
                accumulate(acc[size_t(row)][size_t(v)], value, bv, valueTable, valueIndex);
            valueIndex += value != 1.0f && value != -1.0f;
          }
        }
        for (const auto &[row, value] : entries) nextValue += value != 1.0f && value != -1.0f;
      }
      // Every lane is this step's own (a step moved back recomputes the lanes it shares with
      // the step before, from its own partial sums): finished sums are stored whole.
      for (int64_t i = i0; i < i1; ++i)
        for (int v = 0; v < tiling.vectors; ++v) {
          llvm::Value *value = acc[size_t(i - i0)][size_t(v)];
          int64_t row = rowOrder[size_t(i)];
          if (!lastBlock)
            builder.CreateAlignedStore(value, partial(i, v), partialAlign(i, v));
          else if (compacts())
            storeCompacted(finish(value, nullptr, v, nullptr), builder.getInt64(uint64_t(row)),
                           position, v);
          else
            finishAndStore(value, builder.getInt64(uint64_t(row * spec.ldc)), position, v,
                           masks[size_t(v)]);
        }
      llvm::Value *nNext = builder.CreateAdd(n, builder.getInt64(uint64_t(nStep())));
      n->addIncoming(nNext, builder.GetInsertBlock());
      builder.CreateCondBr(builder.CreateICmpSLT(nNext, nbEnd), loop, after);
      if (after != next) builder.SetInsertPoint(after);
    }
  }
  if (tileCount == 0) builder.CreateBr(next);
}

llvm::GlobalVariable *SpmmEmitter::bRowOffsetTable() {
  if (!columnOffsetTable) {
    std::vector<int32_t> offsets;
    for (int64_t offset : spec.bRowOffsets) offsets.push_back(int32_t(offset));
    if (offsets.empty()) offsets.push_back(0);
    columnOffsetTable = table("b_row_offsets", llvm::ConstantDataArray::get(context, offsets));
  }
  return columnOffsetTable;
}

void SpmmEmitter::emitCopyOfB(llvm::Value *firstColumn, llvm::Value *endColumn,
                              llvm::Value *position, int64_t rowFloats,
                              const std::vector<llvm::Value *> &masks) {
  llvm::GlobalVariable *columnOffsetTable = bRowOffsetTable();
  std::vector<VectorOfB> bVectors = vectorsOfB(position, int(masks.size()));
  llvm::BasicBlock *before = builder.GetInsertBlock();
  auto *loop = llvm::BasicBlock::Create(context, "pack", function);
  auto *done = llvm::BasicBlock::Create(context, "pack.done", function);
  builder.CreateBr(loop);

  builder.SetInsertPoint(loop);
  llvm::PHINode *column = builder.CreatePHI(i64, 2, "column");
  column->addIncoming(firstColumn, before);
  llvm::Value *rowOfB = loadIndex(columnOffsetTable, column);
  llvm::Value *target = builder.CreateMul(builder.CreateSub(column, firstColumn),
                                          builder.getInt64(uint64_t(rowFloats)));
  for (size_t v = 0; v < masks.size(); ++v)
    store(load(vectorOfB(argB, rowOfB, bVectors[v]), masks[v]),
          at(argScratch, target, int64_t(v) * width), nullptr);
  llvm::Value *nextColumn = builder.CreateAdd(column, builder.getInt64(1));
  column->addIncoming(nextColumn, loop);
  builder.CreateCondBr(builder.CreateICmpSLT(nextColumn, endColumn), loop, done);
  builder.SetInsertPoint(done);
}

llvm::Value *SpmmEmitter::emitPackedBlockOfB(llvm::Value *kb, int64_t kBlock, llvm::Value *position,
                                             const std::vector<llvm::Value *> &masks) {
  const int64_t columns = spec.weights.getCols();
  scratchFloats = kBlock * nStep();
  llvm::Value *first = builder.CreateMul(kb, builder.getInt64(uint64_t(kBlock)));
  llvm::Value *end = builder.CreateAdd(first, builder.getInt64(uint64_t(kBlock)));
  end = builder.CreateSelect(builder.CreateICmpSLT(end, builder.getInt64(uint64_t(columns))), end,
                             builder.getInt64(uint64_t(columns)));
  // A step wider than n copies n positions and zeros the rest: the loop then reads whole,
  // aligned vectors (a row of B n floats long starts anywhere in a cache line).
  emitCopyOfB(first, end, position, nStep(), masks);
  return argScratch;
}

void SpmmEmitter::emitPackedPositionsOfB(llvm::Value *first, llvm::Value *end, int64_t rowFloats) {
  std::vector<llvm::Value *> masks;
  for (int64_t v = 0; v < rowFloats / width; ++v) masks.push_back(laneMask(first, end, int(v)));
  emitCopyOfB(builder.getInt64(0), builder.getInt64(uint64_t(spec.weights.getCols())), first,
              rowFloats, masks);
}

llvm::Value *SpmmEmitter::loadRowOfB(const LoopTables &tables, llvm::Value *entry) {
  llvm::IntegerType *type = tables.bColumnType;
  if (!type) return loadIndex(tables.bOffsets, entry);
  llvm::Value *column = builder.CreateZExt(
      builder.CreateLoad(type, builder.CreateInBoundsGEP(type, tables.bOffsets, entry)), i64);
  return builder.CreateMul(column, builder.getInt64(uint64_t(tables.bRowStride)), "", true, true);
}

SpmmEmitter::LoopTables SpmmEmitter::emitLoopTables(int64_t kBlock, int64_t kBlocks, bool packed,
                                                    int group) {
  const SparseTensor &a = spec.weights;
  // Each nonzero's row of B by its column (within its reduction block when packed), where the
  // rows lie a constant distance apart (the packed block's rows; a product's B) and the
  // columns fit two bytes, else by its offset from B. The tables are most of a loop layer's
  // bytes and are read from memory on every run of a model: one or two bytes where four held
  // the offset.
  std::optional<int64_t> stride = packed ? std::optional<int64_t>(nStep()) : spec.rowStrideOfB();
  if (!packed && stride && spec.bRowOffsets.front() != 0) stride.reset();
  const int64_t indices = packed ? kBlock : a.getCols();
  const bool byColumn = stride && indices <= 65536;
  auto rowOfB = [&](int64_t column) {
    int64_t index = packed ? column % kBlock : column;
    return int32_t(byColumn ? index : packed ? index * nStep() : spec.bRowOffsets[size_t(index)]);
  };
  // Each row's nonzeros in each reduction block, as (row of B, value).
  std::vector<std::vector<std::pair<int32_t, float>>> entries(size_t(kBlocks * rows()));
  for (int64_t r = 0; r < rows(); ++r)
    for (int64_t j = a.getRowStart()[size_t(r)]; j < a.getRowStart()[size_t(r) + 1]; ++j) {
      int64_t column = a.getColIndex()[size_t(j)];
      entries[size_t(column / kBlock * rows() + r)].push_back(
          {rowOfB(column), a.getValues()[size_t(j)]});
    }
  RowGroupLayout layout = groupRows(a, int(tiling.rowTile), group, kBlock);
  std::vector<int32_t> segmentStart, offsets;
  std::vector<float> values;
  for (int64_t kb = 0; kb < kBlocks; ++kb)
    for (int64_t q = 0; q < layout.groupsPerBlock; ++q) {
      int64_t segment = kb * layout.groupsPerBlock + q;
      segmentStart.push_back(int32_t(offsets.size() / size_t(group)));
      for (int64_t e = 0; e < layout.lengths[size_t(segment)]; ++e)
        for (int i = 0; i < group; ++i) {
          int32_t row = layout.rows[size_t(segment * group + i)];
          const auto *stream = row >= 0 ? &entries[size_t(kb * rows() + row)] : nullptr;
          if (stream && e < int64_t(stream->size())) {
            offsets.push_back((*stream)[size_t(e)].first);
            values.push_back((*stream)[size_t(e)].second);
            continue;
          }
          // Padding: a zero weight on a row of B the block has (the stream's last one).
          offsets.push_back(stream && !stream->empty() ? stream->back().first
                                                       : rowOfB(kb * kBlock));
          values.push_back(0.0f);
        }
    }
  segmentStart.push_back(int32_t(offsets.size() / size_t(group)));
  std::vector<float> bias = spec.epilogue.bias;
  if (bias.empty()) bias.assign(size_t(rows()), 0.0f);
  if (offsets.empty()) offsets.push_back(0), values.push_back(0.0f);
  LoopTables tables;
  tables.groupsPerBlock = layout.groupsPerBlock;
  tables.segmentStart = table("segment_start", llvm::ConstantDataArray::get(context, segmentStart));
  if (byColumn) {
    const bool oneByte = indices <= 256;
    tables.bColumnType = oneByte ? builder.getInt8Ty() : builder.getInt16Ty();
    tables.bRowStride = *stride;
    auto narrowed = [&](auto element) {
      std::vector<decltype(element)> columns;
      for (int32_t column : offsets) {
        assert(column >= 0 && column < indices && "a column index lies in its block");
        columns.push_back(decltype(element)(column));
      }
      return llvm::ConstantDataArray::get(context, columns);
    };
    tables.bOffsets = table("b_columns", oneByte ? narrowed(uint8_t()) : narrowed(uint16_t()));
  } else {
    tables.bOffsets = table("b_offsets", llvm::ConstantDataArray::get(context, offsets));
  }
  tables.values = table("values", llvm::ConstantDataArray::get(context, values));
  tables.bias = table("bias", llvm::ConstantDataArray::get(context, bias));
  if (group > 1)
    tables.groupRows = table("group_rows", llvm::ConstantDataArray::get(context, layout.rows));
  return tables;
}

llvm::BasicBlock *SpmmEmitter::emitInitialAccumulators(
    const std::vector<LoopStep> &steps, const std::vector<llvm::Value *> &biasSplats,
    llvm::Value *firstBlock, std::vector<std::vector<llvm::Value *>> &initial) {
  llvm::BasicBlock *start = builder.GetInsertBlock();
  auto *reload = llvm::BasicBlock::Create(context, "partial.load", function);
  auto *join = llvm::BasicBlock::Create(context, "partial.join", function);
  builder.CreateCondBr(firstBlock, join, reload);
  builder.SetInsertPoint(reload);
  std::vector<std::vector<llvm::Value *>> partial(steps.size());
  for (size_t i = 0; i < steps.size(); ++i)
    for (int v = 0; v < tiling.vectors; ++v)
      partial[i].push_back(
          load(at(argC, steps[i].index, int64_t(v) * width), steps[i].masks[size_t(v)]));
  builder.CreateBr(join);
  builder.SetInsertPoint(join);
  initial.assign(steps.size(), {});
  for (size_t i = 0; i < steps.size(); ++i)
    for (int v = 0; v < tiling.vectors; ++v) {
      llvm::PHINode *phi = builder.CreatePHI(vecTy, 2, "acc.init");
      phi->addIncoming(biasSplats[i], start);
      phi->addIncoming(partial[i][size_t(v)], reload);
      initial[i].push_back(phi);
    }
  return join;
}

std::vector<std::vector<llvm::Value *>>
SpmmEmitter::emitNonzeroLoop(const LoopStep &step, const LoopTables &tables, llvm::Value *bBase,
                             bool packed, llvm::Value *first, llvm::Value *last,
                             const std::vector<std::vector<llvm::Value *>> &initial,
                             llvm::BasicBlock *initialBlock, llvm::BasicBlock *loop,
                             llvm::BasicBlock *body, llvm::BasicBlock *done) {
  const size_t streams = initial.size();
  builder.SetInsertPoint(loop);
  llvm::PHINode *j = builder.CreatePHI(i64, 2, "j");
  j->addIncoming(first, initialBlock);
  std::vector<std::vector<llvm::PHINode *>> acc(streams);
  for (size_t i = 0; i < streams; ++i)
    for (int v = 0; v < tiling.vectors; ++v) {
      acc[i].push_back(builder.CreatePHI(vecTy, 2, "acc"));
      acc[i].back()->addIncoming(initial[i][size_t(v)], initialBlock);
    }
  builder.CreateCondBr(builder.CreateICmpSLT(j, last), body, done);

  // Entry j holds each stream's nonzero (or padding) side by side.
  builder.SetInsertPoint(body);
  llvm::Value *entry = builder.CreateMul(j, builder.getInt64(uint64_t(streams)));
  for (size_t i = 0; i < streams; ++i) {
    llvm::Value *slot = builder.CreateAdd(entry, builder.getInt64(uint64_t(i)));
    llvm::Value *offset = loadRowOfB(tables, slot);
    llvm::Value *value = builder.CreateVectorSplat(
        unsigned(width),
        builder.CreateLoad(f32, builder.CreateInBoundsGEP(f32, tables.values, slot)));
    for (int v = 0; v < tiling.vectors; ++v) {
      llvm::Value *bv =
          packed ? load(at(bBase, offset, int64_t(v) * width), nullptr)
                 : load(vectorOfB(bBase, offset, step.bVectors[size_t(v)]), step.masks[size_t(v)]);
      acc[i][size_t(v)]->addIncoming(fma(value, bv, acc[i][size_t(v)]), body);
    }
  }
  j->addIncoming(builder.CreateAdd(j, builder.getInt64(1)), body);
  builder.CreateBr(loop);
  std::vector<std::vector<llvm::Value *>> sums(streams);
  for (size_t i = 0; i < streams; ++i) sums[i].assign(acc[i].begin(), acc[i].end());
  return sums;
}

void SpmmEmitter::emitStepStores(const LoopStep &step, const std::vector<llvm::Value *> &acc,
                                 int64_t kBlocks, llvm::Value *lastBlock, llvm::BasicBlock *next) {
  // The last reduction block finishes the sums (residual, activation); earlier ones store them.
  // A step moved back to end at the block's end overlaps positions that already hold this
  // reduction block's sums (or, across a position block, finished outputs): it stores only
  // its new lanes.
  if (kBlocks > 1) {
    auto *finishBlock = llvm::BasicBlock::Create(context, "finish", function);
    auto *partialStore = llvm::BasicBlock::Create(context, "partial.store", function);
    builder.CreateCondBr(lastBlock, finishBlock, partialStore);
    for (bool last : {false, true}) {
      builder.SetInsertPoint(last ? finishBlock : partialStore);
      std::vector<llvm::Value *> results;
      for (int v = 0; v < tiling.vectors; ++v)
        results.push_back(last ? finish(acc[size_t(v)], step.index, v, step.masks[size_t(v)])
                               : acc[size_t(v)]);
      if (last && compacts()) {
        for (int v = 0; v < tiling.vectors; ++v)
          storeCompacted(results[size_t(v)], step.row, step.position, v);
        builder.CreateBr(next);
      } else {
        storeNewLanes(results, step.index, step.n, step.position, step.masks, next);
      }
    }
    return;
  }
  for (int v = 0; v < tiling.vectors; ++v) {
    if (compacts())
      storeCompacted(finish(acc[size_t(v)], step.index, v, step.masks[size_t(v)]), step.row,
                     step.position, v);
    else
      finishAndStore(acc[size_t(v)], step.rowOffset, step.position, v, step.masks[size_t(v)]);
  }
  builder.CreateBr(next);
}

void SpmmEmitter::emitLoopTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next) {
  // Tables: the first entry of each (reduction block, row group) segment, each entry's B
  // offsets and values (one per row of the group), each group's rows, each row's bias.
  const int64_t columns = std::max<int64_t>(1, spec.weights.getCols());
  const int64_t kBlock = tiling.kBlock > 0 ? std::min(tiling.kBlock, columns) : columns;
  const int64_t kBlocks = (columns + kBlock - 1) / kBlock;
  const bool packed = packsB(tiling, spec.n, nStep());
  const int group = int(std::max<int64_t>(1, tiling.rowGroup));
  LoopTables tables = emitLoopTables(kBlock, kBlocks, packed, group);
  // Only the last tile's last group can run out of rows.
  const bool rowsMayRunOut = rows() % group != 0;

  // The task's groups: rowTile / group per tile.
  llvm::Value *groupBegin, *groupEnd;
  if (group == 1) {
    std::tie(groupBegin, groupEnd) = threadRows();
  } else {
    llvm::Value *perTile = builder.getInt64(uint64_t(tiling.rowTile / group));
    llvm::Value *groups = builder.getInt64(uint64_t(tables.groupsPerBlock));
    groupBegin = builder.CreateMul(tileBegin, perTile);
    groupEnd = builder.CreateMul(tileEnd, perTile);
    groupEnd = builder.CreateSelect(builder.CreateICmpSLT(groupEnd, groups), groupEnd, groups);
  }
  auto block = [&](const llvm::Twine &blockName) {
    return llvm::BasicBlock::Create(context, blockName, function);
  };
  auto *kbHeader = block("kb");
  auto *kbBody = block("kb.body");
  auto *rowHeader = block("row");
  auto *rowBody = block("row.body");
  auto *stepLoop = block("step");
  auto *nonzeroLoop = block("nonzero");
  auto *nonzeroBody = block("nonzero.body");
  auto *stepEnd = block("step.end");
  auto *stepLatch = block("step.latch");
  auto *rowLatch = block("row.latch");
  auto *kbLatch = block("kb.latch");
  llvm::BasicBlock *entry = builder.GetInsertBlock();
  builder.CreateBr(kbHeader);

  // For each reduction block (its rows of B packed first where the tiling says so) ...
  builder.SetInsertPoint(kbHeader);
  llvm::PHINode *kb = builder.CreatePHI(i64, 2, "kb");
  kb->addIncoming(builder.getInt64(0), entry);
  builder.CreateCondBr(builder.CreateICmpSLT(kb, builder.getInt64(uint64_t(kBlocks))), kbBody,
                       next);

  builder.SetInsertPoint(kbBody);
  llvm::Value *firstBlock = builder.CreateICmpEQ(kb, builder.getInt64(0), "first_block");
  llvm::Value *lastBlock =
      builder.CreateICmpEQ(kb, builder.getInt64(uint64_t(kBlocks - 1)), "last_block");
  llvm::Value *segmentBase =
      builder.CreateMul(kb, builder.getInt64(uint64_t(tables.groupsPerBlock)));
  llvm::Value *bBase = argB;
  if (packed) bBase = emitPackedBlockOfB(kb, kBlock, stepPosition(nb, nbEnd), stepMasks(nb, nbEnd));
  llvm::BasicBlock *rowsEntry = builder.GetInsertBlock();
  builder.CreateBr(rowHeader);

  // ... each row group of the thread's tiles ...
  builder.SetInsertPoint(rowHeader);
  llvm::PHINode *groupIndex = builder.CreatePHI(i64, 2, "group");
  groupIndex->addIncoming(groupBegin, rowsEntry);
  builder.CreateCondBr(builder.CreateICmpSLT(groupIndex, groupEnd), rowBody, kbLatch);

  builder.SetInsertPoint(rowBody);
  llvm::Value *segment = builder.CreateAdd(segmentBase, groupIndex);
  llvm::Value *first = loadIndex(tables.segmentStart, segment);
  llvm::Value *last =
      loadIndex(tables.segmentStart, builder.CreateAdd(segment, builder.getInt64(1)));
  // Each stream's row. A stream past the last row (never the first of its group) reads the
  // first stream's row, owned by this thread, and stores nothing.
  std::vector<llvm::Value *> rowOf, present, biasSplats;
  for (int i = 0; i < group; ++i) {
    llvm::Value *row = groupIndex;
    if (group > 1)
      row = loadIndex(tables.groupRows,
                      builder.CreateAdd(builder.CreateMul(segment, builder.getInt64(group)),
                                        builder.getInt64(uint64_t(i))));
    present.push_back(builder.CreateICmpSGE(row, builder.getInt64(0)));
    if (rowsMayRunOut && i > 0) row = builder.CreateSelect(present.back(), row, rowOf[0]);
    rowOf.push_back(row);
    biasSplats.push_back(builder.CreateVectorSplat(
        unsigned(width),
        builder.CreateLoad(f32, builder.CreateInBoundsGEP(f32, tables.bias, row))));
  }
  // A middle block without nonzeros in this group leaves its partial sums as they are.
  llvm::Value *skip = builder.CreateAnd(builder.CreateNot(builder.CreateOr(firstBlock, lastBlock)),
                                        builder.CreateICmpEQ(first, last));
  builder.CreateCondBr(skip, rowLatch, stepLoop);

  // ... and each step of the block's positions: accumulators start from the bias in the first
  // reduction block, else from C.
  builder.SetInsertPoint(stepLoop);
  llvm::PHINode *n = builder.CreatePHI(i64, 2, "n");
  n->addIncoming(nb, rowBody);
  llvm::Value *position = stepPosition(n, nbEnd);
  std::vector<llvm::Value *> masks = stepMasks(n, nbEnd);
  std::vector<VectorOfB> bVectors;
  if (!packed) bVectors = vectorsOfB(position, tiling.vectors);
  std::vector<LoopStep> steps;
  for (llvm::Value *row : rowOf) {
    steps.push_back(rowStep(n, row, position, masks));
    steps.back().bVectors = bVectors;
  }
  std::vector<std::vector<llvm::Value *>> initial;
  for (llvm::Value *bias : biasSplats) initial.emplace_back(size_t(tiling.vectors), bias);
  llvm::BasicBlock *initialBlock = stepLoop;
  if (kBlocks > 1) initialBlock = emitInitialAccumulators(steps, biasSplats, firstBlock, initial);
  builder.CreateBr(nonzeroLoop);

  std::vector<std::vector<llvm::Value *>> acc =
      emitNonzeroLoop(steps[0], tables, bBase, packed, first, last, initial, initialBlock,
                      nonzeroLoop, nonzeroBody, stepEnd);
  builder.SetInsertPoint(stepEnd);
  for (int i = 0; i < group; ++i) {
    llvm::BasicBlock *after = i + 1 < group ? block("store.row" + llvm::Twine(i + 1)) : stepLatch;
    if (i > 0 && rowsMayRunOut) {
      auto *stores = block("store.present");
      builder.CreateCondBr(present[size_t(i)], stores, after);
      builder.SetInsertPoint(stores);
    }
    emitStepStores(steps[size_t(i)], acc[size_t(i)], kBlocks, lastBlock, after);
    if (after != stepLatch) builder.SetInsertPoint(after);
  }

  builder.SetInsertPoint(stepLatch);
  llvm::Value *nNext = builder.CreateAdd(n, builder.getInt64(uint64_t(nStep())));
  n->addIncoming(nNext, stepLatch);
  builder.CreateCondBr(builder.CreateICmpSLT(nNext, nbEnd), stepLoop, rowLatch);

  builder.SetInsertPoint(rowLatch);
  groupIndex->addIncoming(builder.CreateAdd(groupIndex, builder.getInt64(1)), rowLatch);
  builder.CreateBr(rowHeader);

  builder.SetInsertPoint(kbLatch);
  kb->addIncoming(builder.CreateAdd(kb, builder.getInt64(1)), kbLatch);
  builder.CreateBr(kbHeader);
}

EmittedSparseTask SpmmEmitter::emit(llvm::StringRef name, bool exported) {
  assert(int64_t(spec.bRowOffsets.size()) == spec.weights.getCols());
  assert(spec.epilogue.bias.empty() || int64_t(spec.epilogue.bias.size()) == rows());
  assert(!(compacts() && spec.epilogue.residual) && "a compacted output takes no residual");
  auto *fnTy = llvm::FunctionType::get(builder.getVoidTy(), {ptr}, false);
  function = llvm::Function::Create(
      fnTy, exported ? llvm::GlobalValue::ExternalLinkage : llvm::GlobalValue::InternalLinkage,
      name, module);
  function->addFnAttr(llvm::Attribute::NoUnwind);
  function->setUWTableKind(llvm::UWTableKind::Async);
  llvm::Argument *args = function->getArg(0);
  args->setName("args");

  bool permuted = tiling.permuteRows && tiling.schedule == SpmmTiling::Schedule::Unrolled;
  rowOrder = permuted ? tileRowOrder(spec.weights, tiling.rowTile) : identityRowOrder(spec.weights);

  auto *entry = llvm::BasicBlock::Create(context, "entry", function);
  builder.SetInsertPoint(entry);
  auto *argsTy = llvm::StructType::get(context, {ptr, ptr, ptr, i64, i64, i64, i64, ptr, ptr});
  auto field = [&](TaskArg index, llvm::Type *type, const char *fieldName) {
    return builder.CreateLoad(type, builder.CreateStructGEP(argsTy, args, unsigned(index)),
                              fieldName);
  };
  argB = field(ArgB, ptr, "b");
  argC = field(ArgC, ptr, "c");
  argResidual = field(ArgResidual, ptr, "residual");
  llvm::Value *nBegin = field(ArgNBegin, i64, "n_begin");
  llvm::Value *nEnd = field(ArgNEnd, i64, "n_end");
  tileBegin = field(ArgTileBegin, i64, "tile_begin");
  tileEnd = field(ArgTileEnd, i64, "tile_end");
  argScratch = field(ArgScratch, ptr, "scratch");
  argOut = field(ArgOut, ptr, "out");

  // Blocks of positions: a multiple of the step.
  int64_t block = tiling.nBlock > 0 ? std::max<int64_t>(1, tiling.nBlock / nStep()) * nStep()
                                    : (int64_t(1) << 40);
  auto *blockHeader = llvm::BasicBlock::Create(context, "block", function);
  auto *blockBody = llvm::BasicBlock::Create(context, "block.body", function);
  auto *blockLatch = llvm::BasicBlock::Create(context, "block.latch", function);
  auto *exit = llvm::BasicBlock::Create(context, "exit", function);
  builder.CreateBr(blockHeader);

  builder.SetInsertPoint(blockHeader);
  llvm::PHINode *nb = builder.CreatePHI(i64, 2, "nb");
  nb->addIncoming(nBegin, entry);
  builder.CreateCondBr(builder.CreateICmpSLT(nb, nEnd), blockBody, exit);

  builder.SetInsertPoint(blockBody);
  llvm::Value *blockEnd = builder.CreateAdd(nb, builder.getInt64(uint64_t(block)));
  llvm::Value *nbEnd =
      builder.CreateSelect(builder.CreateICmpSLT(blockEnd, nEnd), blockEnd, nEnd, "nb_end");
  EmittedSparseTask result;
  result.nStep = nStep();
  if (tiling.schedule == SpmmTiling::Schedule::Unrolled)
    emitUnrolledTiles(nb, nbEnd, blockLatch);
  else if (tiling.schedule == SpmmTiling::Schedule::Dense)
    emitDenseTiles(nb, nbEnd, blockLatch);
  else if (tiling.schedule == SpmmTiling::Schedule::RowDot)
    emitRowDotTiles(nb, nbEnd, blockLatch);
  else
    emitLoopTiles(nb, nbEnd, blockLatch);
  result.tileWorkPrefix = tileWorkPrefix();
  result.scratchFloats = scratchFloats;

  builder.SetInsertPoint(blockLatch);
  nb->addIncoming(blockEnd, blockLatch);
  builder.CreateBr(blockHeader);

  builder.SetInsertPoint(exit);
  builder.CreateRetVoid();
  result.task = function;
  return result;
}

} // namespace spcc::x86::detail

namespace spcc::x86 {

spcc_sparse_params launchParams(const SparseLayer &layer, const EmittedSparseTask &task) {
  spcc_sparse_params params = layer.params;
  params.tile_count = int64_t(task.tileWorkPrefix.size()) - 1;
  params.n_step = task.nStep;
  params.scratch_floats = task.scratchFloats;
  return params;
}

bool packsB(const SpmmTiling &tiling, int64_t n, int64_t step) {
  if (tiling.schedule == SpmmTiling::Schedule::Unrolled)
    return tiling.packB && tiling.kBlock == 0 && tiling.nBlock >= step && n >= step;
  bool oneStepPerBlock = tiling.nBlock > 0 ? tiling.nBlock / step == 1 : n <= step;
  return tiling.packB && tiling.schedule == SpmmTiling::Schedule::Loop && tiling.kBlock > 0 &&
         oneStepPerBlock && tiling.kBlock * step * 4 <= kMaxPackedBytes;
}

int accumulatorRegisters(int vectorWidth) { return vectorWidth >= 16 ? 32 : 16; }

EmittedSparseTask emitSparseTask(llvm::Module &module, llvm::StringRef name,
                                 const SparseKernelSpec &spec, const SpmmTiling &tiling,
                                 int vectorWidth, bool exported) {
  return detail::SpmmEmitter(module, spec, tiling, vectorWidth).emit(name, exported);
}

} // namespace spcc::x86
