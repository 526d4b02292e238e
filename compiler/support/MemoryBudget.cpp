//===- MemoryBudget.cpp - How much more memory a compilation may take ----===//
#include "compiler/support/MemoryBudget.h"

#include "compiler/support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace spcc {
namespace {

struct ProcessMemory {
  uint64_t mappedBytes = 0;   ///< virtual size: what ulimit -v counts
  uint64_t residentBytes = 0; ///< resident set
};

ProcessMemory processMemory() {
  ProcessMemory memory;
  auto statm = llvm::MemoryBuffer::getFileAsStream("/proc/self/statm");
  if (!statm) return memory;
  llvm::SmallVector<llvm::StringRef> fields;
  (*statm)->getBuffer().split(fields, ' ');
  uint64_t pages = 0, page = uint64_t(sysconf(_SC_PAGESIZE));
  if (fields.size() > 1 && !fields[0].getAsInteger(10, pages)) memory.mappedBytes = pages * page;
  if (fields.size() > 1 && !fields[1].trim().getAsInteger(10, pages))
    memory.residentBytes = pages * page;
  return memory;
}

/// MemAvailable of /proc/meminfo: what the system can give without swapping.
std::optional<uint64_t> systemAvailableBytes() {
  auto meminfo = llvm::MemoryBuffer::getFileAsStream("/proc/meminfo");
  if (!meminfo) return std::nullopt;
  llvm::SmallVector<llvm::StringRef> lines;
  (*meminfo)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    if (!line.consume_front("MemAvailable:")) continue;
    llvm::StringRef number = line.trim(); // "12345 kB"
    number.consume_back("kB");
    uint64_t kib = 0;
    if (!number.trim().getAsInteger(10, kib)) return kib * 1024;
  }
  return std::nullopt;
}

void tighten(MemoryBudget &budget, uint64_t bytes, const char *bound, const char *remedy) {
  if (bytes < budget.bytes) budget = {bytes, bound, remedy};
}

std::string formatMiB(uint64_t bytes) {
  return llvm::formatv("{0:F1} MiB", double(bytes) / (1024.0 * 1024.0)).str();
}

// What the out-of-memory handler prints, composed before memory runs out.
char outOfMemoryLine[2048];
size_t outOfMemoryLength = 0;

void exitOutOfMemory(void *, const char *, bool) {
  llvm::sys::RunInterruptHandlers(); // removes the temporaries registered for signals
  ssize_t written = ::write(STDERR_FILENO, outOfMemoryLine, outOfMemoryLength);
  (void)written;
  ::_exit(exitCodeFor(ErrorCode::OutOfMemory));
}

} // namespace

MemoryBudget currentMemoryBudget(uint64_t maxMemoryBytes) {
  MemoryBudget budget;
  ProcessMemory memory = processMemory();
  rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    tighten(budget,
            uint64_t(limit.rlim_cur) - std::min<uint64_t>(limit.rlim_cur, memory.mappedBytes),
            "the address-space limit (ulimit -v)", "raise the limit");
  if (maxMemoryBytes != 0)
    tighten(budget, maxMemoryBytes - std::min(maxMemoryBytes, memory.residentBytes), "--max-memory",
            "raise --max-memory");
  else if (std::optional<uint64_t> available = systemAvailableBytes())
    tighten(budget, *available, "the memory this machine has available",
            "free memory, or allow more with --max-memory=SIZE");
  return budget;
}

llvm::Error checkMemoryNeed(uint64_t neededBytes, const llvm::Twine &what,
                            uint64_t maxMemoryBytes) {
  MemoryBudget budget = currentMemoryBudget(maxMemoryBytes);
  if (neededBytes <= budget.bytes) return llvm::Error::success();
  return makeError(ErrorCode::OutOfMemory, what + " needs about " + formatMiB(neededBytes) +
                                               " more memory, but " + budget.bound + " leaves " +
                                               formatMiB(budget.bytes) + ": " + budget.remedy);
}

std::optional<uint64_t> parseByteSize(llvm::StringRef text) {
  text = text.trim();
  if (!text.consume_back_insensitive("ib")) text.consume_back_insensitive("b");
  uint64_t scale = 1;
  if (!text.empty()) {
    switch (llvm::toLower(text.back())) {
    case 'k': scale = uint64_t(1) << 10; break;
    case 'm': scale = uint64_t(1) << 20; break;
    case 'g': scale = uint64_t(1) << 30; break;
    case 't': scale = uint64_t(1) << 40; break;
    default: break;
    }
    if (scale != 1) text = text.drop_back();
  }
  double value = 0;
  if (text.empty() || text.getAsDouble(value) || !(value >= 0) || value * double(scale) >= 9.2e18)
    return std::nullopt;
  return uint64_t(value * double(scale));
}

void installOutOfMemoryExit(llvm::StringRef tool, llvm::StringRef context) {
  MemoryBudget budget = currentMemoryBudget(0);
  std::string line = (tool + ": error: " + context + ": out of memory").str();
  if (!budget.bound.empty())
    line += " (" + budget.bound + " left " + formatMiB(budget.bytes) + " when it started)";
  line += "\n";
  outOfMemoryLength = std::min(line.size(), sizeof(outOfMemoryLine));
  std::memcpy(outOfMemoryLine, line.data(), outOfMemoryLength);
  llvm::remove_bad_alloc_error_handler();
  llvm::install_bad_alloc_error_handler(exitOutOfMemory);
}

} // namespace spcc
