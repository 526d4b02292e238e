//===- InlineIf.h - If nodes whose condition is known at compile time ----===//
//
// Exporters write `If` where the model branches on an input's size or on a constant (a sample
// rate, a sequence length). With the input shapes fixed, such a condition is known at compile
// time: the taken branch's nodes replace the If in the model proto. A condition that depends on
// the input data is refused, naming the node.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_FRONTEND_INLINEIF_H
#define SPCC_FRONTEND_INLINEIF_H

#include "compiler/frontend/ProtoGraphs.h"

namespace spcc {

/// Replaces the If nodes at \p ifs (indices into the main graph, ascending; their conditions
/// depend on no control flow) by the nodes of their taken branches. The conditions are found
/// together, by one import of what they depend on.
llvm::Error inlineIfs(onnx::ModelProto &model, const std::vector<int> &ifs,
                      const ProtoImporter &import);

} // namespace spcc

#endif
