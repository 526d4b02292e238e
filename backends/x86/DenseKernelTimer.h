//===- DenseKernelTimer.h - Timing the dense kernel a layer would run ----===//
#ifndef SPCC_BACKENDS_X86_DENSEKERNELTIMER_H
#define SPCC_BACKENDS_X86_DENSEKERNELTIMER_H

#include "backends/common/KernelLowering.h"
#include "backends/x86/KernelJit.h"
#include "compiler/ir/Node.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace spcc::x86 {

/// The target's dense kernel library (the module build of the archive models link) loaded
/// into the compiler (KernelJit::libraryKernel), so that sparse and dense are compared by
/// measuring the code a model would really run.
class DenseKernelTimer {
public:
  DenseKernelTimer(KernelJit &jit, TargetIsa isa) : jit(jit), isa(std::move(isa)) {}

  /// Seconds per call of \p call for \p node on \p threads threads: constant inputs hold their
  /// data, other float inputs random values.
  llvm::Expected<double> time(const Node &node, const KernelCall &call, int threads,
                              double minSeconds);

private:
  KernelJit &jit;
  TargetIsa isa;
};

} // namespace spcc::x86

#endif
