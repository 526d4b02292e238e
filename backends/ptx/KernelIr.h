//===- KernelIr.h - IR pieces the GPU kernel generators share ------------===//
//
// Index and loop scaffolding, constant data baked into a kernel module, and the math the
// kernels need beyond LLVM's portable operations. NVPTX has no library to lower llvm.exp to, so
// exp is built from arithmetic and bit operations: both kernel flavors then compute the very
// same values.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_KERNELIR_H
#define SPCC_BACKENDS_PTX_KERNELIR_H

#include "backends/ptx/KernelFlavor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/IR/GlobalVariable.h"

#include <functional>

namespace spcc::ptx {

/// `ptr addrspace(1)`, the type of every kernel's buffer parameters.
llvm::Type *globalPointer(llvm::LLVMContext &context);

/// `i = blockX * blockDimX + threadX`; branches to \p done unless i < count. Returns i (i32).
llvm::Value *elementIndex(llvm::IRBuilder<> &builder, const ThreadIndices &indices,
                          llvm::Value *count, llvm::BasicBlock *done);

/// A counted loop `for (v = 0; v < count; ++v)` (count >= 1) around \p body, which gets v (i32)
/// and the accumulator and returns the new accumulator. Returns the final accumulator. A
/// nonzero \p unrollCount caps how far LLVM unrolls it, 1 keeps it a loop in the PTX and in
/// ptxas (a fully unrolled row loop holds every loaded element in registers).
llvm::Value *accumulateLoop(llvm::IRBuilder<> &builder, int64_t count, llvm::Value *initial,
                            const std::function<llvm::Value *(llvm::Value *, llvm::Value *)> &body,
                            const char *label, int unrollCount = 0);

/// A loop `for (v = begin; v < end; ++v)` over i32 bounds known only at run time (none when
/// begin >= end); as accumulateLoop otherwise.
llvm::Value *accumulateRange(llvm::IRBuilder<> &builder, llvm::Value *begin, llvm::Value *end,
                             llvm::Value *initial,
                             const std::function<llvm::Value *(llvm::Value *, llvm::Value *)> &body,
                             const char *label);

/// \p values as read-only data in global memory of \p module, named \p name.
llvm::GlobalVariable *bakeFloats(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<float> values);
llvm::GlobalVariable *bakeInt32s(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<int32_t> values);
llvm::GlobalVariable *bakeInt16s(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<uint16_t> values);
llvm::GlobalVariable *bakeInt64s(llvm::Module &module, const llvm::Twine &name,
                                 llvm::ArrayRef<int64_t> values);

/// Loads the float at element \p index (i32) of \p base.
llvm::Value *loadFloat(llvm::IRBuilder<> &builder, llvm::Value *base, llvm::Value *index);
/// Stores \p value at element \p index (i32) of \p base.
void storeFloat(llvm::IRBuilder<> &builder, llvm::Value *value, llvm::Value *base,
                llvm::Value *index);

/// exp(\p x) for float \p x: 2^n times a polynomial of the fraction (relative error below 1e-6
/// for |x| <= 10); inputs below -87 give ~1e-38 rather than 0, above 88 ~1.7e38.
llvm::Value *emitExp(llvm::IRBuilder<> &builder, llvm::Value *x);

/// tanh(\p x) through emitExp (absolute error < 1e-7).
llvm::Value *emitTanh(llvm::IRBuilder<> &builder, llvm::Value *x);

} // namespace spcc::ptx

#endif
