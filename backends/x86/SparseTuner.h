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
  /// When not empty, the candidates timed are those of the layer's that are among these (all
  /// of them where none is).
  std::vector<SpmmTiling> onlyTilings;
};

/// FMAs per step above which only the compact loop is tried, unless the model grants a layer
/// more (see unrolledBudgets).
int64_t defaultUnrolledBudget(TuneLevel level);

/// Nonzeros of a model's smallest layers that may get straight-line code beyond the per-layer
/// default (unrolledBudgets). Each costs LLVM ~60-100 us per nonzero for every tiling the tuner
/// compiles and once more for the model: on BERT-base (29.5k-nonzero layers, no gain measured)
/// about 20 s of compilation, on MobileNet V1 (five 26k-nonzero layers, 1.6x faster each) 20 s.
constexpr int64_t kModelUnrolledNonzeros = 140000;

/// The same, for layers at least kReusedDensity dense: a straight-line tile of 24-28 rows then
/// feeds each slice of B it loads to 4-5 FMAs (2-3 at 90%, ~1.2 at 95%, where the loop's one load
/// per FMA costs hardly more), so more of them gain enough to pay for their compile time.
/// ResNet-50 80% against the 140000 above (AMD Zen 4, one thread, three interleaved rounds): the
/// model 26.4 -> 25.4 ms, two streams 74.3 -> 77.9 runs/s; compiled with an empty tuning cache
/// in 76.6 -> 97.2 s, peak memory 1.14 -> 1.59 GB. Every layer of BERT-base 95% and MobileNet
/// V1 90% is sparser, so their compilations do not change; MobileNet's layers granted as much (AMD
/// Zen 4) ran no faster (2.34-2.36 against 2.39-2.45 ms) and took 23 -> 45 s to compile.
constexpr int64_t kModelUnrolledNonzerosReused = 400000;
constexpr double kReusedDensity = 0.15;

/// A weight layer's size, as its straight-line budget depends on it.
struct UnrolledLayerSize {
  int64_t nonzeros = 0;
  /// Nonzeros over all weights.
  double density = 0;
};

UnrolledLayerSize unrolledLayerSize(const SparseTensor &weights);

/// Per-layer straight-line budgets for a model of \p layers: the default, raised to the layer's
/// nonzeros (one vector per step) for the smallest layers, as long as the nonzeros granted sum
/// to at most kModelUnrolledNonzeros, or kModelUnrolledNonzerosReused for layers at least
/// kReusedDensity dense. Small layers gain most from straight-line code and cost least to
/// compile.
std::vector<int64_t> unrolledBudgets(const std::vector<UnrolledLayerSize> &layers, TuneLevel level);

/// The chosen tiling with its code loaded, and every trial.
struct TunedLayer {
  SpmmTiling tiling;
  LoadedSparseLayer loaded;
  double seconds = 0;
  std::vector<TuningTrial> trials;
  /// Whether only the candidates among TuneOptions::onlyTilings were timed.
  bool narrowed = false;
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
