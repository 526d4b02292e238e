//===- ModelSummary.h - Human-readable overview of a graph ---------------===//
#ifndef SPCC_TOOLS_SPCC_MODELSUMMARY_H
#define SPCC_TOOLS_SPCC_MODELSUMMARY_H

#include "compiler/ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

namespace spcc {

/// Prints the op histogram, then one row per layer with a weight (MatMul, Gemm, Conv): its
/// output type, weight shape, nonzero count and sparsity, then the total over all weights.
void printModelSummary(const Graph &graph, llvm::raw_ostream &os);

} // namespace spcc

#endif
