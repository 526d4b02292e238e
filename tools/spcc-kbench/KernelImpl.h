//===- KernelImpl.h - One implementation spcc-kbench times ---------------===//
#ifndef SPCC_TOOLS_KBENCH_KERNELIMPL_H
#define SPCC_TOOLS_KBENCH_KERNELIMPL_H

#include "tools/spcc-kbench/KernelProblem.h"

#include <memory>
#include <string>

namespace spcc::kbench {

/// An implementation of the problems (spcc's generated kernels, or a peer library). prepare()
/// does everything that is not part of one inference (code generation, weight packing,
/// allocation); run() computes C once and is what gets timed.
class KernelImpl {
public:
  virtual ~KernelImpl() = default;
  /// The CSV name: spcc, libxsmm, onednn, eigen.
  virtual std::string name() const = 0;
  /// Readies \p problem for \p threads threads. Returns an empty string on success, otherwise
  /// why this implementation cannot run the problem (the row is reported as skipped).
  virtual std::string prepare(const KernelProblem &problem, int threads) = 0;
  virtual void run() = 0;
  /// C after run(): outputSize() floats in the problem's layout.
  virtual const float *output() const = 0;
  /// What was chosen for the problem (spcc's tiling, LIBXSMM's path, ...), for the CSV.
  virtual std::string variant() const { return ""; }
};

std::unique_ptr<KernelImpl> createSpccImpl();
std::unique_ptr<KernelImpl> createLibxsmmImpl();
std::unique_ptr<KernelImpl> createOnednnImpl();
std::unique_ptr<KernelImpl> createEigenImpl();

} // namespace spcc::kbench

#endif
