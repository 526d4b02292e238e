//===- Graph.h - The model graph -----------------------------------------===//
#ifndef SPCC_IR_GRAPH_H
#define SPCC_IR_GRAPH_H

#include "compiler/ir/Node.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <set>
#include <vector>

namespace spcc {

/// A graph output: the name users see (files, C API) and the value it currently refers to. Kept
/// apart from the value so that a pass may replace the value without renaming the output.
struct GraphOutput {
  std::string name;
  Value *value;
};

/// A model: inputs, constants, nodes in a topological order, named outputs. The graph owns every
/// node and value; value names are unique.
class Graph {
public:
  Graph() = default;
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  const std::string &getName() const { return name; }
  void setName(std::string newName) { name = std::move(newName); }

  /// Adds a graph input / a constant value. Names must be unused.
  Value *addInput(const std::string &name, const TensorType &type);
  Value *addConstant(const std::string &name, Tensor data);
  /// Appends a node with \p numOutputs fresh output values named \p outputNames (their types are
  /// set later by type inference).
  Node *addNode(const std::string &name, const std::string &opType, const OpSchema *schema,
                llvm::ArrayRef<Value *> inputs, llvm::ArrayRef<std::string> outputNames);
  void addOutput(const std::string &name, Value *value) { outputs.push_back({name, value}); }

  llvm::ArrayRef<Value *> getInputs() const { return inputs; }
  llvm::ArrayRef<GraphOutput> getOutputs() const { return outputs; }
  std::vector<GraphOutput> &getMutableOutputs() { return outputs; }
  /// Nodes in execution order.
  std::vector<Node *> getNodes() const;
  size_t getNumNodes() const { return nodes.size(); }
  /// Every value in creation order (inputs, constants, node outputs).
  std::vector<Value *> getValues() const;
  Value *findValue(llvm::StringRef name) const { return valuesByName.lookup(name); }

  /// Nodes reading \p v, in execution order (one entry per reading node).
  std::vector<Node *> getUsers(const Value *v) const;
  bool isGraphOutput(const Value *v) const;
  /// Redirects every node input and graph output that refers to \p from to \p to.
  void replaceAllUsesWith(Value *from, Value *to);
  /// Removes \p node from the graph (erasing it again does nothing); its outputs stay as values
  /// without a producer until removeUnusedValues(). The node stays allocated, marked
  /// Node::isErased(), until the graph is destroyed: passes walking a getNodes() snapshot while
  /// erasing skip the erased nodes they reach.
  void eraseNode(Node *node);
  /// Turns output \p v of its producer into a constant holding \p data and detaches it; the
  /// producer is erased once none of its outputs remain attached.
  void foldToConstant(Value *v, Tensor data);
  /// Removes values that are neither inputs, outputs, nor read by any node.
  void removeUnusedValues();
  /// Reorders nodes topologically; fails naming a node on a cycle.
  llvm::Error sortTopologically();

  /// A value name not yet used, derived from \p base.
  std::string makeUniqueName(llvm::StringRef base) const;

  /// Inputs and outputs (by name) that hold a batch chosen at run time on dim 0: the graph
  /// computes one sample, and a run repeats it per sample (spcc --shape NAME=Nx...). Empty
  /// for a graph of fixed shapes.
  const std::set<std::string> &getBatchedTensors() const { return batchedTensors; }
  void setBatchedTensors(std::set<std::string> names) { batchedTensors = std::move(names); }
  bool isBatched(const std::string &name) const { return batchedTensors.count(name) != 0; }

  /// Size in bytes of the activation arena holding every intermediate value (a multiple of 64),
  /// set by the memory-planning pass; 0 before planning.
  int64_t getArenaBytes() const { return arenaBytes; }
  void setArenaBytes(int64_t bytes) { arenaBytes = bytes; }

private:
  Value *createValue(const std::string &name, const TensorType &type);

  std::string name = "main";
  std::vector<std::unique_ptr<Value>> values;
  std::vector<std::unique_ptr<Node>> nodes;
  /// Nodes eraseNode removed, kept alive for the snapshots that still point at them.
  std::vector<std::unique_ptr<Node>> erasedNodes;
  std::vector<Value *> inputs;
  std::vector<GraphOutput> outputs;
  llvm::StringMap<Value *> valuesByName;
  int64_t arenaBytes = 0;
  std::set<std::string> batchedTensors;
};

} // namespace spcc

#endif
