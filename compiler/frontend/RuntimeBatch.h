//===- RuntimeBatch.h - Import a model whose batch is chosen at run time -===//
//
// `spcc model.onnx --shape input_ids=Nx128` leaves dim 0 of an input to run time. spcc then
// compiles the graph for one sample and the runtime repeats it per sample (spcc_run_batch), so
// every sample runs at the speed of the single-sample plan. That is right only when no output
// element depends on two samples; the import proves it: the model is imported at batch 1 and
// at a probe batch, and each node's sample rule (OpSchema::inferSampleLayouts) follows where the
// probe graph keeps its samples, while both graphs must agree on everything but the batch.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_FRONTEND_RUNTIMEBATCH_H
#define SPCC_FRONTEND_RUNTIMEBATCH_H

#include "compiler/frontend/OnnxImporter.h"

#include <functional>

namespace spcc {

/// True when \p options leave the batch of some input to run time (a --shape dim 0 of N).
bool hasRuntimeBatch(const ImportOptions &options);

/// Imports a model through \p importAt, which imports it with given options (from a file or a
/// buffer). Without a run-time batch in \p options this is one import. With one, the result is
/// the graph of one sample with its batched inputs and outputs recorded
/// (Graph::getBatchedTensors), or an error naming the node that would mix samples.
llvm::Expected<std::unique_ptr<Graph>> importWithRuntimeBatch(
    const ImportOptions &options,
    const std::function<llvm::Expected<std::unique_ptr<Graph>>(const ImportOptions &)> &importAt);

/// importWithRuntimeBatch for the ONNX file at \p path.
llvm::Expected<std::unique_ptr<Graph>> importModelFile(llvm::StringRef path,
                                                       const ImportOptions &options);

} // namespace spcc

#endif
