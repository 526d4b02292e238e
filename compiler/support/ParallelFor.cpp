//===- ParallelFor.cpp - Independent work items on a few threads ---------===//
#include "compiler/support/ParallelFor.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace spcc {

unsigned parallelWorkers(size_t count, unsigned threads) {
  unsigned available = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  return unsigned(std::max<size_t>(1, std::min<size_t>(available, count)));
}

llvm::Error parallelFor(size_t count, unsigned threads,
                        llvm::function_ref<llvm::Error(size_t index, unsigned worker)> work) {
  std::atomic<size_t> next{0};
  std::mutex failure;
  llvm::Error firstError = llvm::Error::success();
  auto run = [&](unsigned worker) {
    for (size_t i = next++; i < count; i = next++) {
      llvm::Error error = work(i, worker);
      if (!error) continue;
      std::lock_guard<std::mutex> lock(failure);
      if (!firstError)
        firstError = std::move(error);
      else
        llvm::consumeError(std::move(error));
      next = count;
    }
  };
  unsigned workers = parallelWorkers(count, threads);
  std::vector<std::thread> pool;
  for (unsigned worker = 1; worker < workers; ++worker) pool.emplace_back(run, worker);
  run(0);
  for (std::thread &thread : pool) thread.join();
  return firstError;
}

} // namespace spcc
