//===- UnrollLoops.h - Loop and Scan unrolled at compile time ------------===//
//
// A Loop whose trip count (and condition) and a Scan whose sequence length are known at compile
// time become one copy of the body per iteration, spliced into the main graph in place of the
// node: loop-carried values flow from one copy to the next, each iteration's scan inputs are
// Gathers of their slice, and the scan outputs are stacked with Unsqueeze and Concat. Every
// later stage (constant folding, sparse code for constant weights, memory planning) then sees
// ordinary nodes. At most kMaxUnrolledIterations are unrolled per node.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_FRONTEND_UNROLLLOOPS_H
#define SPCC_FRONTEND_UNROLLLOOPS_H

#include "compiler/frontend/ProtoGraphs.h"

namespace spcc {

inline constexpr int64_t kMaxUnrolledIterations = 4096;

/// Unrolls the Loop at index \p index of the main graph (what it reads depends on no control
/// flow). Its trip count, its initial condition and, unless the body passes it through, the
/// condition each iteration computes must be known at compile time.
llvm::Error unrollLoop(onnx::ModelProto &model, int index, const ProtoImporter &import);

/// Unrolls the Scan at index \p index (opset 8's batched form and opset 9's), whose scan inputs'
/// lengths the fixed input shapes give.
llvm::Error unrollScan(onnx::ModelProto &model, int index, const ProtoImporter &import);

} // namespace spcc

#endif
