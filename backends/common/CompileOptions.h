//===- CompileOptions.h - What `spcc -o` asks of a target ----------------===//
#ifndef SPCC_BACKENDS_COMMON_COMPILEOPTIONS_H
#define SPCC_BACKENDS_COMMON_COMPILEOPTIONS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace spcc {

/// How much compile time tuning may spend (--tune).
enum class TuneLevel {
  None, ///< the cost model's choice, unmeasured
  Fast, ///< a few candidates around the cost model's choice, measured
  Full, ///< every candidate, measured
};

/// Parses "none", "fast" or "full".
std::optional<TuneLevel> parseTuneLevel(llvm::StringRef text);

struct CompileOptions {
  /// --target: one of the names the chosen Target accepts.
  std::string target;
  /// The shared library to write.
  std::string outputPath;
  /// The running spcc executable, to find an installed kernel library next to it (may be empty).
  std::string executablePath;
  /// Threads code generation may use (-j): the model and each sparse layer are separate LLVM
  /// modules compiled in parallel, and so are a layer's candidate tilings while tuning; 0 = one
  /// per core.
  unsigned threads = 0;
  /// --tune: how sparse layers are chosen and tiled (measured on this host when it can run the
  /// target, by the cost model otherwise).
  TuneLevel tune = TuneLevel::Fast;
  /// Threads each layer is timed on while tuning; 0 = all cores. One by default: a tiling is a
  /// per-core choice, and one core's timings rank the tilings steadily (docs/KERNELS.md, *Choosing
  /// a tiling*).
  int tuneThreads = 1;
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
  /// --max-memory: the most memory the compiling process may hold, in bytes; 0: what the
  /// address-space limit and the machine's available memory allow (MemoryBudget.h).
  uint64_t maxMemoryBytes = 0;
  /// --emulate-gpu: a GPU target's kernels compiled for the host and run by the runtime's
  /// emulated driver (checks indexing and arithmetic without a GPU).
  bool emulateGpu = false;
  /// --emit-ptx: a folder each GPU model's PTX module is also written to; empty: none.
  std::string emitPtxDir;
  /// Stage progress, sizes and the per-layer table go here when set.
  llvm::raw_ostream *log = nullptr;
  /// Warnings ("spcc: warning: ..." lines: something was ignored, the compile goes on) go here
  /// when set.
  llvm::raw_ostream *warnings = nullptr;
};

} // namespace spcc

#endif
