//===- ProtoGraphs.h - Reading and rewriting ONNX graphs before import ---===//
//
// Control flow (If, Loop, Scan) is resolved on the model proto, before the importer proper sees
// it: a taken branch or an unrolled loop body is spliced into the main graph with its value
// names made unique, and what decides the control flow (a condition, a trip count, a sequence
// length) is found by importing the part of the model it depends on and folding it.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_FRONTEND_PROTOGRAPHS_H
#define SPCC_FRONTEND_PROTOGRAPHS_H

#include "compiler/ir/Graph.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace spcc {

/// Imports a model proto into a Graph (the importer, given the caller's options).
using ProtoImporter = std::function<llvm::Expected<std::unique_ptr<Graph>>(onnx::ModelProto &)>;

/// Whether \p node is \p opType of the default domain.
bool isDefaultOp(const onnx::NodeProto &node, const char *opType);
/// If, Loop or Scan.
bool isControlFlow(const onnx::NodeProto &node);
/// "node 'name' (Op)".
std::string describe(const onnx::NodeProto &node);
/// The model's default-domain opset.
int64_t defaultOpset(const onnx::ModelProto &model);

/// The names \p node reads: its inputs and, in the graphs nested in its attributes, every
/// node input (which includes what those graphs read from the enclosing scopes).
std::vector<std::string> namesReadBy(const onnx::NodeProto &node);
/// The indices of the nodes of \p graph that \p names depend on, in graph order (what nested
/// graphs read counts).
std::set<int> ancestorsOf(const onnx::GraphProto &graph, std::vector<std::string> names);
/// Every name \p graph defines or takes: inputs, initializers, node outputs.
std::set<std::string> namesIn(const onnx::GraphProto &graph);

/// A renaming of values, applied to a graph and the graphs nested in it.
class NameMap {
public:
  void set(const std::string &from, const std::string &to) { renamed[from] = to; }
  /// Maps every value \p graph defines (initializers, node outputs) to a name not in \p taken
  /// (the name itself where it is free, else with a numbered suffix), adding them to \p taken.
  void renameDefinitions(const onnx::GraphProto &graph, std::set<std::string> &taken);
  void apply(onnx::GraphProto &graph) const;
  std::string operator()(const std::string &name) const;

private:
  std::map<std::string, std::string> renamed;
};

/// A unique name derived from \p base, added to \p taken.
std::string freshName(const std::string &base, std::set<std::string> &taken);

/// Imports the part of \p model that \p names depend on (with \p names as its outputs) and
/// folds its constants: the values then say which of \p names are known at compile time, and
/// every value's type. \p what names the purpose in an import error.
llvm::Expected<std::unique_ptr<Graph>> importDependencies(const onnx::ModelProto &model,
                                                          const std::vector<std::string> &names,
                                                          const ProtoImporter &import,
                                                          const std::string &what);
/// \p name in a graph importDependencies returned (a graph output or an inner value).
const Value *findImported(const Graph &graph, const std::string &name);

/// A scalar initializer.
onnx::TensorProto scalarInt64(const std::string &name, int64_t value);
onnx::TensorProto scalarBool(const std::string &name, bool value);

} // namespace spcc

#endif
