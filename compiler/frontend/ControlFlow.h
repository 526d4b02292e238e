//===- ControlFlow.h - If, Loop and Scan resolved at compile time --------===//
//
// spcc compiles a graph without control flow: before import, every If is replaced by its taken
// branch (InlineIf.h) and every Loop and Scan by its unrolled iterations (UnrollLoops.h), so the
// rest of the importer (ONNX's checker and shape inference included) sees a plain graph. What
// decides them (a condition, a trip count, a sequence's length) must be known at compile time
// from constants and the fixed input shapes; otherwise the node is refused by name.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_FRONTEND_CONTROLFLOW_H
#define SPCC_FRONTEND_CONTROLFLOW_H

#include "compiler/frontend/ProtoGraphs.h"

namespace spcc {

/// Resolves every If, Loop and Scan of \p model's main graph, repeatedly (an inlined branch or
/// an unrolled body may hold control flow of its own), using \p import to find what decides
/// each one.
llvm::Error resolveControlFlow(onnx::ModelProto &model, const ProtoImporter &import);

} // namespace spcc

#endif
