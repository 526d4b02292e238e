//===- Interpreter.h - Reference evaluation of a whole graph -------------===//
#ifndef SPCC_EVAL_INTERPRETER_H
#define SPCC_EVAL_INTERPRETER_H

#include "compiler/ir/Graph.h"

#include <map>

namespace spcc {

/// Runs \p graph with the ops' reference evaluations. \p inputs maps every graph input name to a
/// tensor of exactly the input's type. Returns the outputs in graph order.
llvm::Expected<std::vector<Tensor>> interpretGraph(const Graph &graph,
                                                   const std::map<std::string, Tensor> &inputs);

} // namespace spcc

#endif
