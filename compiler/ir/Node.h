//===- Node.h - Operations of the graph ----------------------------------===//
#ifndef SPCC_IR_NODE_H
#define SPCC_IR_NODE_H

#include "compiler/ir/Attribute.h"
#include "compiler/ir/Value.h"

#include "llvm/ADT/SmallVector.h"

#include <map>
#include <string>

namespace spcc {

class OpSchema;

/// One operation. Inputs may hold nullptr for an omitted optional ONNX input. Attributes are kept
/// as given; ops read them with defaults. The op's schema is resolved when the node is created.
class Node {
public:
  Node(std::string name, std::string opType, const OpSchema *schema)
      : name(std::move(name)), opType(std::move(opType)), schema(schema) {}

  const std::string &getName() const { return name; }
  const std::string &getOpType() const { return opType; }
  const OpSchema &getSchema() const { return *schema; }
  /// Turns the node into another op (a pass fusing ops into it); attributes and inputs stay.
  void setOp(std::string newOpType, const OpSchema *newSchema) {
    opType = std::move(newOpType);
    schema = newSchema;
  }

  size_t getNumInputs() const { return inputs.size(); }
  size_t getNumOutputs() const { return outputs.size(); }
  Value *getInput(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  Value *getOutput(size_t i) const { return outputs[i]; }
  llvm::ArrayRef<Value *> getInputs() const { return inputs; }
  llvm::ArrayRef<Value *> getOutputs() const { return outputs; }
  void setInput(size_t i, Value *v) { inputs[i] = v; }
  void addInput(Value *v) { inputs.push_back(v); }
  /// Replaces every input (a pass turning the node into another op).
  void setInputs(llvm::ArrayRef<Value *> newInputs) {
    inputs.assign(newInputs.begin(), newInputs.end());
  }

  const std::map<std::string, Attribute> &getAttributes() const { return attributes; }
  bool hasAttribute(const std::string &key) const { return attributes.count(key) != 0; }
  void setAttribute(const std::string &key, Attribute value) { attributes[key] = std::move(value); }
  void removeAttribute(const std::string &key) { attributes.erase(key); }

  /// Attribute readers: the default when the attribute is absent or of another kind. (The ONNX
  /// checker has validated kinds of imported nodes.)
  int64_t getInt(const std::string &key, int64_t dflt) const;
  float getFloat(const std::string &key, float dflt) const;
  std::string getString(const std::string &key, const std::string &dflt) const;
  std::vector<int64_t> getInts(const std::string &key, std::vector<int64_t> dflt = {}) const;
  std::vector<float> getFloats(const std::string &key, std::vector<float> dflt = {}) const;
  const Tensor *getTensor(const std::string &key) const;

  /// "node 'name' (OpType)", the way errors name a node.
  std::string describe() const;

  /// True once Graph::eraseNode removed the node: it is no longer part of the graph, but stays
  /// allocated (with its inputs, outputs and attributes) until the graph is destroyed, so a pass
  /// walking an earlier getNodes() snapshot can skip it instead of reading freed memory.
  bool isErased() const { return erased; }

private:
  friend class Graph;
  std::string name;
  std::string opType;
  const OpSchema *schema;
  std::map<std::string, Attribute> attributes;
  llvm::SmallVector<Value *, 4> inputs;
  llvm::SmallVector<Value *, 1> outputs;
  bool erased = false;
};

} // namespace spcc

#endif
