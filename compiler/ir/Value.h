//===- Value.h - SSA values of the graph ---------------------------------===//
#ifndef SPCC_IR_VALUE_H
#define SPCC_IR_VALUE_H

#include "compiler/ir/Tensor.h"

#include <optional>
#include <string>

namespace spcc {

class Node;

/// A tensor flowing through the graph. It is exactly one of: a graph input, a constant (weights,
/// folded results; it holds its data), or the output of one node (its producer).
class Value {
public:
  Value(std::string name, TensorType type) : name(std::move(name)), type(std::move(type)) {}

  const std::string &getName() const { return name; }
  void setName(std::string newName) { name = std::move(newName); }
  const TensorType &getType() const { return type; }
  void setType(TensorType newType) { type = std::move(newType); }

  Node *getProducer() const { return producer; }
  bool isConstant() const { return constant.has_value(); }
  /// The data of a constant value; only valid when isConstant().
  const Tensor &getConstant() const { return *constant; }
  /// Turns this value into a constant holding \p data (its type becomes data's type); the caller
  /// detaches it from its producer first.
  void setConstant(Tensor data);

  /// Byte offset of this value's storage in the activation arena, set by the memory-planning
  /// pass; -1 when the value has no arena slot (graph inputs, outputs, constants, or before
  /// planning). An alias value (e.g. a Reshape output) has its source's offset.
  int64_t getArenaOffset() const { return arenaOffset; }
  void setArenaOffset(int64_t offset) { arenaOffset = offset; }

private:
  friend class Graph;
  std::string name;
  TensorType type;
  Node *producer = nullptr;
  std::optional<Tensor> constant;
  int64_t arenaOffset = -1;
};

} // namespace spcc

#endif
