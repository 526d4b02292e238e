//===- KernelTable.h - Declarations and a name table of the kernels -----===//
//
// Expands Kernels.def into the kernels' declarations and a table from symbol
// name to function, for code that calls kernels directly (tests, benchmarks).
// Generated models reach the kernels by symbol name at link time instead.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_KERNELTABLE_H
#define SPCC_RUNTIME_KERNELTABLE_H

#include "runtime/kernels/KernelAbi.h"

#include <cstring>

extern "C" {
#define SPCC_KERNEL(name)                                                                          \
  int32_t spcc_kernel_##name(const void *const *in, void *const *out, const void *params,          \
                             int32_t num_threads);
#include "runtime/kernels/Kernels.def"
}

namespace spcc {

/// One kernel: its symbol name and its function.
struct KernelEntry {
  const char *symbol;
  spcc_kernel_fn fn;
};

/// Every kernel of Kernels.def.
inline constexpr KernelEntry kernelTable[] = {
#define SPCC_KERNEL(name) {"spcc_kernel_" #name, &spcc_kernel_##name},
#include "runtime/kernels/Kernels.def"
};

/// The kernel named \p symbol, or nullptr.
inline spcc_kernel_fn lookupKernel(const char *symbol) {
  for (const KernelEntry &entry : kernelTable)
    if (std::strcmp(entry.symbol, symbol) == 0) return entry.fn;
  return nullptr;
}

} // namespace spcc

#endif
