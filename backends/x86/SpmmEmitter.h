//===- SpmmEmitter.h - LLVM IR of a pattern-specialized sparse product ---===//
#ifndef SPCC_BACKENDS_X86_SPMMEMITTER_H
#define SPCC_BACKENDS_X86_SPMMEMITTER_H

#include "backends/common/sparse/SparseLayer.h"
#include "backends/common/sparse/SpmmTiling.h"

#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"

namespace spcc::x86 {

/// A generated task and what its launcher needs to know about it.
struct EmittedSparseTask {
  /// `void name(const spcc_sparse_task_args *)` (runtime/kernels/SparseParams.h).
  llvm::Function *task = nullptr;
  /// Nonzeros before each row tile (tile count + 1 entries), for balancing threads.
  std::vector<int64_t> tileWorkPrefix;
  /// Positions per microkernel step.
  int64_t nStep = 0;
  /// Floats of scratch each call of the task needs (packed blocks of B).
  int64_t scratchFloats = 0;
};

/// Emits into \p module the task computing \p spec with \p tiling, for SIMD vectors of
/// \p vectorWidth floats (16: AVX-512, 8: AVX2). The weights become code and constants of the
/// module; the function is internal unless \p exported.
EmittedSparseTask emitSparseTask(llvm::Module &module, llvm::StringRef name,
                                 const SparseKernelSpec &spec, const SpmmTiling &tiling,
                                 int vectorWidth, bool exported = false);

/// \p layer's launch parameters for \p task: tile count and step filled in; the task and tile
/// table pointers stay null (the caller knows where the code and the table live).
spcc_sparse_params launchParams(const SparseLayer &layer, const EmittedSparseTask &task);

/// Whether \p tiling copies blocks of B into a buffer for a layer of \p n positions and steps
/// of \p step: asked for, and for a loop with reduction blocks, one step per position block (or
/// n at most one step: the copy is then padded with zeros to whole vectors) and the buffer
/// within kMaxPackedBytes; for straight-line tiles, without reduction blocks, position blocks
/// of a step or more, and n of a step or more.
bool packsB(const SpmmTiling &tiling, int64_t n, int64_t step);
/// The largest packed block of B (in the calling thread's scratch): a quarter of Zen 4's L2.
inline constexpr int64_t kMaxPackedBytes = 256 * 1024;

/// Registers free for accumulators with \p vectorWidth-float vectors: the register tile
/// (rowTile x vectors) plus one B slice must fit.
int accumulatorRegisters(int vectorWidth);

} // namespace spcc::x86

#endif
