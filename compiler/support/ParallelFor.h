//===- ParallelFor.h - Independent work items on a few threads -----------===//
#ifndef SPCC_SUPPORT_PARALLELFOR_H
#define SPCC_SUPPORT_PARALLELFOR_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <cstddef>

namespace spcc {

/// The threads parallelFor starts for \p count items on up to \p threads (0: one per core).
unsigned parallelWorkers(size_t count, unsigned threads);

/// Runs \p work(index, worker) once for every index in [0, count) on parallelWorkers(count,
/// threads) threads, the calling one included; worker (below that count) names the thread, for
/// state a thread keeps from one item to the next. After the first failure no item starts;
/// that failure is returned.
llvm::Error parallelFor(size_t count, unsigned threads,
                        llvm::function_ref<llvm::Error(size_t index, unsigned worker)> work);

} // namespace spcc

#endif
