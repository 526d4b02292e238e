//===- TuneCache.h - Tuning results kept across compilations -------------===//
#ifndef SPCC_BACKENDS_COMMON_TUNECACHE_H
#define SPCC_BACKENDS_COMMON_TUNECACHE_H

#include "backends/common/CompileOptions.h"
#include "backends/common/sparse/KernelChoice.h"
#include "backends/common/sparse/SparseLayer.h"

#include "llvm/ADT/StringMap.h"

#include <string>

namespace spcc {

/// Everything besides the layer that a tuning decision depends on.
struct TuningSetting {
  /// The machine code the layer is generated for, as the target describes it (CPU, features,
  /// kernel level).
  std::string target;
  TuneLevel level = TuneLevel::Fast;
  int threads = 0;
  /// Most FMAs per step of straight-line code the layer was allowed.
  int64_t unrolledBudget = 0;
};

/// The decisions of earlier compilations, keyed by a hash of everything a measurement depends
/// on (the layer's nonzero pattern and placement, epilogue, target, tuning level and threads),
/// so recompiling a model repeats its choices exactly (and the .so byte for byte) without
/// measuring again. A text file, one decision per line; unreadable lines are ignored.
class TuneCache {
public:
  /// Reads \p path if it exists (a missing file is an empty cache).
  static TuneCache load(std::string path);
  /// Writes the cache back (atomically), when it changed.
  llvm::Error save() const;

  static std::string keyOf(const SparseLayer &layer, const TuningSetting &setting);
  std::optional<KernelChoice> lookup(const std::string &key) const;
  void insert(const std::string &key, const KernelChoice &choice);

private:
  std::string path;
  llvm::StringMap<std::string> lines; ///< key -> "sparse tiling sparseSeconds denseSeconds"
  bool changed = false;
};

} // namespace spcc

#endif
