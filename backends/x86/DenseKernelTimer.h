//===- DenseKernelTimer.h - Timing the dense kernel a layer would run ----===//
#ifndef SPCC_BACKENDS_X86_DENSEKERNELTIMER_H
#define SPCC_BACKENDS_X86_DENSEKERNELTIMER_H

#include "backends/common/KernelLowering.h"
#include "compiler/ir/Node.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace spcc::x86 {

/// The target's dense kernel library (the module build of the archive models link) loaded
/// into the compiler, so that sparse and dense are compared by measuring the code a model
/// would really run.
class DenseKernelTimer {
public:
  /// Loads libspcc_kernels_<level>.so (found as Linker.h's findKernelLibrary does).
  static llvm::Expected<std::unique_ptr<DenseKernelTimer>> open(llvm::StringRef kernelLevel,
                                                                llvm::StringRef executablePath);
  ~DenseKernelTimer();

  /// Seconds per call of \p call for \p node on \p threads threads: constant inputs hold their
  /// data, other float inputs random values.
  llvm::Expected<double> time(const Node &node, const KernelCall &call, int threads,
                              double minSeconds);

private:
  explicit DenseKernelTimer(void *handle) : handle(handle) {}
  void *handle;
};

} // namespace spcc::x86

#endif
