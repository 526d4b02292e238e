//===- PipelineFuzzer.cpp - libFuzzer target for the compile path --------===//
//
// Feeds arbitrary bytes through what `spcc -o` does before machine code: import, the default
// pass pipeline (verified after each pass), the check of the model's interface, sparse layer
// planning, the lowering of every node to a kernel call, and the LLVM IR of the model (plus one
// sparse task per planned layer, with the cost model's tiling). Any input must end in a module
// or an error: never a crash, an abort or a hang. Build with -DSPCC_FUZZ=ON (clang), run with
// `tools/fuzz.sh SECONDS pipeline`.
//
//===----------------------------------------------------------------------===//
#include "backends/common/KernelLowering.h"
#include "backends/common/ModelInterface.h"
#include "backends/common/sparse/SparsePlanning.h"
#include "backends/x86/ModelEmitter.h"
#include "backends/x86/SparseTuner.h"
#include "backends/x86/SpmmEmitter.h"
#include "compiler/frontend/OnnxImporter.h"
#include "passes/PassPipeline.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <cstddef>
#include <cstdint>

using namespace spcc;

namespace {

/// Runs the compile path on \p data up to LLVM IR; the first error ends it.
llvm::Error compileToIR(const uint8_t *data, size_t size) {
  auto graph = importOnnxBuffer(llvm::ArrayRef<uint8_t>(data, size), "fuzz", {});
  if (!graph) return graph.takeError();
  if (llvm::Error err = runDefaultPipeline(**graph, PipelineOptions())) return err;
  if (llvm::Error err = checkModelInterface(**graph)) return err;
  llvm::LLVMContext context;
  llvm::Module tasks("tasks", context);
  std::vector<KernelCall> calls;
  for (Node *node : (*graph)->getNodes()) {
    auto call = lowerToKernelCall(*node);
    if (!call) return call.takeError();
    calls.push_back(std::move(*call));
    // Small layers only: the emitter's time grows with the nonzeros.
    if (auto layer = planSparseLayer(*node); layer && layer->spec.weights.getNumNonZeros() < 4096) {
      SpmmTiling tiling = x86::candidateTilings(*layer, 8, TuneLevel::None).front();
      x86::emitSparseTask(tasks, "task", layer->spec, tiling, 8);
    }
  }
  auto module = x86::emitModelModule(**graph, calls, "x86-64-v3", context);
  return module ? llvm::Error::success() : module.takeError();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::consumeError(compileToIR(data, size));
  return 0;
}
