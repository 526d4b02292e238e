//===- KernelImpl.h - One implementation spcc-kbench times ---------------===//
#ifndef SPCC_TOOLS_KBENCH_KERNELIMPL_H
#define SPCC_TOOLS_KBENCH_KERNELIMPL_H

#include "tools/spcc-kbench/KernelProblem.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace spcc::kbench {

/// What an implementation generated for a problem (code generators only).
struct GeneratedCode {
  int64_t codeBytes = 0; ///< machine code of the kernel
  int64_t dataBytes = 0; ///< its read-only data (weights, offset tables)
  int64_t csrBytes = 0;  ///< the same weights as CSR (float values, int32 columns and row starts)
  double compileSeconds = 0; ///< LLVM code generation of the chosen kernel
};

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
  /// The code prepare() generated, for implementations that generate code per problem.
  virtual std::optional<GeneratedCode> generatedCode() const { return std::nullopt; }
};

/// Seconds of the fastest of \p runs calls of \p body after one warm-up call (how
/// implementations choose between their own variants in prepare()).
template <typename Body> double fastestSeconds(int runs, Body &&body) {
  body();
  double best = 1e30;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    body();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return best;
}

std::unique_ptr<KernelImpl> createSpccImpl();
std::unique_ptr<KernelImpl> createLibxsmmImpl();
std::unique_ptr<KernelImpl> createOnednnImpl();
std::unique_ptr<KernelImpl> createEigenImpl();

} // namespace spcc::kbench

#endif
