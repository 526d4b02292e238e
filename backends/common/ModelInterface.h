//===- ModelInterface.h - What the runtime accepts of a model's interface --===//
#ifndef SPCC_BACKENDS_COMMON_MODELINTERFACE_H
#define SPCC_BACKENDS_COMMON_MODELINTERFACE_H

#include "compiler/ir/Graph.h"

#include "llvm/Support/Error.h"

namespace spcc {

/// Checks \p graph's inputs and outputs against the runtime's limits (runtime/ModelAbi.h: at most
/// SPCC_ABI_MAX_TENSORS of each, ranks up to SPCC_ABI_MAX_RANK): a model the loader would refuse
/// is refused when compiled instead, naming the tensor. Every target calls it first.
llvm::Error checkModelInterface(const Graph &graph);

} // namespace spcc

#endif
