//===- TuneCache.h - Tuning results kept across compilations -------------===//
#ifndef SPCC_BACKENDS_X86_TUNECACHE_H
#define SPCC_BACKENDS_X86_TUNECACHE_H

#include "backends/x86/SparseSelection.h"

#include "llvm/ADT/StringMap.h"

#include <string>

namespace spcc::x86 {

/// Parses SpmmTiling::describe()'s form back ("unrolled-r8-v2-nb256").
std::optional<SpmmTiling> parseTiling(llvm::StringRef text);

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

  static std::string keyOf(const SparseLayer &layer, const SelectionContext &context);
  std::optional<KernelChoice> lookup(const std::string &key) const;
  void insert(const std::string &key, const KernelChoice &choice);

private:
  std::string path;
  llvm::StringMap<std::string> lines; ///< key -> "sparse tiling sparseSeconds denseSeconds"
  bool changed = false;
};

} // namespace spcc::x86

#endif
