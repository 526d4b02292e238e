//===- ModelCompiler.h - spcc -o: from an optimized graph to a model .so --===//
#ifndef SPCC_BACKENDS_X86_MODELCOMPILER_H
#define SPCC_BACKENDS_X86_MODELCOMPILER_H

#include "backends/x86/CompileReport.h"
#include "backends/x86/SparseTuner.h"
#include "compiler/ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace spcc::x86 {

struct CompileOptions {
  /// --target: "host", "x86-64-v3" or "x86-64-v4".
  std::string target = "x86-64-v3";
  /// The shared library to write.
  std::string outputPath;
  /// The running spcc executable, to find an installed kernel library next to it (may be empty).
  std::string executablePath;
  /// Threads code generation may use (-j): the model and each sparse layer are separate LLVM
  /// modules compiled in parallel; 0 = one per core.
  unsigned threads = 0;
  /// --tune: how sparse layers are chosen and tiled (measured on this host when it can run the
  /// target, by the cost model otherwise).
  TuneLevel tune = TuneLevel::Fast;
  /// Threads the layers are tuned for (as at inference); 0 = all cores.
  int tuneThreads = 0;
  /// --dense: every layer runs the dense kernels (the baseline sparse code is measured against).
  bool denseOnly = false;
  /// Keep activations between sparse MatMuls feature-major (LayoutSelection); off: every sparse
  /// MatMul transposes its input and result (--token-major, the ablation baseline).
  bool selectLayouts = true;
  /// Keep the tuner's choice of computing an unrolled layer's rows in tile-greedy order
  /// (RowOrder.h) where it measured faster; off: every layer computes its rows in stored order
  /// (--no-permute, the ablation baseline of weight permutation).
  bool permuteRows = true;
  /// --tune-cache: the file tuning decisions are kept in across compilations (TuneCache);
  /// empty: none.
  std::string tuneCachePath;
  /// Stage progress, sizes and the per-layer table go here when set.
  llvm::raw_ostream *log = nullptr;
  /// Filled with the per-layer decisions, sizes and times when set (--report).
  CompileReport *report = nullptr;
};

/// Lowers every node of the memory-planned \p graph to a kernel call (failing on the first node
/// the kernel library cannot run, naming it), emits the model's code and data through LLVM, and
/// links it with the target's kernel library into options.outputPath.
llvm::Error compileModel(const Graph &graph, const CompileOptions &options);

} // namespace spcc::x86

#endif
