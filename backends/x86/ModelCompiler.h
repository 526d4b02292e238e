//===- ModelCompiler.h - spcc -o for x86-64: from a graph to a model .so --===//
#ifndef SPCC_BACKENDS_X86_MODELCOMPILER_H
#define SPCC_BACKENDS_X86_MODELCOMPILER_H

#include "backends/common/CompileOptions.h"
#include "backends/common/CompileReport.h"
#include "compiler/ir/Graph.h"

namespace spcc::x86 {

/// Lowers every node of the memory-planned \p graph to a kernel call (failing on the first node
/// the kernel library cannot run, naming it), chooses generated sparse code or the dense kernel
/// for each weight layer, emits the model's code and data through LLVM for options.target, and
/// links it with the target's kernel library into options.outputPath. Fills \p report.
llvm::Error compileModel(const Graph &graph, const CompileOptions &options, CompileReport &report);

} // namespace spcc::x86

#endif
