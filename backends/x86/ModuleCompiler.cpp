//===- ModuleCompiler.cpp - LLVM modules to objects, in parallel ---------===//
#include "backends/x86/ModuleCompiler.h"

#include "backends/x86/ObjectEmitter.h"
#include "compiler/support/Error.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace spcc::x86 {

llvm::Error compileModules(std::vector<ModuleJob> &jobs, const TargetIsa &isa, unsigned threads) {
  std::atomic<size_t> next{0};
  std::mutex failure;
  llvm::Error firstError = llvm::Error::success();
  auto worker = [&] {
    auto machine = createTargetMachine(isa);
    for (size_t i = next++; i < jobs.size(); i = next++) {
      auto start = std::chrono::steady_clock::now();
      llvm::Expected<llvm::SmallVector<char, 0>> object =
          machine ? emitObject(*jobs[i].module, **machine, isa.tuneCpu)
                  : llvm::Expected<llvm::SmallVector<char, 0>>(
                        makeError(ErrorCode::Internal, "no target machine"));
      if (!object) {
        std::lock_guard<std::mutex> lock(failure);
        if (!firstError)
          firstError = object.takeError();
        else
          llvm::consumeError(object.takeError());
        next = jobs.size();
        break;
      }
      jobs[i].object = std::move(*object);
      jobs[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      jobs[i].module.reset(); // free the IR as soon as it is machine code
    }
    if (!machine) llvm::consumeError(machine.takeError());
  };
  unsigned count = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  count = unsigned(std::min<size_t>(count, jobs.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < count; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread &t : pool) t.join();
  return firstError;
}

} // namespace spcc::x86
