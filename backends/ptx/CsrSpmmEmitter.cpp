//===- CsrSpmmEmitter.cpp - GPU SpMM with the weights as data -------------===//
#include "backends/ptx/CsrSpmmEmitter.h"

#include "backends/common/ActivationIr.h"
#include "backends/ptx/KernelIr.h"
#include "compiler/support/Error.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

#include <algorithm>
#include <numeric>

namespace spcc::ptx {
namespace {

/// The grid's y dimension holds at most this many blocks.
constexpr int64_t kMaxGridY = 65535;

} // namespace

llvm::Expected<GpuLaunchShape> emitCsrSpmm(llvm::Module &module, llvm::StringRef name,
                                           const SparseKernelSpec &spec,
                                           const CsrSpmmTiling &tiling, KernelFlavor flavor,
                                           const GpuProductLayout &layout) {
  if (spec.compacted.planeWidth != 0)
    return makeError(ErrorCode::Unsupported,
                     "the GPU's CSR sparse product does not write compacted convolution output");
  const SparseTensor &a = spec.weights;
  int64_t rows = a.getRows();
  if (rows > kMaxGridY)
    return makeError(ErrorCode::Unsupported, "the GPU's CSR sparse product takes at most " +
                                                 std::to_string(kMaxGridY) + " rows, not " +
                                                 std::to_string(rows));
  if (tiling.threadsPerBlock < 1 || tiling.threadsPerBlock > 1024)
    return makeError(ErrorCode::Internal, "bad CSR SpMM tiling");

  // The matrix as data: row starts, values, and for each value the offset of its column's row
  // of B; the rows in the order the grid visits them, longest first.
  llvm::ArrayRef<int64_t> rowStart = a.getRowStart();
  llvm::ArrayRef<int32_t> columns = a.getColIndex();
  std::vector<int32_t> starts(rowStart.begin(), rowStart.end()), offsets;
  for (int32_t column : columns) offsets.push_back(int32_t(spec.bRowOffsets[size_t(column)]));
  std::vector<int32_t> order(static_cast<size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  // Longest first; equal lengths in row order (the comparison is total: the same order always).
  auto length = [&](int32_t row) { return rowStart[size_t(row) + 1] - rowStart[size_t(row)]; };
  std::sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
    return length(x) != length(y) ? length(x) > length(y) : x < y;
  });
  llvm::ArrayRef<float> values = a.getValues();
  // Empty arrays still need a global to point at.
  std::vector<float> valueData(values.begin(), values.end());
  if (valueData.empty()) valueData.push_back(0.0f), offsets.push_back(0);
  llvm::Value *valueTable = bakeFloats(module, name + ".values", valueData);
  llvm::Value *offsetTable = bakeInt32s(module, name + ".offsets", offsets);
  llvm::Value *startTable = bakeInt32s(module, name + ".starts", starts);
  llvm::Value *orderTable = bakeInt32s(module, name + ".order", order);
  llvm::Value *biasTable =
      spec.epilogue.bias.empty() ? nullptr : bakeFloats(module, name + ".bias", spec.epilogue.bias);

  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy(), *i32 = builder.getInt32Ty();
    llvm::Value *position = elementIndex(builder, indices, arguments[3], done);
    auto loadInt = [&](llvm::Value *table, llvm::Value *index) {
      return builder.CreateAlignedLoad(
          i32,
          builder.CreateInBoundsGEP(i32, table, builder.CreateZExt(index, builder.getInt64Ty())),
          llvm::Align(4));
    };
    llvm::Value *row = loadInt(orderTable, indices.blockY);
    llvm::Value *begin = loadInt(startTable, row);
    llvm::Value *end = loadInt(startTable, builder.CreateAdd(row, builder.getInt32(1)));
    llvm::Value *bPosition =
        builder.CreateMul(position, builder.getInt32(uint32_t(layout.bPositionStride)));
    llvm::Value *sum = accumulateRange(
        builder, begin, end, llvm::ConstantFP::get(f32, 0.0),
        [&](llvm::Value *i, llvm::Value *acc) {
          llvm::Value *b = loadFloat(builder, arguments[0],
                                     builder.CreateAdd(loadInt(offsetTable, i), bPosition));
          return builder.CreateIntrinsic(llvm::Intrinsic::fma, {f32},
                                         {loadFloat(builder, valueTable, i), b, acc});
        },
        "nonzeros");
    if (biasTable) sum = builder.CreateFAdd(sum, loadFloat(builder, biasTable, row));
    llvm::Value *at = builder.CreateAdd(
        builder.CreateMul(row, builder.getInt32(uint32_t(spec.ldc))),
        builder.CreateMul(position, builder.getInt32(uint32_t(layout.cPositionStride))));
    if (spec.epilogue.residual) sum = builder.CreateFAdd(sum, loadFloat(builder, arguments[2], at));
    sum = emitFusedActivation(builder, sum, spec.epilogue.activation);
    storeFloat(builder, sum, arguments[1], at);
    builder.CreateBr(done);
  };
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *global = globalPointer(context), *i32 = llvm::Type::getInt32Ty(context);
  llvm::Function *kernel =
      emitKernel(module, name, {global, global, global, i32}, flavor, tiling.threadsPerBlock, body);
  if (flavor == KernelFlavor::Device) {
    kernel->addParamAttr(0, llvm::Attribute::NoAlias);
    kernel->addParamAttr(0, llvm::Attribute::ReadOnly);
    kernel->addParamAttr(2, llvm::Attribute::ReadOnly);
  }
  return GpuLaunchShape{tiling.threadsPerBlock, std::max<int64_t>(rows, 1)};
}

} // namespace spcc::ptx
