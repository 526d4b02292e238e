//===- GpuModelCompiler.h - A memory-planned graph to a GPU model .so -----===//
#ifndef SPCC_BACKENDS_PTX_GPUMODELCOMPILER_H
#define SPCC_BACKENDS_PTX_GPUMODELCOMPILER_H

#include "backends/common/CompileOptions.h"
#include "backends/common/CompileReport.h"
#include "backends/ptx/GpuArch.h"
#include "compiler/ir/Graph.h"

#include "llvm/Support/Error.h"

namespace spcc::ptx {

/// Compiles \p graph for \p arch into options.outputPath: a model .so of code kind
/// SPCC_ABI_CODE_GPU (PTX, and a cubin when ptxas is installed), or with \p emulate
/// SPCC_ABI_CODE_GPU_EMULATED (the same kernels compiled for the host). A node the GPU target
/// cannot run fails the compilation naming node, op and target.
llvm::Error compileGpuModel(const Graph &graph, const CompileOptions &options, const GpuArch &arch,
                            bool emulate, CompileReport &report);

} // namespace spcc::ptx

#endif
