//===- ActivationIr.h - LLVM IR of the fused activations -----------------===//
//
// What every target's generated code applies to a finished sum: the FusedActivation of a layer
// (Relu, Clip, erf Gelu) on a float or a vector of floats, so that the x86 and the GPU kernels
// compute the same values.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_ACTIVATIONIR_H
#define SPCC_BACKENDS_COMMON_ACTIVATIONIR_H

#include "compiler/ops/FusedEpilogue.h"

#include "llvm/IR/IRBuilder.h"

namespace spcc {

/// \p activation applied to \p x (float or a vector of floats). Relu and Clip keep NaN, as
/// ONNX's and the dense kernels do.
llvm::Value *emitFusedActivation(llvm::IRBuilderBase &builder, llvm::Value *x,
                                 const FusedActivation &activation);

/// erf(\p x) to float precision: a rational minimax approximation on [-4, 4].
llvm::Value *emitErf(llvm::IRBuilderBase &builder, llvm::Value *x);

} // namespace spcc

#endif
