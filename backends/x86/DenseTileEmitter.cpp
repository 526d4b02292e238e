//===- DenseTileEmitter.cpp - Dense register tiles of a product ----------===//
//
// SpmmTiling::Schedule::Dense: for a tile of rowTile rows and a step of `vectors` SIMD vectors,
// a loop over every column of A loads the column's row of B once per vector and adds it, times
// each row's weight (zeros included, broadcast from a table laid out tile by tile), into the
// tile's sums. For layers whose weights are mostly nonzero (an unpruned stem), where
// straight-line code grows past the caches and the nonzero loop loads B once per row.
//
//===----------------------------------------------------------------------===//
#include "backends/x86/SpmmEmitterImpl.h"

#include "llvm/IR/Constants.h"

#include <algorithm>

namespace spcc::x86::detail {

void SpmmEmitter::emitDenseTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next) {
  // Tables: each column's row of B, the weights tile by tile ([tile][column][row of the tile],
  // zeros included and past the last row), each row's bias.
  const SparseTensor &a = spec.weights;
  const int64_t columns = a.getCols(), tileRows = tiling.rowTile;
  const int64_t tiles = (rows() + tileRows - 1) / tileRows;
  std::vector<float> weights(size_t(std::max<int64_t>(1, tiles * columns * tileRows)), 0.0f);
  for (int64_t r = 0; r < rows(); ++r)
    for (int64_t j = a.getRowStart()[size_t(r)]; j < a.getRowStart()[size_t(r) + 1]; ++j)
      weights[size_t(((r / tileRows) * columns + a.getColIndex()[size_t(j)]) * tileRows +
                     r % tileRows)] = a.getValues()[size_t(j)];
  std::vector<float> bias = spec.epilogue.bias;
  bias.resize(size_t(tiles * tileRows), 0.0f);
  llvm::GlobalVariable *offsetTable = bRowOffsetTable();
  llvm::GlobalVariable *weightTable =
      table("dense_weights", llvm::ConstantDataArray::get(context, weights));
  llvm::GlobalVariable *biasTable = table("bias", llvm::ConstantDataArray::get(context, bias));

  auto block = [&](const char *blockName) {
    return llvm::BasicBlock::Create(context, blockName, function);
  };
  auto *tileHeader = block("tile"), *tileBody = block("tile.body"), *stepLoop = block("step");
  auto *columnLoop = block("column"), *columnBody = block("column.body");
  auto *stepEnd = block("step.end"), *stepLatch = block("step.latch");
  auto *tileLatch = block("tile.latch");
  llvm::BasicBlock *entry = builder.GetInsertBlock();
  builder.CreateBr(tileHeader);

  // For each tile of the thread ...
  builder.SetInsertPoint(tileHeader);
  llvm::PHINode *tile = builder.CreatePHI(i64, 2, "tile");
  tile->addIncoming(tileBegin, entry);
  builder.CreateCondBr(builder.CreateICmpSLT(tile, tileEnd), tileBody, next);
  builder.SetInsertPoint(tileBody);
  llvm::Value *firstRow = builder.CreateMul(tile, builder.getInt64(uint64_t(tileRows)));
  builder.CreateBr(stepLoop);

  // ... and each step of the block's positions: the tile's sums start from the bias ...
  builder.SetInsertPoint(stepLoop);
  llvm::PHINode *n = builder.CreatePHI(i64, 2, "n");
  n->addIncoming(nb, tileBody);
  llvm::Value *position = stepPosition(n, nbEnd);
  std::vector<llvm::Value *> masks = stepMasks(n, nbEnd);
  std::vector<VectorOfB> bVectors = vectorsOfB(position, tiling.vectors);
  std::vector<llvm::Value *> rowBias;
  for (int64_t r = 0; r < tileRows; ++r)
    rowBias.push_back(builder.CreateVectorSplat(
        unsigned(width),
        builder.CreateLoad(
            f32, builder.CreateInBoundsGEP(
                     f32, biasTable, builder.CreateAdd(firstRow, builder.getInt64(uint64_t(r)))))));
  builder.CreateBr(columnLoop);

  // ... then every column adds its row of B, loaded once, times each row's weight.
  builder.SetInsertPoint(columnLoop);
  llvm::PHINode *column = builder.CreatePHI(i64, 2, "column");
  column->addIncoming(builder.getInt64(0), stepLoop);
  std::vector<std::vector<llvm::PHINode *>> acc(static_cast<size_t>(tileRows));
  for (int64_t r = 0; r < tileRows; ++r)
    for (int v = 0; v < tiling.vectors; ++v) {
      acc[size_t(r)].push_back(builder.CreatePHI(vecTy, 2, "acc"));
      acc[size_t(r)].back()->addIncoming(rowBias[size_t(r)], stepLoop);
    }
  builder.CreateCondBr(builder.CreateICmpSLT(column, builder.getInt64(uint64_t(columns))),
                       columnBody, stepEnd);
  builder.SetInsertPoint(columnBody);
  llvm::Value *rowOfB = loadIndex(offsetTable, column);
  std::vector<llvm::Value *> bv;
  for (int v = 0; v < tiling.vectors; ++v)
    bv.push_back(load(vectorOfB(argB, rowOfB, bVectors[size_t(v)]), masks[size_t(v)]));
  llvm::Value *weightBase = builder.CreateMul(
      builder.CreateAdd(builder.CreateMul(tile, builder.getInt64(uint64_t(columns))), column),
      builder.getInt64(uint64_t(tileRows)));
  for (int64_t r = 0; r < tileRows; ++r) {
    llvm::Value *weight = builder.CreateVectorSplat(
        unsigned(width),
        builder.CreateLoad(f32, builder.CreateInBoundsGEP(
                                    f32, weightTable,
                                    builder.CreateAdd(weightBase, builder.getInt64(uint64_t(r))))));
    for (int v = 0; v < tiling.vectors; ++v)
      acc[size_t(r)][size_t(v)]->addIncoming(fma(weight, bv[size_t(v)], acc[size_t(r)][size_t(v)]),
                                             columnBody);
  }
  column->addIncoming(builder.CreateAdd(column, builder.getInt64(1)), columnBody);
  builder.CreateBr(columnLoop);

  // Each row of the tile finishes and stores its sums. A tile past the last row stores only
  // the rows that exist; the others store all rows in one straight block, where the stores'
  // index arithmetic (the same for every row) is computed once.
  builder.SetInsertPoint(stepEnd);
  auto storeRows = [&](bool checked) {
    for (int64_t r = 0; r < tileRows; ++r) {
      auto *store = block("row.store"), *after = block("row.next");
      llvm::Value *row = builder.CreateAdd(firstRow, builder.getInt64(uint64_t(r)));
      if (checked)
        builder.CreateCondBr(builder.CreateICmpSLT(row, builder.getInt64(uint64_t(rows()))), store,
                             after);
      else
        builder.CreateBr(store);
      builder.SetInsertPoint(store);
      LoopStep step = rowStep(n, row, position, masks);
      emitStepStores(step, std::vector<llvm::Value *>(acc[size_t(r)].begin(), acc[size_t(r)].end()),
                     1, nullptr, after);
      builder.SetInsertPoint(after);
    }
    builder.CreateBr(stepLatch);
  };
  if (rows() % tileRows == 0) {
    storeRows(false);
  } else {
    auto *whole = block("tile.whole"), *partial = block("tile.partial");
    llvm::Value *rowsEnd = builder.CreateAdd(firstRow, builder.getInt64(uint64_t(tileRows)));
    builder.CreateCondBr(builder.CreateICmpSLE(rowsEnd, builder.getInt64(uint64_t(rows()))), whole,
                         partial);
    builder.SetInsertPoint(whole);
    storeRows(false);
    builder.SetInsertPoint(partial);
    storeRows(true);
  }

  builder.SetInsertPoint(stepLatch);
  llvm::Value *nNext = builder.CreateAdd(n, builder.getInt64(uint64_t(nStep())));
  n->addIncoming(nNext, stepLatch);
  builder.CreateCondBr(builder.CreateICmpSLT(nNext, nbEnd), stepLoop, tileLatch);

  builder.SetInsertPoint(tileLatch);
  tile->addIncoming(builder.CreateAdd(tile, builder.getInt64(1)), tileLatch);
  builder.CreateBr(tileHeader);
}

} // namespace spcc::x86::detail
