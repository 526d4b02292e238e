//===- MultiLevelModel.h - One model .so with code for several x86 levels -===//
#ifndef SPCC_BACKENDS_X86_MULTILEVELMODEL_H
#define SPCC_BACKENDS_X86_MULTILEVELMODEL_H

#include "backends/common/CompileOptions.h"
#include "backends/common/CompileReport.h"
#include "compiler/ir/Graph.h"

#include "llvm/ADT/ArrayRef.h"

#include <string>

namespace spcc::x86 {

/// Compiles \p graph once for each of \p targets (x86 --target names of distinct ISA levels,
/// e.g. x86-64-v3 and x86-64-v4) and writes to options.outputPath one model that carries them
/// all (runtime/ModelAbi.h, spcc_abi_variant): the lowest level's model with the others
/// embedded, of which the loader runs the highest the CPU has. \p report describes the highest
/// level's code, with the file's size.
llvm::Error compileMultiLevelModel(const Graph &graph, const CompileOptions &options,
                                   llvm::ArrayRef<std::string> targets, CompileReport &report);

} // namespace spcc::x86

#endif
