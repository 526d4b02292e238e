//===- TransformerKernels.cpp - GPU layer normalization and attention -----===//
#include "backends/ptx/TransformerKernels.h"

#include "backends/ptx/KernelIr.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

#include <limits>

namespace spcc::ptx {

/// The row loops stay loops: unrolled (by LLVM or by ptxas) they keep a row's loads in flight
/// at once and spill beyond the 64 registers of half occupancy.
constexpr int kRowUnroll = 1;

llvm::Function *emitLayerNormKernel(llvm::Module &module, llvm::StringRef name,
                                    const LayerNormSpec &spec, KernelFlavor flavor) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Value *scale = bakeFloats(module, name + ".scale", spec.scale);
  llvm::Value *bias = spec.bias.empty() ? nullptr : bakeFloats(module, name + ".bias", spec.bias);
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy();
    llvm::Value *zero = llvm::ConstantFP::get(f32, 0.0);
    llvm::Value *count = llvm::ConstantFP::get(f32, double(spec.size));
    llvm::Value *row = elementIndex(builder, indices, arguments[3], done);
    llvm::Value *first = builder.CreateMul(row, builder.getInt32(uint32_t(spec.size)));
    auto x = [&](llvm::Value *j) {
      return loadFloat(builder, arguments[1], builder.CreateAdd(first, j));
    };
    // Two passes (mean, then the mean square deviation), as the reference computes them.
    llvm::Value *sum = accumulateLoop(
        builder, spec.size, zero,
        [&](llvm::Value *j, llvm::Value *acc) { return builder.CreateFAdd(acc, x(j)); }, "sum",
        kRowUnroll);
    llvm::Value *mean = builder.CreateFDiv(sum, count, "mean");
    llvm::Value *squares = accumulateLoop(
        builder, spec.size, zero,
        [&](llvm::Value *j, llvm::Value *acc) {
          llvm::Value *d = builder.CreateFSub(x(j), mean);
          return builder.CreateIntrinsic(llvm::Intrinsic::fma, {f32}, {d, d, acc});
        },
        "squares", kRowUnroll);
    llvm::Value *variance = builder.CreateFDiv(squares, count);
    llvm::Value *inverse = builder.CreateFDiv(
        llvm::ConstantFP::get(f32, 1.0),
        builder.CreateIntrinsic(
            llvm::Intrinsic::sqrt, {f32},
            {builder.CreateFAdd(variance, llvm::ConstantFP::get(f32, double(spec.epsilon)))}));
    accumulateLoop(
        builder, spec.size, zero,
        [&](llvm::Value *j, llvm::Value *acc) {
          llvm::Value *y =
              builder.CreateFMul(builder.CreateFMul(builder.CreateFSub(x(j), mean), inverse),
                                 loadFloat(builder, scale, j));
          if (bias) y = builder.CreateFAdd(y, loadFloat(builder, bias, j));
          storeFloat(builder, y, arguments[0], builder.CreateAdd(first, j));
          return acc;
        },
        "normalize", kRowUnroll);
    builder.CreateBr(done);
  };
  llvm::Type *global = globalPointer(context), *i32 = llvm::Type::getInt32Ty(context);
  llvm::Function *kernel =
      emitKernel(module, name, {global, global, global, i32}, flavor, kRowThreads, body);
  return kernel;
}

llvm::Function *emitAttentionKernel(llvm::Module &module, llvm::StringRef name,
                                    const AttentionSpec &spec, KernelFlavor flavor) {
  llvm::LLVMContext &context = module.getContext();
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy();
    auto constant = [&](int64_t v) { return builder.getInt32(uint32_t(v)); };
    llvm::Value *zero = llvm::ConstantFP::get(f32, 0.0);
    llvm::Value *row = elementIndex(builder, indices, arguments[5], done);
    // row = (b * Sq + query) * H + h: Q's and O's rows are in this order.
    llvm::Value *h = builder.CreateURem(row, constant(spec.heads), "h");
    llvm::Value *bq = builder.CreateUDiv(row, constant(spec.heads));
    llvm::Value *query = builder.CreateURem(bq, constant(spec.queries), "query");
    llvm::Value *b = builder.CreateUDiv(bq, constant(spec.queries), "b");
    llvm::Value *qFirst = builder.CreateMul(row, constant(spec.depth));
    llvm::Value *oFirst = builder.CreateMul(row, constant(spec.valueDepth));
    // Key j's row of K (and V): (b * Sk + j) * H + h.
    llvm::Value *keyBase = builder.CreateMul(b, constant(spec.keys * spec.heads));
    auto keyRow = [&](llvm::Value *j) {
      return builder.CreateAdd(
          builder.CreateAdd(keyBase, builder.CreateMul(j, constant(spec.heads))), h);
    };
    llvm::Value *maskBase = nullptr;
    if (spec.hasMask)
      maskBase =
          builder.CreateAdd(builder.CreateAdd(builder.CreateMul(b, constant(spec.maskStrides[0])),
                                              builder.CreateMul(h, constant(spec.maskStrides[1]))),
                            builder.CreateMul(query, constant(spec.maskStrides[2])));
    auto score = [&](llvm::Value *j) {
      llvm::Value *kFirst = builder.CreateMul(keyRow(j), constant(spec.depth));
      llvm::Value *dot = accumulateLoop(
          builder, spec.depth, zero,
          [&](llvm::Value *d, llvm::Value *acc) {
            return builder.CreateIntrinsic(
                llvm::Intrinsic::fma, {f32},
                {loadFloat(builder, arguments[1], builder.CreateAdd(qFirst, d)),
                 loadFloat(builder, arguments[2], builder.CreateAdd(kFirst, d)), acc});
          },
          "dot", kRowUnroll);
      llvm::Value *s = builder.CreateFMul(dot, llvm::ConstantFP::get(f32, double(spec.scale)));
      if (maskBase)
        s = builder.CreateFAdd(
            s, loadFloat(builder, arguments[4],
                         builder.CreateAdd(maskBase,
                                           builder.CreateMul(j, constant(spec.maskStrides[3])))));
      return s;
    };
    llvm::Value *lowest =
        llvm::ConstantFP::get(f32, -double(std::numeric_limits<float>::infinity()));
    llvm::Value *maximum = accumulateLoop(
        builder, spec.keys, lowest,
        [&](llvm::Value *j, llvm::Value *acc) {
          return builder.CreateIntrinsic(llvm::Intrinsic::maxnum, {f32}, {acc, score(j)});
        },
        "max", kRowUnroll);
    llvm::Value *sum = accumulateLoop(
        builder, spec.keys, zero,
        [&](llvm::Value *j, llvm::Value *acc) {
          return builder.CreateFAdd(acc, emitExp(builder, builder.CreateFSub(score(j), maximum)));
        },
        "sum", kRowUnroll);
    llvm::Value *inverseSum = builder.CreateFDiv(llvm::ConstantFP::get(f32, 1.0), sum);
    // O's row accumulates the weighted rows of V in place (the thread owns it).
    accumulateLoop(
        builder, spec.valueDepth, zero,
        [&](llvm::Value *d, llvm::Value *acc) {
          storeFloat(builder, zero, arguments[0], builder.CreateAdd(oFirst, d));
          return acc;
        },
        "clear", kRowUnroll);
    accumulateLoop(
        builder, spec.keys, zero,
        [&](llvm::Value *j, llvm::Value *acc) {
          llvm::Value *p = builder.CreateFMul(
              emitExp(builder, builder.CreateFSub(score(j), maximum)), inverseSum);
          llvm::Value *vFirst = builder.CreateMul(keyRow(j), constant(spec.valueDepth));
          accumulateLoop(
              builder, spec.valueDepth, zero,
              [&](llvm::Value *d, llvm::Value *inner) {
                llvm::Value *at = builder.CreateAdd(oFirst, d);
                llvm::Value *o = builder.CreateIntrinsic(
                    llvm::Intrinsic::fma, {f32},
                    {p, loadFloat(builder, arguments[3], builder.CreateAdd(vFirst, d)),
                     loadFloat(builder, arguments[0], at)});
                storeFloat(builder, o, arguments[0], at);
                return inner;
              },
              "weigh", kRowUnroll);
          return acc;
        },
        "values", kRowUnroll);
    builder.CreateBr(done);
  };
  llvm::Type *global = globalPointer(context), *i32 = llvm::Type::getInt32Ty(context);
  return emitKernel(module, name, {global, global, global, global, global, i32}, flavor,
                    kRowThreads, body);
}

} // namespace spcc::ptx
