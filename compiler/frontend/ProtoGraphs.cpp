#include "compiler/frontend/ProtoGraphs.h"

#include "compiler/eval/ConstantFolder.h"
#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

namespace spcc {

bool isDefaultOp(const onnx::NodeProto &node, const char *opType) {
  return (node.domain().empty() || node.domain() == "ai.onnx") && node.op_type() == opType;
}

bool isControlFlow(const onnx::NodeProto &node) {
  return isDefaultOp(node, "If") || isDefaultOp(node, "Loop") || isDefaultOp(node, "Scan");
}

std::string describe(const onnx::NodeProto &node) {
  return "node '" + node.name() + "' (" + node.op_type() + ")";
}

int64_t defaultOpset(const onnx::ModelProto &model) {
  for (const auto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx") return entry.version();
  return 0;
}

namespace {
void collectReads(const onnx::GraphProto &graph, std::vector<std::string> &names) {
  for (const auto &node : graph.node()) {
    names.insert(names.end(), node.input().begin(), node.input().end());
    for (const auto &attr : node.attribute()) {
      if (attr.has_g()) collectReads(attr.g(), names);
      for (const auto &nested : attr.graphs()) collectReads(nested, names);
    }
  }
  for (const auto &out : graph.output()) names.push_back(out.name());
}
} // namespace

std::vector<std::string> namesReadBy(const onnx::NodeProto &node) {
  std::vector<std::string> names(node.input().begin(), node.input().end());
  for (const auto &attr : node.attribute()) {
    if (attr.has_g()) collectReads(attr.g(), names);
    for (const auto &nested : attr.graphs()) collectReads(nested, names);
  }
  return names;
}

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
    std::vector<std::string> reads = namesReadBy(graph.node(it->second));
    names.insert(names.end(), reads.begin(), reads.end());
  }
  return found;
}

std::set<std::string> namesIn(const onnx::GraphProto &graph) {
  std::set<std::string> names;
  for (const auto &input : graph.input()) names.insert(input.name());
  for (const auto &init : graph.initializer()) names.insert(init.name());
  for (const auto &init : graph.sparse_initializer()) names.insert(init.values().name());
  for (const auto &node : graph.node())
    for (const std::string &out : node.output()) names.insert(out);
  return names;
}

std::string freshName(const std::string &base, std::set<std::string> &taken) {
  auto candidate = [&](int64_t k) { return k == 0 ? base : base + "__" + std::to_string(k); };
  // Suffixes are handed out in order, so a base used n times has taken base__1 ... base__n-1:
  // double k until a free one, then halve the gap between a taken k and a free one. Any free
  // name will do, so gaps left by other names do not matter; log n lookups instead of n (an
  // unrolled loop names thousands of values after one base).
  if (!taken.count(base)) {
    taken.insert(base);
    return base;
  }
  int64_t usedK = 0, freeK = 1;
  while (taken.count(candidate(freeK))) {
    usedK = freeK;
    freeK *= 2;
  }
  while (freeK - usedK > 1) {
    int64_t middle = usedK + (freeK - usedK) / 2;
    (taken.count(candidate(middle)) ? usedK : freeK) = middle;
  }
  std::string fresh = candidate(freeK);
  taken.insert(fresh);
  return fresh;
}

void NameMap::renameDefinitions(const onnx::GraphProto &graph, std::set<std::string> &taken) {
  auto define = [&](const std::string &name) {
    if (!name.empty()) renamed[name] = freshName(name, taken);
  };
  for (const auto &init : graph.initializer()) define(init.name());
  for (const auto &init : graph.sparse_initializer()) define(init.values().name());
  for (const auto &node : graph.node())
    for (const std::string &out : node.output()) define(out);
}

std::string NameMap::operator()(const std::string &name) const {
  auto it = renamed.find(name);
  return it == renamed.end() ? name : it->second;
}

void NameMap::apply(onnx::GraphProto &graph) const {
  if (renamed.empty()) return;
  auto rename = [&](std::string &name) { name = (*this)(name); };
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

llvm::Expected<std::unique_ptr<Graph>> importDependencies(const onnx::ModelProto &model,
                                                          const std::vector<std::string> &names,
                                                          const ProtoImporter &import,
                                                          const std::string &what) {
  const onnx::GraphProto &graph = model.graph();
  std::set<int> needed = ancestorsOf(graph, names);
  std::set<std::string> read(names.begin(), names.end());
  for (int i : needed)
    for (const std::string &in : namesReadBy(graph.node(i))) read.insert(in);

  // The model cut down to what \p names need (not every weight: a copy of a large model's
  // initializers would double its memory).
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
  for (const std::string &name : names)
    if (declared.insert(name).second) cut.add_output()->set_name(name);

  auto imported = import(reduced);
  if (!imported) return addContext(imported.takeError(), what);
  auto folded = foldConstants(**imported);
  if (!folded) return folded.takeError();
  return imported;
}

const Value *findImported(const Graph &graph, const std::string &name) {
  for (const GraphOutput &out : graph.getOutputs())
    if (out.name == name) return out.value;
  return graph.findValue(name);
}

onnx::TensorProto scalarInt64(const std::string &name, int64_t value) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_int64_data(value);
  return t;
}

onnx::TensorProto scalarBool(const std::string &name, bool value) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::BOOL);
  t.add_int32_data(value ? 1 : 0);
  return t;
}

} // namespace spcc
