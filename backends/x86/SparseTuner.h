//===- SparseTuner.h - Choosing a sparse layer's tiling ------------------===//
#ifndef SPCC_BACKENDS_X86_SPARSETUNER_H
#define SPCC_BACKENDS_X86_SPARSETUNER_H

#include "backends/common/CompileOptions.h"
#include "backends/common/sparse/KernelChoice.h"
#include "backends/x86/ColdRunTimer.h"
#include "backends/x86/LoadedSparseLayer.h"
#include "compiler/support/AlignedVector.h"

#include <optional>
#include <vector>

namespace spcc::x86 {

struct TuneOptions {
  TuneLevel level = TuneLevel::Fast;
  /// Threads the layer runs on (as at inference); <= 0: all.
  int threads = 0;
  /// Least time spent timing one candidate, in seconds (at least 3 runs each).
  double secondsPerCandidate = 0.02;
  /// Most FMAs per step a straight-line candidate may have (0: defaultUnrolledBudget).
  int64_t unrolledBudget = 0;
  /// Cold: each candidate timed as a model runs it; Warm: back to back (kernel benchmarks).
  CacheState caches = CacheState::Cold;
  /// Threads compiling a layer's candidates side by side before any is timed (0: one per core).
  unsigned compileThreads = 0;
};

/// FMAs per step above which only the compact loop is tried, unless the model grants a layer
/// more (see unrolledBudgets).
int64_t defaultUnrolledBudget(TuneLevel level);

/// Nonzeros of a model's smallest layers that may get straight-line code beyond the per-layer
/// default (unrolledBudgets). Each costs LLVM ~60-100 us per nonzero for every tiling the tuner
/// compiles and once more for the model: on BERT-base (29.5k-nonzero layers, no gain measured)
/// about 20 s of compilation, on MobileNet V1 (five 26k-nonzero layers, 1.6x faster each) 20 s.
constexpr int64_t kModelUnrolledNonzeros = 140000;

/// Per-layer straight-line budgets for a model whose weight layers have \p nonzeros each: the
/// default, raised to the layer's nonzeros (one vector per step) for the smallest layers
/// as long as their nonzeros sum to at most \p modelNonzeros. Small layers gain most from
/// straight-line code and cost least to compile.
std::vector<int64_t> unrolledBudgets(const std::vector<int64_t> &nonzeros, TuneLevel level,
                                     int64_t modelNonzeros);

/// The chosen tiling with its code loaded, and every trial.
struct TunedLayer {
  SpmmTiling tiling;
  LoadedSparseLayer loaded;
  double seconds = 0;
  std::vector<TuningTrial> trials;
};

/// Every tiling the tuner may choose for \p layer with \p vectorWidth-float vectors when
/// straight-line code may have \p unrolledBudget FMAs per step (before row permutation).
std::vector<SpmmTiling> offeredTilings(const SparseLayer &layer, int vectorWidth,
                                       int64_t unrolledBudget);

/// Whether \p tiling is one the tuner may choose for \p layer (offeredTilings, or an unrolled
/// one of them in permuted row order): a decision read from the tuning cache must be.
bool isOfferedTiling(const SparseLayer &layer, int vectorWidth, int64_t unrolledBudget,
                     const SpmmTiling &tiling);

/// The tilings worth trying for \p layer with \p vectorWidth-float vectors at \p level, the
/// cost model's favourite first.
std::vector<SpmmTiling> candidateTilings(const SparseLayer &layer, int vectorWidth, TuneLevel level,
                                         int64_t unrolledBudget = 0);

/// The cost model: estimated cycles of one run of \p layer with \p tiling on one core.
double estimateCycles(const SparseLayer &layer, const SpmmTiling &tiling, int vectorWidth);

/// Random data of a layer's shapes, in buffers aligned like the activation arena, on which
/// the tuner times each candidate (made once per layer, shared by every timing).
class SparseLayerTimer {
public:
  explicit SparseLayerTimer(const SparseLayer &layer);
  /// Seconds per run of \p loaded (code of this layer) on \p threads threads, its runs finding
  /// the caches as \p caches says.
  double time(LoadedSparseLayer &loaded, int threads, double minSeconds, CacheState caches);

private:
  AlignedVector<float> input, output, residual;
};

/// Generates, compiles and (unless the level is None) times the candidates on \p timer's data,
/// keeping the fastest.
llvm::Expected<TunedLayer> tuneSparseLayer(KernelJit &jit, const SparseLayer &layer,
                                           const TargetIsa &isa, const TuneOptions &options,
                                           SparseLayerTimer &timer);
/// The same on data of its own.
llvm::Expected<TunedLayer> tuneSparseLayer(KernelJit &jit, const SparseLayer &layer,
                                           const TargetIsa &isa, const TuneOptions &options);

} // namespace spcc::x86

#endif
