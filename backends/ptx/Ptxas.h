//===- Ptxas.h - NVIDIA's PTX assembler, when installed -------------------===//
//
// ptxas turns PTX into a cubin for one architecture and reports each kernel's registers and
// spills. spcc uses it to embed a cubin beside the PTX (no JIT on that GPU) and its tests use it
// as the gate every generated PTX module must pass. It is optional: without it the PTX alone
// is embedded and the gate is skipped with a visible line.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_PTXAS_H
#define SPCC_BACKENDS_PTX_PTXAS_H

#include "backends/ptx/GpuArch.h"

#include "llvm/Support/Error.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spcc::ptx {

/// What ptxas -v says of one kernel.
struct PtxasKernelInfo {
  int registers = 0;
  int64_t spillStoreBytes = 0, spillLoadBytes = 0;
  int64_t stackFrameBytes = 0;
};

struct PtxasResult {
  std::vector<char> cubin;
  std::map<std::string, PtxasKernelInfo> kernels; ///< by entry name
  std::string log;                                ///< ptxas's full -v output
};

/// The ptxas to use: $CUDA_HOME/bin/ptxas, else ptxas on PATH, else
/// /usr/local/cuda/bin/ptxas; none when none of them exists.
std::optional<std::string> findPtxas();

/// Assembles \p ptx for \p arch with \p ptxas (-O3 -v). A ptxas failure is an Internal error
/// carrying its messages (generated PTX that does not assemble is spcc's fault).
llvm::Expected<PtxasResult> assemblePtx(const std::string &ptxas, llvm::StringRef ptx,
                                        const GpuArch &arch);

/// The per-kernel lines of ptxas -v output \p log.
std::map<std::string, PtxasKernelInfo> parsePtxasLog(llvm::StringRef log);

} // namespace spcc::ptx

#endif
