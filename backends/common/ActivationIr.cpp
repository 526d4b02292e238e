//===- ActivationIr.cpp - LLVM IR of the fused activations ---------------===//
#include "backends/common/ActivationIr.h"

#include "llvm/IR/Intrinsics.h"
#include "llvm/Support/MathExtras.h"

#include <iterator>

namespace spcc {

namespace {

llvm::Value *constant(llvm::Value *like, float value) {
  return llvm::ConstantFP::get(like->getType(), double(value));
}

llvm::Value *fma(llvm::IRBuilderBase &builder, llvm::Value *a, llvm::Value *b, llvm::Value *c) {
  return builder.CreateIntrinsic(llvm::Intrinsic::fma, {a->getType()}, {a, b, c});
}

} // namespace

llvm::Value *emitErf(llvm::IRBuilderBase &builder, llvm::Value *x) {
  // erf(x) = x * P(x^2) / Q(x^2) on [-4, 4]; erf is +-1 to float precision beyond.
  static constexpr float kP[] = {-2.72614225801306e-10f, 2.77068142495902e-08f,
                                 -2.10102402082508e-06f, -5.69250639462346e-05f,
                                 -7.34990630326855e-04f, -2.95459980854025e-03f,
                                 -1.60960333262415e-02f};
  static constexpr float kQ[] = {-1.45660718464996e-05f, -2.13374055278905e-04f,
                                 -1.68282697438203e-03f, -7.37332916720468e-03f,
                                 -1.42647390514189e-02f};
  llvm::Type *type = x->getType();
  llvm::Value *clamped = builder.CreateIntrinsic(
      llvm::Intrinsic::minnum, {type},
      {builder.CreateIntrinsic(llvm::Intrinsic::maxnum, {type}, {x, constant(x, -4.0f)}),
       constant(x, 4.0f)});
  llvm::Value *x2 = builder.CreateFMul(clamped, clamped);
  llvm::Value *p = constant(x, kP[0]);
  for (size_t i = 1; i < std::size(kP); ++i) p = fma(builder, x2, p, constant(x, kP[i]));
  llvm::Value *q = constant(x, kQ[0]);
  for (size_t i = 1; i < std::size(kQ); ++i) q = fma(builder, x2, q, constant(x, kQ[i]));
  return builder.CreateFDiv(builder.CreateFMul(clamped, p), q);
}

llvm::Value *emitFusedActivation(llvm::IRBuilderBase &builder, llvm::Value *x,
                                 const FusedActivation &activation) {
  // max(v, bound) and min(v, bound) as compare-and-select, which keeps NaN.
  auto atLeast = [&](llvm::Value *v, float bound) {
    return builder.CreateSelect(builder.CreateFCmpOLT(v, constant(v, bound)), constant(v, bound),
                                v);
  };
  auto atMost = [&](llvm::Value *v, float bound) {
    return builder.CreateSelect(builder.CreateFCmpOGT(v, constant(v, bound)), constant(v, bound),
                                v);
  };
  switch (activation.kind) {
  case FusedActivation::Kind::None: return x;
  case FusedActivation::Kind::Relu: return atLeast(x, 0.0f);
  case FusedActivation::Kind::Clip: return atMost(atLeast(x, activation.min), activation.max);
  case FusedActivation::Kind::Gelu: {
    llvm::Value *e =
        emitErf(builder, builder.CreateFMul(x, constant(x, float(llvm::numbers::inv_sqrt2))));
    return builder.CreateFMul(builder.CreateFMul(x, constant(x, 0.5f)),
                              builder.CreateFAdd(e, constant(x, 1.0f)));
  }
  }
  return x;
}

} // namespace spcc
