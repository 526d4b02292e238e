#include "compiler/eval/Interpreter.h"

#include "compiler/ops/OpSchema.h"

#include "llvm/ADT/DenseMap.h"

namespace spcc {

llvm::Expected<std::vector<Tensor>> interpretGraph(const Graph &graph,
                                                   const std::map<std::string, Tensor> &inputs) {
  llvm::DenseMap<const Value *, Tensor> env;
  for (Value *in : graph.getInputs()) {
    auto it = inputs.find(in->getName());
    if (it == inputs.end())
      return makeError(ErrorCode::InvalidArgument,
                       "no data given for input '" + in->getName() + "'");
    if (it->second.getType() != in->getType())
      return makeError(ErrorCode::Shape, "input '" + in->getName() + "' expects " +
                                             in->getType().str() + ", got " +
                                             it->second.getType().str());
    env[in] = it->second;
  }
  for (const auto &[name, tensor] : inputs)
    if (!graph.findValue(name) || !llvm::is_contained(graph.getInputs(), graph.findValue(name)))
      return makeError(ErrorCode::InvalidArgument, "the model has no input named '" + name + "'");

  auto lookup = [&](const Value *v) -> Tensor {
    if (!v) return Tensor();
    if (v->isConstant()) return v->getConstant();
    return env.lookup(v);
  };
  // Drop each activation after its last reader to keep peak memory at a model's working set.
  llvm::DenseMap<const Value *, const Node *> lastReader;
  for (Node *node : graph.getNodes())
    for (Value *in : node->getInputs()) lastReader[in] = node;

  for (Node *node : graph.getNodes()) {
    llvm::SmallVector<Tensor, 4> args;
    for (Value *in : node->getInputs()) args.push_back(lookup(in));
    auto outs = node->getSchema().evaluate(*node, args);
    if (!outs) return outs.takeError();
    for (size_t i = 0; i < node->getNumOutputs(); ++i) {
      const Tensor &t = (*outs)[i];
      if (t.getType() != node->getOutput(i)->getType())
        return nodeError(*node, ErrorCode::Internal,
                         "evaluation produced " + t.getType().str() + " for output '" +
                             node->getOutput(i)->getName() + "' of type " +
                             node->getOutput(i)->getType().str());
      env[node->getOutput(i)] = t;
    }
    for (Value *in : node->getInputs())
      if (in && lastReader.lookup(in) == node && !graph.isGraphOutput(in)) env.erase(in);
  }
  std::vector<Tensor> results;
  for (const GraphOutput &out : graph.getOutputs()) results.push_back(lookup(out.value));
  return results;
}

} // namespace spcc
