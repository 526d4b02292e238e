//===- LoadedSparseLayer.cpp - A sparse layer's code, runnable in-process ===//
#include "backends/x86/LoadedSparseLayer.h"

#include "backends/x86/SpmmEmitter.h"

#include <limits>

namespace spcc::x86 {

int vectorWidthOf(const TargetIsa &isa) { return isa.kernelLevel == "x86-64-v4" ? 16 : 8; }

int vectorWidthOf(const TargetIsa &isa, const SparseLayer &layer) {
  int widest = vectorWidthOf(isa);
  // A convolution's packed output permutes whole vectors of plane columns: it keeps the widest.
  if (layer.spec.compacted.planeWidth != 0) return widest;
  for (int width : {1, 4, 8})
    if (width < widest && layer.spec.n <= width) return width;
  return widest;
}

llvm::Expected<LoadedSparseLayer> LoadedSparseLayer::compile(KernelJit &jit,
                                                             const SparseLayer &layer,
                                                             const SpmmTiling &tiling,
                                                             const TargetIsa &isa) {
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("sparse_layer", *context);
  std::string name = jit.uniqueName("spcc_sparse_task");
  EmittedSparseTask emitted = emitSparseTask(*module, name, layer.spec, tiling,
                                             vectorWidthOf(isa, layer), /*exported=*/true);
  LoadedSparseLayer loaded;
  // The module (and then its context) is gone once compiled.
  auto address = jit.load(std::move(module), isa, name, &loaded.stats);
  if (!address) return address.takeError();
  auto launch = jit.libraryKernel(isa, "spcc_kernel_sparse");
  if (!launch) return launch.takeError();
  loaded.launch = *launch;
  loaded.params = launchParams(layer, emitted);
  loaded.params.task = reinterpret_cast<spcc_sparse_task_fn>(*address);
  // One image: the tuner times one, the tests check one.
  loaded.params.images = 1;
  loaded.tileWorkPrefix = std::move(emitted.tileWorkPrefix);
  loaded.workspace.assign(size_t(loaded.params.workspace_floats + 16),
                          std::numeric_limits<float>::quiet_NaN());
  return loaded;
}

void LoadedSparseLayer::run(const float *input, const float *residual, float *output, int threads) {
  spcc_sparse_params p = params;
  p.tile_work_prefix = tileWorkPrefix.data();
  auto address = reinterpret_cast<uintptr_t>(workspace.data());
  float *aligned = reinterpret_cast<float *>((address + 63) / 64 * 64);
  const void *in[2] = {input, residual};
  void *out[2] = {output, aligned};
  launch(in, out, &p, threads);
}

} // namespace spcc::x86
