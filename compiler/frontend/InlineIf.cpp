#include "compiler/frontend/InlineIf.h"

#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

namespace spcc {
namespace {

/// The values of the conditions of the If nodes at \p ifs.
llvm::Expected<std::vector<bool>> evaluateConditions(const onnx::ModelProto &model,
                                                     const std::vector<int> &ifs,
                                                     const ProtoImporter &import) {
  const onnx::GraphProto &graph = model.graph();
  std::vector<std::string> conditions;
  for (int i : ifs) conditions.push_back(graph.node(i).input(0));
  auto imported = importDependencies(model, conditions, import,
                                     "finding the condition of " + describe(graph.node(ifs[0])));
  if (!imported) return imported.takeError();
  std::vector<bool> values;
  for (size_t k = 0; k < ifs.size(); ++k) {
    const onnx::NodeProto &node = graph.node(ifs[k]);
    const Value *condition = findImported(**imported, conditions[k]);
    if (!condition || !condition->isConstant())
      return makeError(ErrorCode::Unsupported,
                       describe(node) + ": its condition '" + conditions[k] +
                           "' depends on the input data; spcc inlines an If only when the "
                           "condition is known at compile time (from constants and input shapes)");
    const Tensor &value = condition->getConstant();
    if (value.getNumElements() != 1)
      return makeError(ErrorCode::BadModel, describe(node) + ": the condition has " +
                                                llvm::Twine(value.getNumElements()) +
                                                " elements, not one");
    values.push_back(value.getAsInt(0) != 0);
  }
  return values;
}

} // namespace

llvm::Error inlineIfs(onnx::ModelProto &model, const std::vector<int> &ifs,
                      const ProtoImporter &import) {
  onnx::GraphProto &graph = *model.mutable_graph();
  for (int i : ifs) {
    const onnx::NodeProto &node = graph.node(i);
    if (node.input_size() != 1 || node.input(0).empty())
      return makeError(ErrorCode::BadModel, describe(node) + ": expected one input, the condition");
  }
  auto values = evaluateConditions(model, ifs, import);
  if (!values) return values.takeError();

  std::set<std::string> taken = namesIn(graph);
  google::protobuf::RepeatedPtrField<onnx::NodeProto> rewritten;
  size_t next = 0;
  for (int i = 0; i < graph.node_size(); ++i) {
    onnx::NodeProto &node = *graph.mutable_node(i);
    if (next >= ifs.size() || ifs[next] != i) {
      *rewritten.Add() = std::move(node);
      continue;
    }
    bool takenBranch = (*values)[next++];
    const char *wanted = takenBranch ? "then_branch" : "else_branch";
    const onnx::AttributeProto *attr = nullptr;
    for (const auto &a : node.attribute())
      if (a.name() == wanted && a.has_g()) attr = &a;
    if (!attr) return makeError(ErrorCode::BadModel, describe(node) + ": no " + wanted + " graph");
    onnx::GraphProto branch = attr->g();
    if (branch.output_size() != node.output_size())
      return makeError(ErrorCode::BadModel, describe(node) + ": its " + wanted + " has " +
                                                llvm::Twine(branch.output_size()) +
                                                " outputs, the node " +
                                                llvm::Twine(node.output_size()));
    NameMap renamer;
    renamer.renameDefinitions(branch, taken);
    renamer.apply(branch);
    for (auto &init : *branch.mutable_initializer()) *graph.add_initializer() = std::move(init);
    for (auto &init : *branch.mutable_sparse_initializer())
      *graph.add_sparse_initializer() = std::move(init);
    for (auto &inner : *branch.mutable_node()) *rewritten.Add() = std::move(inner);
    // The If's outputs become copies of the branch's, so every reader keeps its names.
    for (int k = 0; k < node.output_size(); ++k) {
      onnx::NodeProto *copy = rewritten.Add();
      copy->set_op_type("Identity");
      copy->set_name(node.name() + "/" + wanted + "/output" + std::to_string(k));
      copy->add_input(branch.output(k).name());
      copy->add_output(node.output(k));
    }
  }
  graph.mutable_node()->Swap(&rewritten);
  return llvm::Error::success();
}

} // namespace spcc
