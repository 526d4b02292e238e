//===- TuneCache.h - Tuning results kept across compilations -------------===//
#ifndef SPCC_BACKENDS_COMMON_TUNECACHE_H
#define SPCC_BACKENDS_COMMON_TUNECACHE_H

#include "backends/common/CompileOptions.h"
#include "backends/common/sparse/KernelChoice.h"
#include "backends/common/sparse/SparseLayer.h"

#include "llvm/ADT/StringMap.h"

#include <set>
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
  /// Adds the decisions inserted since the last save to the file, when there are any: under an
  /// exclusive lock (compilations sharing the cache take turns), merged with the file as it is
  /// then (a key already there keeps its decision, unless this compilation replaced an unusable
  /// entry of it), written to a temporary and renamed. Called after each decision.
  llvm::Error save();

  static std::string keyOf(const SparseLayer &layer, const TuningSetting &setting);
  /// The decision kept for \p key, nothing when there is none, an error naming the entry
  /// when it cannot be read (the caller decides again).
  llvm::Expected<std::optional<KernelChoice>> lookup(const std::string &key) const;
  /// The file the cache is kept in (empty: none).
  const std::string &getPath() const { return path; }
  void insert(const std::string &key, const KernelChoice &choice);

private:
  std::string path;
  llvm::StringMap<std::string> lines; ///< key -> "sparse tiling sparseSeconds denseSeconds"
  std::set<std::string> added;        ///< keys inserted since the last save
  std::set<std::string> replaced;     ///< of those, keys that held an entry (unusable) at load
};

} // namespace spcc

#endif
