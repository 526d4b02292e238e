#include "compiler/frontend/InlineIf.h"

#include "compiler/eval/ConstantFolder.h"
#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <set>

namespace spcc {
namespace {

bool isIf(const onnx::NodeProto &node) {
  return (node.domain().empty() || node.domain() == "ai.onnx") && node.op_type() == "If";
}

std::string describe(const onnx::NodeProto &node) {
  return "node '" + node.name() + "' (" + node.op_type() + ")";
}

/// The indices of the nodes \p names depend on, in model order (inputs of nested graphs count).
std::set<int> ancestorsOf(const onnx::GraphProto &graph, std::vector<std::string> names) {
  std::map<std::string, int> producer;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &out : graph.node(i).output()) producer[out] = i;
  std::set<int> found;
  while (!names.empty()) {
    std::string name = std::move(names.back());
    names.pop_back();
    auto it = producer.find(name);
    if (it == producer.end() || !found.insert(it->second).second) continue;
    const onnx::NodeProto &node = graph.node(it->second);
    names.insert(names.end(), node.input().begin(), node.input().end());
  }
  return found;
}

/// Renames the values a branch defines where they clash with \p taken (the names already in
/// use), in the branch and in the graphs nested in it.
class BranchRenamer {
public:
  explicit BranchRenamer(std::set<std::string> &taken) : taken(taken) {}

  void collect(const onnx::GraphProto &branch) {
    auto define = [&](const std::string &name) {
      if (name.empty()) return;
      if (!taken.count(name)) {
        taken.insert(name);
        return;
      }
      std::string fresh = name;
      for (int k = 1; taken.count(fresh); ++k) fresh = name + "__" + std::to_string(k);
      taken.insert(fresh);
      renamed[name] = fresh;
    };
    for (const auto &init : branch.initializer()) define(init.name());
    for (const auto &init : branch.sparse_initializer()) define(init.values().name());
    for (const auto &node : branch.node())
      for (const std::string &out : node.output()) define(out);
  }

  void apply(onnx::GraphProto &graph) const {
    if (renamed.empty()) return;
    for (auto &init : *graph.mutable_initializer()) rename(*init.mutable_name());
    for (auto &init : *graph.mutable_sparse_initializer())
      rename(*init.mutable_values()->mutable_name());
    for (auto &out : *graph.mutable_output()) rename(*out.mutable_name());
    for (auto &node : *graph.mutable_node()) {
      for (auto &name : *node.mutable_input()) rename(name);
      for (auto &name : *node.mutable_output()) rename(name);
      for (auto &attr : *node.mutable_attribute()) {
        if (attr.has_g()) apply(*attr.mutable_g());
        for (auto &nested : *attr.mutable_graphs()) apply(nested);
      }
    }
  }

private:
  void rename(std::string &name) const {
    auto it = renamed.find(name);
    if (it != renamed.end()) name = it->second;
  }

  std::set<std::string> &taken;
  std::map<std::string, std::string> renamed;
};

/// The values of the conditions of the If nodes at \p ifs, found by importing the nodes they
/// depend on and folding them.
llvm::Expected<std::vector<bool>> evaluateConditions(const onnx::ModelProto &model,
                                                     const std::vector<int> &ifs,
                                                     const ProtoImporter &import) {
  const onnx::GraphProto &graph = model.graph();
  std::vector<std::string> conditions;
  for (int i : ifs) conditions.push_back(graph.node(i).input(0));
  std::set<int> needed = ancestorsOf(graph, conditions);
  std::set<std::string> read(conditions.begin(), conditions.end());
  for (int i : needed)
    for (const std::string &in : graph.node(i).input()) read.insert(in);

  // The model cut down to what the conditions need (not every weight: a copy of a large
  // model's initializers would double its memory).
  onnx::ModelProto reduced;
  reduced.set_ir_version(model.ir_version());
  *reduced.mutable_opset_import() = model.opset_import();
  onnx::GraphProto &cut = *reduced.mutable_graph();
  cut.set_name(graph.name());
  *cut.mutable_input() = graph.input();
  for (const auto &init : graph.initializer())
    if (read.count(init.name())) *cut.add_initializer() = init;
  for (const auto &init : graph.sparse_initializer())
    if (read.count(init.values().name())) *cut.add_sparse_initializer() = init;
  for (int i : needed) *cut.add_node() = graph.node(i);
  std::set<std::string> declared;
  for (const std::string &name : conditions)
    if (declared.insert(name).second) cut.add_output()->set_name(name);

  auto imported = import(reduced);
  if (!imported)
    return addContext(imported.takeError(),
                      "finding the condition of " + describe(graph.node(ifs.front())));
  auto folded = foldConstants(**imported);
  if (!folded) return folded.takeError();
  std::vector<bool> values;
  for (size_t k = 0; k < ifs.size(); ++k) {
    const onnx::NodeProto &node = graph.node(ifs[k]);
    Value *condition = (*imported)->findValue(conditions[k]);
    for (const GraphOutput &out : (*imported)->getOutputs())
      if (out.name == conditions[k]) condition = out.value;
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

llvm::Error inlineConstantIfs(onnx::ModelProto &model, const ProtoImporter &import) {
  onnx::GraphProto &graph = *model.mutable_graph();
  while (true) {
    // The Ifs whose conditions depend on no other If are resolved together; the others wait
    // for the next round.
    std::vector<int> ready;
    bool anyIf = false;
    for (int i = 0; i < graph.node_size(); ++i) {
      const onnx::NodeProto &node = graph.node(i);
      if (!isIf(node)) continue;
      anyIf = true;
      if (node.input_size() != 1 || node.input(0).empty())
        return makeError(ErrorCode::BadModel,
                         describe(node) + ": expected one input, the condition");
      std::set<int> ancestors = ancestorsOf(graph, {node.input(0)});
      if (std::none_of(ancestors.begin(), ancestors.end(),
                       [&](int a) { return isIf(graph.node(a)); }))
        ready.push_back(i);
    }
    if (!anyIf) return llvm::Error::success();
    if (ready.empty()) // every condition depends on an If: the graph has a cycle
      return makeError(ErrorCode::BadModel, "the conditions of the If nodes depend on each "
                                            "other's outputs (a cycle)");

    auto values = evaluateConditions(model, ready, import);
    if (!values) return values.takeError();

    std::set<std::string> taken;
    for (const auto &input : graph.input()) taken.insert(input.name());
    for (const auto &init : graph.initializer()) taken.insert(init.name());
    for (const auto &init : graph.sparse_initializer()) taken.insert(init.values().name());
    for (const auto &node : graph.node())
      for (const std::string &out : node.output()) taken.insert(out);

    google::protobuf::RepeatedPtrField<onnx::NodeProto> rewritten;
    size_t next = 0;
    for (int i = 0; i < graph.node_size(); ++i) {
      onnx::NodeProto &node = *graph.mutable_node(i);
      if (next >= ready.size() || ready[next] != i) {
        *rewritten.Add() = std::move(node);
        continue;
      }
      bool taken_branch = (*values)[next++];
      const char *wanted = taken_branch ? "then_branch" : "else_branch";
      const onnx::AttributeProto *attr = nullptr;
      for (const auto &a : node.attribute())
        if (a.name() == wanted && a.has_g()) attr = &a;
      if (!attr)
        return makeError(ErrorCode::BadModel, describe(node) + ": no " + wanted + " graph");
      onnx::GraphProto branch = attr->g();
      if (branch.output_size() != node.output_size())
        return makeError(ErrorCode::BadModel, describe(node) + ": its " + wanted + " has " +
                                                  llvm::Twine(branch.output_size()) +
                                                  " outputs, the node " +
                                                  llvm::Twine(node.output_size()));
      BranchRenamer renamer(taken);
      renamer.collect(branch);
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
  }
}

} // namespace spcc
