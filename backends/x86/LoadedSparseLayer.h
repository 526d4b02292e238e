//===- LoadedSparseLayer.h - A sparse layer's code, runnable in-process --===//
#ifndef SPCC_BACKENDS_X86_LOADEDSPARSELAYER_H
#define SPCC_BACKENDS_X86_LOADEDSPARSELAYER_H

#include "backends/common/sparse/SparseLayer.h"
#include "backends/common/sparse/SpmmTiling.h"
#include "backends/x86/KernelJit.h"

namespace spcc::x86 {

/// The widest SIMD width in floats of the generated code for \p isa (16 with AVX-512, else 8).
int vectorWidthOf(const TargetIsa &isa);

/// The SIMD width of \p layer's code: the widest, except for a product of fewer positions than
/// a vector (a classifier's one row, a recurrent step, a small batch of tokens), which runs on
/// the narrowest of 1, 4 and 8 floats that holds them, not on a wide vector's masked lanes.
int vectorWidthOf(const TargetIsa &isa, const SparseLayer &layer);

/// A SparseLayer whose task was generated with one tiling, compiled for the host and loaded
/// (KernelJit): what the tuner measures, the kernel tests check and spcc-kbench times.
class LoadedSparseLayer {
public:
  static llvm::Expected<LoadedSparseLayer> compile(KernelJit &jit, const SparseLayer &layer,
                                                   const SpmmTiling &tiling, const TargetIsa &isa);

  /// Runs the layer on one image through the kernel library's spcc_kernel_sparse, as a model
  /// does, in a workspace of its own (so one call at a time); \p residual is null unless the
  /// epilogue adds one.
  void run(const float *input, const float *residual, float *output, int threads);
  const ObjectStats &getStats() const { return stats; }

private:
  spcc_sparse_params params{};
  spcc_kernel_fn launch = nullptr;
  std::vector<int64_t> tileWorkPrefix;
  /// workspace_floats floats from the first 64-byte boundary; NaN until the layer writes them,
  /// so reading scratch it did not write shows in the output.
  std::vector<float> workspace;
  ObjectStats stats;
};

} // namespace spcc::x86

#endif
