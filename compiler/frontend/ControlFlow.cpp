#include "compiler/frontend/ControlFlow.h"

#include "compiler/frontend/InlineIf.h"
#include "compiler/frontend/UnrollLoops.h"
#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

namespace spcc {

llvm::Error resolveControlFlow(onnx::ModelProto &model, const ProtoImporter &import) {
  onnx::GraphProto &graph = *model.mutable_graph();
  while (true) {
    // A node is ready when nothing it reads (its inputs, and what its subgraphs read from the
    // main graph) depends on unresolved control flow. Ready Ifs are resolved together; loops
    // one at a time.
    std::vector<int> readyIfs;
    int readyLoop = -1;
    bool any = false;
    for (int i = 0; i < graph.node_size(); ++i) {
      const onnx::NodeProto &node = graph.node(i);
      if (!isControlFlow(node)) continue;
      any = true;
      std::set<int> ancestors = ancestorsOf(graph, namesReadBy(node));
      if (std::any_of(ancestors.begin(), ancestors.end(),
                      [&](int a) { return isControlFlow(graph.node(a)); }))
        continue;
      if (isDefaultOp(node, "If"))
        readyIfs.push_back(i);
      else if (readyLoop < 0)
        readyLoop = i;
    }
    if (!any) return llvm::Error::success();
    if (!readyIfs.empty()) {
      if (llvm::Error err = inlineIfs(model, readyIfs, import)) return err;
    } else if (readyLoop >= 0) {
      const onnx::NodeProto &node = graph.node(readyLoop);
      if (llvm::Error err = isDefaultOp(node, "Loop") ? unrollLoop(model, readyLoop, import)
                                                      : unrollScan(model, readyLoop, import))
        return err;
    } else {
      return makeError(ErrorCode::BadModel,
                       "the control-flow nodes (If, Loop, Scan) depend on each other's outputs "
                       "(a cycle)");
    }
  }
}

} // namespace spcc
