//===- LoadedSparseLayer.cpp - A sparse layer's code, runnable in-process ===//
#include "backends/x86/LoadedSparseLayer.h"

#include "backends/x86/SpmmEmitter.h"
#include "runtime/kernels/SparseLaunch.h"

namespace spcc::x86 {

int vectorWidthOf(const TargetIsa &isa) { return isa.kernelLevel == "x86-64-v4" ? 16 : 8; }

llvm::Expected<LoadedSparseLayer> LoadedSparseLayer::compile(KernelJit &jit,
                                                             const SparseLayer &layer,
                                                             const SpmmTiling &tiling,
                                                             const TargetIsa &isa) {
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("sparse_layer", *context);
  std::string name = jit.uniqueName("spcc_sparse_task");
  EmittedSparseTask emitted = emitSparseTask(*module, name, layer.spec, tiling,
                                             vectorWidthOf(isa), /*exported=*/true);
  LoadedSparseLayer loaded;
  // The module (and then its context) is gone once compiled.
  auto address = jit.load(std::move(module), isa, name, &loaded.stats);
  if (!address) return address.takeError();
  loaded.params = layer.params;
  loaded.tileWorkPrefix = std::move(emitted.tileWorkPrefix);
  loaded.params.task = reinterpret_cast<spcc_sparse_task_fn>(*address);
  loaded.params.tile_count = int64_t(loaded.tileWorkPrefix.size()) - 1;
  loaded.params.n_step = emitted.nStep;
  return loaded;
}

void LoadedSparseLayer::run(const float *input, const float *residual, float *output,
                            float *workspace, int threads) const {
  spcc_sparse_params p = params;
  p.tile_work_prefix = tileWorkPrefix.data();
  kernels::runSparse(p, input, residual, output, workspace, threads);
}

} // namespace spcc::x86
