//===- MemoryBudget.h - How much more memory a compilation may take ------===//
//
// A compilation holds a model's weights several times over (the graph, the LLVM module, the
// object code), so a large model can need more memory than the process may have. The
// compiler estimates what it will need before code generation and refuses by name when it
// does not fit; an allocation that fails anyway ends the process with one line and exit code 7
// (tools install outOfMemoryExit's handler).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_SUPPORT_MEMORYBUDGET_H
#define SPCC_SUPPORT_MEMORYBUDGET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace spcc {

/// Bytes this process may still allocate, and what bounds them.
struct MemoryBudget {
  uint64_t bytes = UINT64_MAX;
  std::string bound;  ///< e.g. "the address-space limit (ulimit -v)"; empty: nothing known
  std::string remedy; ///< what a user can do about the bound, e.g. "raise the limit"
};

/// The budget now: the address-space limit (ulimit -v) less what is mapped, and the memory the
/// system has available or, when \p maxMemoryBytes is not 0 (--max-memory), that total less
/// what the process holds; the smallest of them.
MemoryBudget currentMemoryBudget(uint64_t maxMemoryBytes);

/// Fails with ErrorCode::OutOfMemory, naming \p what and the bound, when \p neededBytes more
/// than the budget allows.
llvm::Error checkMemoryNeed(uint64_t neededBytes, const llvm::Twine &what, uint64_t maxMemoryBytes);

/// "512M", "8G", "1.5G", "300000000": a size in bytes (K, M, G, T are powers of 1024; an
/// optional trailing B or iB); nullopt when malformed or past 2^63.
std::optional<uint64_t> parseByteSize(llvm::StringRef text);

/// Makes every failed allocation (operator new, LLVM's and protobuf's included) end the process
/// with `TOOL: error: CONTEXT: out of memory ...` on stderr and exit code 7, after removing the
/// temporary files registered for removal on a signal. \p context (the model's path) is copied
/// now: nothing is allocated when memory has run out.
void installOutOfMemoryExit(llvm::StringRef tool, llvm::StringRef context);

} // namespace spcc

#endif
