//===- TransformerKernels.cpp - GPU layer normalization and attention -----===//
#include "backends/ptx/TransformerKernels.h"

#include "backends/ptx/KernelIr.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Intrinsics.h"

#include <limits>

namespace spcc::ptx {

/// How far the short inner loops (a dot product over a head's depth, a sum over keys) unroll:
/// a few loads in flight per thread, well within the 64 registers of half occupancy.
constexpr int kInnerUnroll = 4;
/// The softmax row loops stay loops (a row of keys unrolled would sit in registers).
constexpr int kRowUnroll = 1;

namespace {

/// Splits \p index into (index % extent, index / extent).
std::pair<llvm::Value *, llvm::Value *> split(llvm::IRBuilder<> &builder, llvm::Value *index,
                                              int64_t extent, const char *name) {
  llvm::Value *size = builder.getInt32(uint32_t(extent));
  return {builder.CreateURem(index, size, name), builder.CreateUDiv(index, size)};
}

/// a * b + c for floats.
llvm::Value *fma(llvm::IRBuilder<> &builder, llvm::Value *a, llvm::Value *b, llvm::Value *c) {
  return builder.CreateIntrinsic(llvm::Intrinsic::fma, {builder.getFloatTy()}, {a, b, c});
}

llvm::Function *finish(llvm::Module &module, llvm::StringRef name, int pointers,
                       KernelFlavor flavor, int threads, const KernelBody &body) {
  llvm::LLVMContext &context = module.getContext();
  std::vector<llvm::Type *> parameters(size_t(pointers), globalPointer(context));
  parameters.push_back(llvm::Type::getInt32Ty(context));
  return emitKernel(module, name, parameters, flavor, threads, body);
}

} // namespace

llvm::Function *emitLayerNormStatisticsKernel(llvm::Module &module, llvm::StringRef name,
                                              const LayerNormSpec &spec, KernelFlavor flavor) {
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy();
    llvm::Value *zero = llvm::ConstantFP::get(f32, 0.0);
    llvm::Value *t = elementIndex(builder, indices, arguments[2], done);
    auto [chunk, row] = split(builder, t, spec.chunks(), "chunk");
    llvm::Value *start =
        builder.CreateMul(chunk, builder.getInt32(uint32_t(LayerNormSpec::kChunk)));
    llvm::Value *first =
        builder.CreateAdd(builder.CreateMul(row, builder.getInt32(uint32_t(spec.size))), start);
    llvm::Value *length = builder.CreateBinaryIntrinsic(
        llvm::Intrinsic::umin, builder.getInt32(uint32_t(LayerNormSpec::kChunk)),
        builder.CreateSub(builder.getInt32(uint32_t(spec.size)), start));
    auto x = [&](llvm::Value *j) {
      return loadFloat(builder, arguments[1], builder.CreateAdd(first, j));
    };
    // Two passes over the chunk (its mean, then the squared deviations from it).
    llvm::Value *sum = accumulateRange(
        builder, builder.getInt32(0), length, zero,
        [&](llvm::Value *j, llvm::Value *acc) { return builder.CreateFAdd(acc, x(j)); }, "sum");
    llvm::Value *mean = builder.CreateFDiv(sum, builder.CreateUIToFP(length, f32), "mean");
    llvm::Value *squares = accumulateRange(
        builder, builder.getInt32(0), length, zero,
        [&](llvm::Value *j, llvm::Value *acc) {
          llvm::Value *d = builder.CreateFSub(x(j), mean);
          return fma(builder, d, d, acc);
        },
        "squares");
    llvm::Value *at = builder.CreateMul(t, builder.getInt32(2));
    storeFloat(builder, mean, arguments[0], at);
    storeFloat(builder, squares, arguments[0], builder.CreateAdd(at, builder.getInt32(1)));
    builder.CreateBr(done);
  };
  return finish(module, name, 2, flavor, kTransformerThreads, body);
}

llvm::Function *emitLayerNormKernel(llvm::Module &module, llvm::StringRef name,
                                    const LayerNormSpec &spec, KernelFlavor flavor) {
  llvm::Value *scale = bakeFloats(module, name + ".scale", spec.scale);
  llvm::Value *bias = spec.bias.empty() ? nullptr : bakeFloats(module, name + ".bias", spec.bias);
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy();
    auto constant = [&](double v) { return llvm::ConstantFP::get(f32, v); };
    llvm::Value *t = elementIndex(builder, indices, arguments[3], done);
    auto [j, row] = split(builder, t, spec.size, "j");
    llvm::Value *partials =
        builder.CreateMul(row, builder.getInt32(uint32_t(spec.chunks() * 2)), "partials");
    // The running (count, mean, squared deviations) of the chunks combined so far, as a vector.
    llvm::Type *state = llvm::FixedVectorType::get(f32, 3);
    llvm::Value *combined = accumulateLoop(
        builder, spec.chunks(), llvm::Constant::getNullValue(state),
        [&](llvm::Value *c, llvm::Value *acc) {
          llvm::Value *countA = builder.CreateExtractElement(acc, uint64_t(0));
          llvm::Value *meanA = builder.CreateExtractElement(acc, uint64_t(1));
          llvm::Value *squaresA = builder.CreateExtractElement(acc, uint64_t(2));
          llvm::Value *start =
              builder.CreateMul(c, builder.getInt32(uint32_t(LayerNormSpec::kChunk)));
          llvm::Value *countB = builder.CreateUIToFP(
              builder.CreateBinaryIntrinsic(
                  llvm::Intrinsic::umin, builder.getInt32(uint32_t(LayerNormSpec::kChunk)),
                  builder.CreateSub(builder.getInt32(uint32_t(spec.size)), start)),
              f32);
          llvm::Value *at = builder.CreateAdd(partials, builder.CreateMul(c, builder.getInt32(2)));
          llvm::Value *meanB = loadFloat(builder, arguments[2], at);
          llvm::Value *squaresB =
              loadFloat(builder, arguments[2], builder.CreateAdd(at, builder.getInt32(1)));
          llvm::Value *count = builder.CreateFAdd(countA, countB);
          llvm::Value *delta = builder.CreateFSub(meanB, meanA);
          llvm::Value *weightB = builder.CreateFDiv(countB, count);
          llvm::Value *mean = fma(builder, delta, weightB, meanA);
          llvm::Value *squares =
              fma(builder, builder.CreateFMul(delta, delta), builder.CreateFMul(countA, weightB),
                  builder.CreateFAdd(squaresA, squaresB));
          llvm::Value *next = builder.CreateInsertElement(acc, count, uint64_t(0));
          next = builder.CreateInsertElement(next, mean, uint64_t(1));
          return builder.CreateInsertElement(next, squares, uint64_t(2));
        },
        "combine", kInnerUnroll);
    llvm::Value *mean = builder.CreateExtractElement(combined, uint64_t(1), "mean");
    llvm::Value *variance = builder.CreateFDiv(builder.CreateExtractElement(combined, uint64_t(2)),
                                               constant(double(spec.size)));
    llvm::Value *inverse = builder.CreateFDiv(
        constant(1.0),
        builder.CreateIntrinsic(llvm::Intrinsic::sqrt, {f32},
                                {builder.CreateFAdd(variance, constant(double(spec.epsilon)))}));
    llvm::Value *y = builder.CreateFMul(
        builder.CreateFMul(builder.CreateFSub(loadFloat(builder, arguments[1], t), mean), inverse),
        loadFloat(builder, scale, j));
    if (bias) y = builder.CreateFAdd(y, loadFloat(builder, bias, j));
    storeFloat(builder, y, arguments[0], t);
    builder.CreateBr(done);
  };
  return finish(module, name, 3, flavor, kTransformerThreads, body);
}

llvm::Function *emitAttentionScoresKernel(llvm::Module &module, llvm::StringRef name,
                                          const AttentionSpec &spec, KernelFlavor flavor) {
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy();
    auto constant = [&](int64_t v) { return builder.getInt32(uint32_t(v)); };
    llvm::Value *t = elementIndex(builder, indices, arguments[4], done);
    // t = ((b * H + h) * Sq + query) * Sk + key: S's order.
    auto [key, bhq] = split(builder, t, spec.keys, "key");
    auto [query, bh] = split(builder, bhq, spec.queries, "query");
    auto [h, b] = split(builder, bh, spec.heads, "h");
    auto rowOf = [&](llvm::Value *position, int64_t positions) { // ((b * S + position) * H + h)
      return builder.CreateAdd(
          builder.CreateMul(builder.CreateAdd(builder.CreateMul(b, constant(positions)), position),
                            constant(spec.heads)),
          h);
    };
    llvm::Value *qFirst = builder.CreateMul(rowOf(query, spec.queries), constant(spec.depth));
    llvm::Value *kFirst = builder.CreateMul(rowOf(key, spec.keys), constant(spec.depth));
    llvm::Value *dot = accumulateLoop(
        builder, spec.depth, llvm::ConstantFP::get(f32, 0.0),
        [&](llvm::Value *d, llvm::Value *acc) {
          return fma(builder, loadFloat(builder, arguments[1], builder.CreateAdd(qFirst, d)),
                     loadFloat(builder, arguments[2], builder.CreateAdd(kFirst, d)), acc);
        },
        "dot", kInnerUnroll);
    llvm::Value *s = builder.CreateFMul(dot, llvm::ConstantFP::get(f32, double(spec.scale)));
    if (spec.hasMask) {
      llvm::Value *at = builder.CreateMul(b, constant(spec.maskStrides[0]));
      at = builder.CreateAdd(at, builder.CreateMul(h, constant(spec.maskStrides[1])));
      at = builder.CreateAdd(at, builder.CreateMul(query, constant(spec.maskStrides[2])));
      at = builder.CreateAdd(at, builder.CreateMul(key, constant(spec.maskStrides[3])));
      s = builder.CreateFAdd(s, loadFloat(builder, arguments[3], at));
    }
    storeFloat(builder, s, arguments[0], t);
    builder.CreateBr(done);
  };
  return finish(module, name, 4, flavor, kTransformerThreads, body);
}

llvm::Function *emitSoftmaxRowsKernel(llvm::Module &module, llvm::StringRef name, int64_t length,
                                      KernelFlavor flavor) {
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    llvm::Type *f32 = builder.getFloatTy();
    llvm::Value *row = elementIndex(builder, indices, arguments[1], done);
    llvm::Value *first = builder.CreateMul(row, builder.getInt32(uint32_t(length)));
    auto at = [&](llvm::Value *j) { return builder.CreateAdd(first, j); };
    llvm::Value *maximum = accumulateLoop(
        builder, length,
        llvm::ConstantFP::get(f32, -double(std::numeric_limits<float>::infinity())),
        [&](llvm::Value *j, llvm::Value *acc) {
          return builder.CreateIntrinsic(llvm::Intrinsic::maxnum, {f32},
                                         {acc, loadFloat(builder, arguments[0], at(j))});
        },
        "max", kRowUnroll);
    llvm::Value *sum = accumulateLoop(
        builder, length, llvm::ConstantFP::get(f32, 0.0),
        [&](llvm::Value *j, llvm::Value *acc) {
          llvm::Value *e = emitExp(
              builder, builder.CreateFSub(loadFloat(builder, arguments[0], at(j)), maximum));
          storeFloat(builder, e, arguments[0], at(j));
          return builder.CreateFAdd(acc, e);
        },
        "sum", kRowUnroll);
    llvm::Value *inverse = builder.CreateFDiv(llvm::ConstantFP::get(f32, 1.0), sum);
    accumulateLoop(
        builder, length, sum,
        [&](llvm::Value *j, llvm::Value *acc) {
          storeFloat(builder, builder.CreateFMul(loadFloat(builder, arguments[0], at(j)), inverse),
                     arguments[0], at(j));
          return acc;
        },
        "normalize", kRowUnroll);
    builder.CreateBr(done);
  };
  return finish(module, name, 1, flavor, kRowThreads, body);
}

llvm::Function *emitAttentionValuesKernel(llvm::Module &module, llvm::StringRef name,
                                          const AttentionSpec &spec, KernelFlavor flavor) {
  auto body = [&](llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                  llvm::ArrayRef<llvm::Value *> arguments, llvm::BasicBlock *done) {
    auto constant = [&](int64_t v) { return builder.getInt32(uint32_t(v)); };
    llvm::Value *t = elementIndex(builder, indices, arguments[3], done);
    // t = ((b * Sq + query) * H + h) * Dv + d: O's order. A warp's threads read consecutive
    // elements of V's rows and the same score.
    auto [d, bqh] = split(builder, t, spec.valueDepth, "d");
    auto [h, bq] = split(builder, bqh, spec.heads, "h");
    auto [query, b] = split(builder, bq, spec.queries, "query");
    llvm::Value *scores = builder.CreateMul(
        builder.CreateAdd(
            builder.CreateMul(builder.CreateAdd(builder.CreateMul(b, constant(spec.heads)), h),
                              constant(spec.queries)),
            query),
        constant(spec.keys));
    llvm::Value *values = builder.CreateAdd(
        builder.CreateMul(
            builder.CreateAdd(builder.CreateMul(b, constant(spec.keys * spec.heads)), h),
            constant(spec.valueDepth)),
        d);
    llvm::Value *keyStride = constant(spec.heads * spec.valueDepth);
    llvm::Value *sum = accumulateLoop(
        builder, spec.keys, llvm::ConstantFP::get(builder.getFloatTy(), 0.0),
        [&](llvm::Value *key, llvm::Value *acc) {
          return fma(builder, loadFloat(builder, arguments[1], builder.CreateAdd(scores, key)),
                     loadFloat(builder, arguments[2],
                               builder.CreateAdd(values, builder.CreateMul(key, keyStride))),
                     acc);
        },
        "values", kInnerUnroll);
    storeFloat(builder, sum, arguments[0], t);
    builder.CreateBr(done);
  };
  return finish(module, name, 3, flavor, kTransformerThreads, body);
}

} // namespace spcc::ptx
