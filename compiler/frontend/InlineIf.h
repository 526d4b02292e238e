//===- InlineIf.h - If nodes whose condition is known at compile time ----===//
//
// Exporters write `If` where the model branches on an input's size or on a constant (a sample
// rate, a sequence length). With the input shapes fixed, such a condition is known at compile
// time: the taken branch's nodes replace the If in the model proto, so the rest of the importer
// (ONNX's checker and shape inference included) sees a graph without control flow. A condition
// that depends on the input data is refused, naming the node.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_FRONTEND_INLINEIF_H
#define SPCC_FRONTEND_INLINEIF_H

#include "compiler/ir/Graph.h"

#include <functional>
#include <memory>

namespace onnx {
class ModelProto;
}

namespace spcc {

/// Imports a model proto into a Graph (the importer, given the caller's options).
using ProtoImporter = std::function<llvm::Expected<std::unique_ptr<Graph>>(onnx::ModelProto &)>;

/// Replaces every top-level If node of \p model by the nodes of its taken branch, repeatedly
/// (an inlined branch may hold Ifs of its own). Each condition is found by importing the part
/// of the model it depends on with \p import and folding it to a constant.
llvm::Error inlineConstantIfs(onnx::ModelProto &model, const ProtoImporter &import);

} // namespace spcc

#endif
