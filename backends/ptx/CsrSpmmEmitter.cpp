//===- CsrSpmmEmitter.cpp - GPU SpMM with the weights as data -------------===//
#include "backends/ptx/CsrSpmmEmitter.h"

#include "backends/common/ActivationIr.h"
#include "backends/ptx/KernelIr.h"
#include "compiler/support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

#include <algorithm>
#include <numeric>

namespace spcc::ptx {
namespace {

/// The grid's y dimension holds at most this many blocks.
constexpr int64_t kMaxGridY = 65535;

/// The distance between B's rows when every row j starts at j * step (0 for one row); -1 when
/// they are not evenly spaced (a convolution's taps).
int64_t evenRowStep(const SparseKernelSpec &spec) {
  const std::vector<int64_t> &offsets = spec.bRowOffsets;
  int64_t step = offsets.size() > 1 ? offsets[1] - offsets[0] : 0;
  for (size_t j = 0; j < offsets.size(); ++j)
    if (offsets[j] != int64_t(j) * step) return -1;
  return step;
}

} // namespace

bool csrNarrowColumns(const SparseKernelSpec &spec) {
  return spec.weights.getCols() <= 65536 && evenRowStep(spec) >= 0;
}

int csrVectorPositions(const SparseKernelSpec &spec, const GpuProductLayout &layout,
                       bool bytesAligned16) {
  bool offsetsAligned = llvm::all_of(spec.bRowOffsets, [](int64_t o) { return o % 4 == 0; });
  bool vectors = bytesAligned16 && offsetsAligned && layout.bPositionStride == 1 &&
                 layout.cPositionStride == 1 && spec.n % 4 == 0 && spec.ldc % 4 == 0 &&
                 !spec.readsPlaneRows();
  return vectors ? 4 : 1;
}

bool denseProductApplies(const SparseKernelSpec &spec) {
  return !spec.readsPlaneRows() && evenRowStep(spec) >= 0 &&
         spec.weights.getRows() * spec.weights.getCols() < (int64_t(1) << 31);
}

namespace {

/// The CSR kernel, or with \p dense its dense twin: every weight of a row in order, zeros
/// included, so a weight's column is its place in the row and nothing else is read for it.
llvm::Expected<GpuLaunchShape> emitWeightsAsData(llvm::Module &module, llvm::StringRef name,
                                                 const SparseKernelSpec &spec,
                                                 const CsrSpmmTiling &tiling, KernelFlavor flavor,
                                                 const GpuProductLayout &layout, bool dense) {
  if (spec.readsPlaneRows())
    return makeError(ErrorCode::Unsupported, "the GPU's CSR sparse product does not read a "
                                             "convolution's padded plane rows");
  if (dense && !denseProductApplies(spec))
    return makeError(ErrorCode::Internal, "the GPU's dense product needs evenly spaced rows of B");
  const SparseTensor &a = spec.weights;
  int64_t rows = a.getRows();
  if (rows > kMaxGridY)
    return makeError(ErrorCode::Unsupported, "the GPU's CSR sparse product takes at most " +
                                                 std::to_string(kMaxGridY) + " rows, not " +
                                                 std::to_string(rows));
  const int lanes = tiling.positionsPerThread;
  if (tiling.threadsPerBlock < 1 || tiling.threadsPerBlock > 1024 || (lanes != 1 && lanes != 4))
    return makeError(ErrorCode::Internal, "bad CSR SpMM tiling");

  // The matrix as data: row starts, values, and for each value its column (a 16-bit index, or
  // the offset of the column's row of B); the rows in the order the grid visits them, longest
  // first.
  llvm::ArrayRef<int64_t> rowStart = a.getRowStart();
  llvm::ArrayRef<int32_t> columns = a.getColIndex();
  std::vector<int32_t> starts(rowStart.begin(), rowStart.end()), offsets;
  std::vector<uint16_t> narrowColumns;
  bool narrow = !dense && csrNarrowColumns(spec);
  int64_t rowStep = evenRowStep(spec);
  for (int32_t column : columns) {
    if (dense) break;
    if (narrow)
      narrowColumns.push_back(uint16_t(column));
    else
      offsets.push_back(int32_t(spec.bRowOffsets[size_t(column)]));
  }
  std::vector<int32_t> order(static_cast<size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  // Longest first (dense rows are all as long); equal lengths in row order (the comparison is
  // total: the same order always).
  auto length = [&](int32_t row) { return rowStart[size_t(row) + 1] - rowStart[size_t(row)]; };
  if (!dense)
    std::sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
      return length(x) != length(y) ? length(x) > length(y) : x < y;
    });
  std::vector<float> valueData;
  if (dense) {
    Tensor full = a.toDense();
    llvm::ArrayRef<float> all = full.getData<float>();
    valueData.assign(all.begin(), all.end());
  } else {
    llvm::ArrayRef<float> values = a.getValues();
    valueData.assign(values.begin(), values.end());
  }
  // Empty arrays still need a global to point at.
  if (valueData.empty())
    valueData.push_back(0.0f), offsets.push_back(0), narrowColumns.push_back(0);
  llvm::Value *valueTable = bakeFloats(module, name + ".values", valueData);
  llvm::Value *columnTable = dense    ? nullptr
                             : narrow ? bakeInt16s(module, name + ".columns", narrowColumns)
                                      : bakeInt32s(module, name + ".offsets", offsets);
  // Dense rows start at row * k and are visited in order: no tables for either.
  llvm::Value *startTable = dense ? nullptr : bakeInt32s(module, name + ".starts", starts);
  llvm::Value *orderTable = dense ? nullptr : bakeInt32s(module, name + ".order", order);
  llvm::Value *biasTable =
      spec.epilogue.bias.empty() ? nullptr : bakeFloats(module, name + ".bias", spec.epilogue.bias);

  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy(), *i32 = builder.getInt32Ty(),
               *i64 = builder.getInt64Ty();
    // A float, or a vector of four floats (16-byte aligned) at element \p index of \p base.
    llvm::Type *sumType = lanes == 1 ? f32 : llvm::FixedVectorType::get(f32, unsigned(lanes));
    auto element = [&](llvm::Value *base, llvm::Value *index) {
      return builder.CreateInBoundsGEP(f32, base, builder.CreateZExt(index, i64));
    };
    auto load = [&](llvm::Value *base, llvm::Value *index) -> llvm::Value * {
      return builder.CreateAlignedLoad(sumType, element(base, index),
                                       llvm::Align(4 * unsigned(lanes)));
    };
    auto splat = [&](llvm::Value *x) {
      return lanes == 1 ? x : builder.CreateVectorSplat(unsigned(lanes), x);
    };
    auto loadInt = [&](llvm::Value *table, llvm::Value *index) {
      return builder.CreateAlignedLoad(
          i32, builder.CreateInBoundsGEP(i32, table, builder.CreateZExt(index, i64)),
          llvm::Align(4));
    };
    llvm::Value *row = dense ? indices.blockY : loadInt(orderTable, indices.blockY), *begin, *end;
    if (dense) {
      begin = builder.CreateMul(row, builder.getInt32(uint32_t(a.getCols())));
      end = builder.CreateAdd(begin, builder.getInt32(uint32_t(a.getCols())));
    } else {
      begin = loadInt(startTable, row);
      end = loadInt(startTable, builder.CreateAdd(row, builder.getInt32(1)));
    }
    // The offset in B of weight i's row.
    auto columnOffset = [&](llvm::Value *i) -> llvm::Value * {
      if (dense)
        return builder.CreateMul(builder.CreateSub(i, begin), builder.getInt32(uint32_t(rowStep)));
      if (!narrow) return loadInt(columnTable, i);
      llvm::Type *i16 = builder.getInt16Ty();
      llvm::Value *column = builder.CreateAlignedLoad(
          i16, builder.CreateInBoundsGEP(i16, columnTable, builder.CreateZExt(i, i64)),
          llvm::Align(2));
      return builder.CreateMul(builder.CreateZExt(column, i32),
                               builder.getInt32(uint32_t(rowStep)));
    };
    llvm::Value *count = lanes == 1 ? arguments[3] : builder.CreateLShr(arguments[3], 2);
    llvm::Value *position = builder.CreateMul(elementIndex(builder, indices, count, done),
                                              builder.getInt32(uint32_t(lanes)));
    llvm::Value *bPosition =
        builder.CreateMul(position, builder.getInt32(uint32_t(layout.bPositionStride)));
    llvm::Value *sum = accumulateRange(
        builder, begin, end, llvm::Constant::getNullValue(sumType),
        [&](llvm::Value *i, llvm::Value *acc) {
          llvm::Value *b = load(arguments[0], builder.CreateAdd(columnOffset(i), bPosition));
          return builder.CreateIntrinsic(llvm::Intrinsic::fma, {sumType},
                                         {splat(loadFloat(builder, valueTable, i)), b, acc});
        },
        "nonzeros");
    if (biasTable) sum = builder.CreateFAdd(sum, splat(loadFloat(builder, biasTable, row)));
    llvm::Value *at = builder.CreateAdd(
        builder.CreateMul(row, builder.getInt32(uint32_t(spec.ldc))),
        builder.CreateMul(position, builder.getInt32(uint32_t(layout.cPositionStride))));
    if (spec.epilogue.residual) sum = builder.CreateFAdd(sum, load(arguments[2], at));
    sum = emitFusedActivation(builder, sum, spec.epilogue.activation);
    builder.CreateAlignedStore(sum, element(arguments[1], at), llvm::Align(4 * unsigned(lanes)));
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
  return GpuLaunchShape{tiling.threadsPerBlock, std::max<int64_t>(rows, 1), lanes};
}

} // namespace

llvm::Expected<GpuLaunchShape> emitCsrSpmm(llvm::Module &module, llvm::StringRef name,
                                           const SparseKernelSpec &spec,
                                           const CsrSpmmTiling &tiling, KernelFlavor flavor,
                                           const GpuProductLayout &layout) {
  return emitWeightsAsData(module, name, spec, tiling, flavor, layout, false);
}

llvm::Expected<GpuLaunchShape> emitDenseProduct(llvm::Module &module, llvm::StringRef name,
                                                const SparseKernelSpec &spec,
                                                const CsrSpmmTiling &tiling, KernelFlavor flavor,
                                                const GpuProductLayout &layout) {
  return emitWeightsAsData(module, name, spec, tiling, flavor, layout, true);
}

} // namespace spcc::ptx
