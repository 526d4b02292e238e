#include "compiler/ir/Verifier.h"

#include "compiler/eval/TypeInference.h"
#include "compiler/ops/OpSchema.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

namespace spcc {

llvm::Error verifyGraph(const Graph &graph) {
  llvm::StringSet<> names;
  llvm::DenseSet<const Value *> defined;
  auto fail = [](const llvm::Twine &message) { return makeError(ErrorCode::Internal, message); };

  for (const Value *v : graph.getValues()) {
    if (!names.insert(v->getName()).second)
      return fail("value name '" + v->getName() + "' is used twice");
    if (v->isConstant()) {
      if (v->getProducer()) return fail("constant '" + v->getName() + "' has a producer");
      if (v->getConstant().getType() != v->getType())
        return fail("constant '" + v->getName() + "' holds data of another type");
      defined.insert(v);
    }
  }
  for (const Value *in : graph.getInputs()) {
    if (in->isConstant() || in->getProducer())
      return fail("input '" + in->getName() + "' is not a plain input");
    defined.insert(in);
  }
  for (const Node *node : graph.getNodes()) {
    for (const Value *in : node->getInputs())
      if (in && !defined.count(in))
        return nodeError(*node, ErrorCode::Internal,
                         "reads '" + in->getName() + "' before it is defined");
    for (const Value *out : node->getOutputs()) {
      if (out->getProducer() != node)
        return nodeError(*node, ErrorCode::Internal,
                         "output '" + out->getName() + "' has another producer");
      if (!defined.insert(out).second)
        return nodeError(*node, ErrorCode::Internal,
                         "output '" + out->getName() + "' is defined twice");
    }
  }
  llvm::StringSet<> outputNames;
  for (const GraphOutput &out : graph.getOutputs()) {
    if (!out.value || !defined.count(out.value))
      return fail("graph output '" + out.name + "' refers to an undefined value");
    if (!outputNames.insert(out.name).second)
      return fail("graph output '" + out.name + "' is listed twice");
  }
  // The type check evaluates shape arithmetic, which needs a mutable graph only for its hooks.
  return inferGraphTypes(const_cast<Graph &>(graph), TypeInferenceMode::Check);
}

} // namespace spcc
