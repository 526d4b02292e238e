//===- SparseSelection.cpp - Which layers run generated sparse code ------===//
#include "backends/x86/SparseSelection.h"

#include "backends/x86/ColdRunTimer.h"
#include "backends/x86/SpmmEmitter.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace spcc::x86 {
namespace {

/// Weights (or code) larger than this do not stay in one core's caches between runs.
constexpr double kCachedBytes = 2.0 * 1024 * 1024;
/// One core's share of memory bandwidth, in bytes per cycle (~25 GB/s at 3 GHz).
constexpr double kMemoryBytesPerCycle = 8.0;

/// The same share in bytes per second (~3 GHz).
constexpr double kMemoryBytesPerSecond = kMemoryBytesPerCycle * 3e9;

/// Cycles to stream \p bytes from memory on every run, where they do not stay in cache.
double streamCycles(double bytes) {
  return bytes > kCachedBytes ? bytes / kMemoryBytesPerCycle : 0.0;
}

/// Bytes of the dense kernel's weights.
double denseWeightBytes(const SparseLayer &layer) {
  return 4.0 * double(layer.spec.weights.getRows()) * double(layer.spec.weights.getCols());
}

/// Estimated cycles of the dense kernel: a good GEMM reaches ~80% of the FMA peak, and a large
/// matrix with few columns (a matrix-vector product) is bound by reading its weights instead.
double estimateDenseCycles(const SparseLayer &layer) {
  const SparseTensor &a = layer.spec.weights;
  double flops = 2.0 * double(a.getRows()) * double(a.getCols()) * double(layer.spec.n);
  double peakPerCycle = 32.0; // two 256-bit or one 512-bit FMA per cycle
  return std::max(flops / (0.8 * peakPerCycle), streamCycles(denseWeightBytes(layer)));
}

/// Bytes of generated code's weights: as code (straight-line tiles, ~7 bytes per nonzero and
/// vector), as values and column indices (loops, 8 bytes per nonzero) or as every weight
/// (dense tiles).
double sparseWeightBytes(const SparseLayer &layer, const SpmmTiling &tiling) {
  double nonzeros = double(layer.spec.weights.getNumNonZeros());
  const SparseTensor &a = layer.spec.weights;
  if (tiling.schedule == SpmmTiling::Schedule::Dense)
    return double(a.getRows()) * double(a.getCols()) * 4.0 + double(a.getCols()) * 4.0;
  bool unrolled = tiling.schedule == SpmmTiling::Schedule::Unrolled;
  return unrolled ? nonzeros * tiling.vectors * 7.0 : nonzeros * 8.0;
}

/// The same bound for generated code.
double sparseStreamCycles(const SparseLayer &layer, const SpmmTiling &tiling) {
  return streamCycles(sparseWeightBytes(layer, tiling));
}

/// A time measured with the weights hot in cache (the tuner runs a layer back to back), raised
/// to the time of streaming them from memory where they do not stay in cache between a model's
/// runs: measured alone, a 1000 x 1024 classifier's 4 MB of dense weights ran in 0.03 ms, in
/// the model in 0.14 ms.
double inModelSeconds(double measured, double weightBytes) {
  return std::max(measured, weightBytes > kCachedBytes ? weightBytes / kMemoryBytesPerSecond : 0.0);
}

/// Sparse and dense timings closer than this ratio are measured again before deciding.
constexpr double kRecheckRatio = 1.5;

} // namespace

llvm::Expected<KernelChoice> chooseKernel(const Node &node, const SparseLayer &layer,
                                          const KernelCall &dense,
                                          const SelectionContext &context) {
  int width = vectorWidthOf(context.isa, layer);
  KernelChoice choice;
  std::vector<SpmmTiling> predicted =
      candidateTilings(layer, width, TuneLevel::None, context.unrolledBudget);
  choice.tiling = predicted.front();
  double sparseCycles = std::max(estimateCycles(layer, choice.tiling, width),
                                 sparseStreamCycles(layer, choice.tiling));
  double denseCycles = estimateDenseCycles(layer);
  bool measurable = context.jit && context.denseTimer && context.level != TuneLevel::None;
  // Far from break-even the model is trusted; near it, only measurements decide.
  if (!measurable || sparseCycles > 3 * denseCycles) {
    choice.sparse = sparseCycles < denseCycles;
    choice.sparseSeconds = choice.denseSeconds = std::nan("");
    if (context.level == TuneLevel::None)
      choice.decidedBy = "cost model (--tune=none)";
    else if (!measurable)
      choice.decidedBy = "cost model (this machine does not run the target)";
    else
      choice.decidedBy = "cost model (sparse estimated " +
                         std::to_string(int(sparseCycles / denseCycles)) + "x slower)";
    return choice;
  }
  TuneOptions options;
  options.level = context.level;
  options.threads = context.threads;
  options.unrolledBudget = context.unrolledBudget;
  options.compileThreads = context.compileThreads;
  options.onlyTilings = context.onlyTilings;
  SparseLayerTimer timer(layer);
  auto tuned = tuneSparseLayer(*context.jit, layer, context.isa, options, timer);
  if (!tuned) return tuned.takeError();
  auto denseSeconds =
      context.denseTimer->time(node, dense, context.threads, options.secondsPerCandidate);
  if (!denseSeconds) return denseSeconds.takeError();
  // The dense kernel is timed on the whole node, the generated task on one image.
  double images = double(layer.images());
  std::vector<double> sparseRuns = {tuned->seconds * images}, denseRuns = {*denseSeconds};
  // Near break-even, two more rounds of both, alternating: on a shared machine a burst of other
  // load during one of the two timings would otherwise decide (a 1024 x 1024 x 512 product at
  // 70% measured 5.7 ms sparse against 5.2 ms dense once, and 3.5-3.9 ms against 5.6-6.4 ms in
  // every other run).
  if (std::max(sparseRuns[0], denseRuns[0]) < kRecheckRatio * std::min(sparseRuns[0], denseRuns[0]))
    for (int round = 0; round < 2; ++round) {
      sparseRuns.push_back(
          timer.time(tuned->loaded, context.threads, options.secondsPerCandidate, options.caches) *
          images);
      auto again =
          context.denseTimer->time(node, dense, context.threads, options.secondsPerCandidate);
      if (!again) return again.takeError();
      denseRuns.push_back(*again);
    }
  choice.tiling = tuned->tiling;
  double sparseMeasured = medianOf(sparseRuns), denseMeasured = medianOf(denseRuns);
  choice.sparseSeconds = inModelSeconds(sparseMeasured, sparseWeightBytes(layer, choice.tiling));
  choice.denseSeconds = inModelSeconds(denseMeasured, denseWeightBytes(layer));
  choice.trials = std::move(tuned->trials);
  choice.sparse = choice.sparseSeconds < choice.denseSeconds;
  choice.decidedBy = "measured";
  if (tuned->narrowed)
    choice.decidedBy += " (only the tilings fastest in earlier layers of its shape)";
  if (choice.sparseSeconds > sparseMeasured || choice.denseSeconds > denseMeasured)
    choice.decidedBy += " (the weights do not stay in cache: streaming them bounds the time)";
  return choice;
}

} // namespace spcc::x86
