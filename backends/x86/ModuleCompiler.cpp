//===- ModuleCompiler.cpp - LLVM modules to objects, in parallel ---------===//
#include "backends/x86/ModuleCompiler.h"

#include "backends/x86/ObjectEmitter.h"
#include "compiler/support/ParallelFor.h"

#include <chrono>

namespace spcc::x86 {

llvm::Error compileModules(std::vector<ModuleJob> &jobs, const TargetIsa &isa, unsigned threads) {
  // One target machine per thread, made on its first module.
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines(parallelWorkers(jobs.size(), threads));
  return parallelFor(jobs.size(), threads, [&](size_t i, unsigned worker) -> llvm::Error {
    auto start = std::chrono::steady_clock::now();
    if (!machines[worker]) {
      auto machine = createTargetMachine(isa);
      if (!machine) return machine.takeError();
      machines[worker] = std::move(*machine);
    }
    auto object = emitObject(*jobs[i].module, *machines[worker], isa.tuneCpu);
    if (!object) return object.takeError();
    jobs[i].object = std::move(*object);
    jobs[i].seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    jobs[i].module.reset(); // free the IR as soon as it is machine code
    return llvm::Error::success();
  });
}

} // namespace spcc::x86
