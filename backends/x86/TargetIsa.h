//===- TargetIsa.h - Which x86-64 machine a model is compiled for --------===//
#ifndef SPCC_BACKENDS_X86_TARGETISA_H
#define SPCC_BACKENDS_X86_TARGETISA_H

#include "llvm/Support/Error.h"

#include <string>

namespace spcc::x86 {

/// The machine code choices for one --target value.
struct TargetIsa {
  /// LLVM CPU name and feature string ("+avx2,-avx512f,..." or empty) for the generated code.
  std::string cpu;
  std::string features;
  /// The kernel library level linked in and recorded in the model ("x86-64-v3" or "x86-64-v4").
  std::string kernelLevel;
  /// The CPU whose scheduling and tuning the code follows (LLVM's "tune-cpu"), without using
  /// its instructions beyond `cpu`'s; empty: `cpu` itself.
  std::string tuneCpu;
};

/// Resolves a --target value: "x86-64-v3", "x86-64-v4", or "host": the highest of those two
/// levels this machine runs, tuned for its CPU, so that the model also runs on every other CPU
/// of that level (the loader checks the level; it could not check a CPU's every feature).
/// Fails for other names, or for a host without x86-64-v3.
llvm::Expected<TargetIsa> selectTargetIsa(llvm::StringRef name);

} // namespace spcc::x86

#endif
