//===- ModelEmitter.h - LLVM IR of a compiled model ----------------------===//
#ifndef SPCC_BACKENDS_X86_MODELEMITTER_H
#define SPCC_BACKENDS_X86_MODELEMITTER_H

#include "backends/common/KernelLowering.h"
#include "compiler/ir/Graph.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>

namespace spcc::x86 {

/// Builds the module of a model .so (runtime/ModelAbi.h) from a memory-planned graph and its
/// kernel plan: \p calls holds one KernelCall per node of graph.getNodes(), in that order. The
/// module holds the weights (every constant a node or an output reads) as 64-byte aligned
/// read-only data, each node's parameter bytes, the input/output tables, the descriptor
/// recording \p kernelLevel, the exported `spcc_model_descriptor_v1`, and the run function
/// calling the kernels in node order with intermediates at their arena offsets and graph
/// outputs written to the caller's buffers. The module has no target triple yet.
llvm::Expected<std::unique_ptr<llvm::Module>> emitModelModule(const Graph &graph,
                                                              llvm::ArrayRef<KernelCall> calls,
                                                              llvm::StringRef kernelLevel,
                                                              llvm::LLVMContext &context);

} // namespace spcc::x86

#endif
