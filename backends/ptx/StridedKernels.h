//===- StridedKernels.h - GPU kernels over elements at computed offsets ---===//
//
// One thread per output element, whose operands lie at offsets computed from the output's
// multi-index and each operand's strides (known at compile time, so the index arithmetic is by
// constants): elementwise ops with NumPy broadcasting (stride 0), Cast to float, Transpose (a
// Copy with permuted strides), and Gather.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_STRIDEDKERNELS_H
#define SPCC_BACKENDS_PTX_STRIDEDKERNELS_H

#include "backends/ptx/KernelFlavor.h"
#include "compiler/ir/DType.h"

#include <cstdint>
#include <vector>

namespace spcc::ptx {

/// Threads per block of the strided kernels.
inline constexpr int kStridedThreads = 256;

/// What a strided kernel computes from its one or two operands.
enum class StridedOp {
  Copy, // also Cast (the load converts) and Transpose (the strides permute)
  Relu,
  Tanh,
  Sqrt,
  Exp,
  Erf,
  Sigmoid,
  Neg,
  Reciprocal,
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
};

/// Whether \p op reads two operands.
bool isBinary(StridedOp op);

/// Where an operand's element for each output element lies, and how to read it.
struct StridedOperand {
  /// Float32, or Int64 / Int32 / Bool converted to float as they load.
  DType dtype = DType::Float32;
  /// Elements between neighbours along each output dimension (0: broadcast along it).
  std::vector<int64_t> strides;
  /// When not empty, the operand's values, baked into the kernel instead of read from its
  /// parameter.
  std::vector<float> constant;
};

struct StridedSpec {
  StridedOp op = StridedOp::Copy;
  std::vector<int64_t> outDims;
  std::vector<StridedOperand> operands; ///< one, or two for a binary op
};

/// Emits kernel \p name in \p flavor: parameters `ptr out, ptr a, ptr b, i32 count` (float32
/// output, row-major over spec.outDims); thread i < count computes out[i].
llvm::Function *emitStridedKernel(llvm::Module &module, llvm::StringRef name,
                                  const StridedSpec &spec, KernelFlavor flavor);

/// Gather of float32 data along one axis: data [outer, axisDim, inner] and numIndices indices
/// give out [outer, numIndices, inner]. A negative index counts from the end; one outside the
/// axis reads as zero (GPU programs have no error channel yet).
struct GatherSpec {
  int64_t outer = 1, axisDim = 1, inner = 1, numIndices = 1;
  DType indexType = DType::Int64; ///< Int64 or Int32
  /// When not empty, the data, baked into the kernel (an embedding table).
  std::vector<float> data;
  /// When not empty, the indices (indexType Int64), baked into the kernel.
  std::vector<int64_t> indices;
};

/// Emits kernel \p name: parameters `ptr out, ptr data, ptr indices, i32 count`.
llvm::Function *emitGatherKernel(llvm::Module &module, llvm::StringRef name, const GatherSpec &spec,
                                 KernelFlavor flavor);

} // namespace spcc::ptx

#endif
