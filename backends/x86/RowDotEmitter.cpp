//===- RowDotEmitter.cpp - A product with one position as row dot products -===//
//
// SpmmTiling::Schedule::RowDot, for products of one position (a classifier or a pooler on one
// sample: a sparse matrix times a vector). The other schedules vectorize over positions, so
// with one position every nonzero costs a vector load and FMA for one useful lane plus its
// table reads (3.6 cycles a nonzero on 1000x1024 at 90%). Here each row is a dot product over
// its nonzeros: kChains independent scalar sums over consecutive nonzeros (one FMA's latency
// would otherwise bound the row), each nonzero a table read of its B offset and value and a
// scalar load of B. The sums are combined in a fixed order, so a row's result does not depend
// on the thread count. The epilogue runs on a one-lane vector (lane 0 of a masked store).
//
//===----------------------------------------------------------------------===//
#include "backends/x86/SpmmEmitterImpl.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

#include <algorithm>
#include <cassert>
#include <vector>

namespace spcc::x86::detail {
namespace {

/// Independent sums per row: enough to cover the FMA latency (4 cycles) while the loads (B's
/// float and the two table entries of each nonzero) issue two a cycle.
constexpr int kChains = 8;

} // namespace

void SpmmEmitter::emitRowDotTiles(llvm::Value *nb, llvm::Value *nbEnd, llvm::BasicBlock *next) {
  assert(!compacts() && !readsOutputRows() &&
         "a convolution's output rows are computed by the vector schedules");
  const int64_t columns = std::max<int64_t>(1, spec.weights.getCols());
  LoopTables tables = emitLoopTables(columns, 1, false);

  auto [rowBegin, rowEnd] = threadRows();
  auto block = [&](const char *blockName) {
    return llvm::BasicBlock::Create(context, blockName, function);
  };
  auto *rowHeader = block("row"), *rowBody = block("row.body");
  auto *positionHeader = block("position"), *chunkHeader = block("chunk");
  auto *chunkBody = block("chunk.body"), *tailHeader = block("tail");
  auto *tailBody = block("tail.body"), *finishBlock = block("finish");
  auto *positionLatch = block("position.latch"), *rowLatch = block("row.latch");
  llvm::BasicBlock *entry = builder.GetInsertBlock();
  builder.CreateBr(rowHeader);

  // For each row of the thread's tiles ...
  builder.SetInsertPoint(rowHeader);
  llvm::PHINode *row = builder.CreatePHI(i64, 2, "row");
  row->addIncoming(rowBegin, entry);
  builder.CreateCondBr(builder.CreateICmpSLT(row, rowEnd), rowBody, next);

  builder.SetInsertPoint(rowBody);
  llvm::Value *first = loadIndex(tables.segmentStart, row);
  llvm::Value *last = loadIndex(tables.segmentStart, builder.CreateAdd(row, builder.getInt64(1)));
  llvm::Value *bias = builder.CreateLoad(f32, builder.CreateInBoundsGEP(f32, tables.bias, row));
  llvm::Value *rowOffset = builder.CreateMul(row, builder.getInt64(uint64_t(spec.ldc)));
  builder.CreateBr(positionHeader);

  // ... and each position of the block (one, where this schedule is offered) ...
  builder.SetInsertPoint(positionHeader);
  llvm::PHINode *position = builder.CreatePHI(i64, 2, "p");
  position->addIncoming(nb, rowBody);
  builder.CreateCondBr(builder.CreateICmpSLT(position, nbEnd), chunkHeader, rowLatch);

  // ... the row's nonzeros kChains at a time, one into each sum ...
  auto term = [&](llvm::Value *j, llvm::Value *acc) {
    llvm::Value *offset = builder.CreateAdd(loadRowOfB(tables, j), position);
    llvm::Value *b = builder.CreateLoad(f32, builder.CreateInBoundsGEP(f32, argB, offset));
    llvm::Value *value = builder.CreateLoad(f32, builder.CreateInBoundsGEP(f32, tables.values, j));
    return builder.CreateIntrinsic(llvm::Intrinsic::fma, {f32}, {value, b, acc});
  };
  llvm::Value *zero = llvm::ConstantFP::get(f32, 0.0);
  builder.SetInsertPoint(chunkHeader);
  llvm::PHINode *j = builder.CreatePHI(i64, 2, "j");
  j->addIncoming(first, positionHeader);
  std::vector<llvm::PHINode *> sums;
  for (int q = 0; q < kChains; ++q) {
    sums.push_back(builder.CreatePHI(f32, 2, "sum"));
    sums.back()->addIncoming(zero, positionHeader);
  }
  llvm::Value *chunkEnd = builder.CreateAdd(j, builder.getInt64(kChains));
  builder.CreateCondBr(builder.CreateICmpSLE(chunkEnd, last), chunkBody, tailHeader);
  builder.SetInsertPoint(chunkBody);
  for (int q = 0; q < kChains; ++q)
    sums[size_t(q)]->addIncoming(
        term(builder.CreateAdd(j, builder.getInt64(uint64_t(q))), sums[size_t(q)]), chunkBody);
  j->addIncoming(chunkEnd, chunkBody);
  builder.CreateBr(chunkHeader);

  // ... the fewer than kChains left into one more ...
  builder.SetInsertPoint(tailHeader);
  llvm::PHINode *jt = builder.CreatePHI(i64, 2, "jt");
  jt->addIncoming(j, chunkHeader);
  llvm::PHINode *tail = builder.CreatePHI(f32, 2, "tail_sum");
  tail->addIncoming(zero, chunkHeader);
  builder.CreateCondBr(builder.CreateICmpSLT(jt, last), tailBody, finishBlock);
  builder.SetInsertPoint(tailBody);
  tail->addIncoming(term(jt, tail), tailBody);
  jt->addIncoming(builder.CreateAdd(jt, builder.getInt64(1)), tailBody);
  builder.CreateBr(tailHeader);

  // ... then the sums pairwise, the bias and the epilogue, stored from lane 0.
  builder.SetInsertPoint(finishBlock);
  std::vector<llvm::Value *> level(sums.begin(), sums.end());
  while (level.size() > 1) {
    std::vector<llvm::Value *> next;
    for (size_t i = 0; i + 1 < level.size(); i += 2)
      next.push_back(builder.CreateFAdd(level[i], level[i + 1]));
    if (level.size() % 2) next.push_back(level.back());
    level = std::move(next);
  }
  llvm::Value *sum = builder.CreateFAdd(builder.CreateFAdd(bias, level[0]), tail);
  llvm::Value *lane = builder.CreateInsertElement(llvm::PoisonValue::get(vecTy), sum, uint64_t(0));
  std::vector<llvm::Constant *> laneZero(size_t(width), builder.getFalse());
  laneZero[0] = builder.getTrue();
  llvm::Value *mask = llvm::ConstantVector::get(laneZero);
  llvm::Value *index = builder.CreateAdd(rowOffset, position);
  store(finish(lane, index, 0, mask), at(argC, index, 0), mask);
  builder.CreateBr(positionLatch);

  builder.SetInsertPoint(positionLatch);
  position->addIncoming(builder.CreateAdd(position, builder.getInt64(1)), positionLatch);
  builder.CreateBr(positionHeader);

  builder.SetInsertPoint(rowLatch);
  row->addIncoming(builder.CreateAdd(row, builder.getInt64(1)), rowLatch);
  builder.CreateBr(rowHeader);
}

} // namespace spcc::x86::detail
