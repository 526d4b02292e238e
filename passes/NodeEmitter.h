//===- NodeEmitter.h - Nodes a pass writes in place of one node ----------===//
#ifndef SPCC_PASSES_NODEEMITTER_H
#define SPCC_PASSES_NODEEMITTER_H

#include "compiler/eval/TypeInference.h"
#include "compiler/ops/OpSchema.h"

#include <map>

namespace spcc {

/// Appends nodes named after the node a pass expands, typing each as it is made. The first failure
/// is kept (error()) and every later emit returns nullptr, so a step reads as straight code.
class NodeEmitter {
public:
  NodeEmitter(Graph &graph, std::string base) : graph(graph), base(std::move(base)) {}
  ~NodeEmitter() { llvm::consumeError(std::move(failure)); }

  Value *emit(const std::string &op, llvm::ArrayRef<Value *> inputs,
              std::map<std::string, Attribute> attributes = {}) {
    if (failure || llvm::is_contained(inputs, nullptr)) return nullptr;
    std::string name = graph.makeUniqueName(base + "/" + op);
    Node *node = graph.addNode(name, op, lookupOpSchema(op), inputs, {name});
    for (auto &[key, value] : attributes) node->setAttribute(key, std::move(value));
    llvm::SmallVector<const Tensor *, 4> known;
    for (Value *in : inputs) known.push_back(in->isConstant() ? &in->getConstant() : nullptr);
    auto types = inferNodeTypes(*node, known);
    if (!types) {
      failure = types.takeError();
      return nullptr;
    }
    node->getOutput(0)->setType((*types)[0]);
    return node->getOutput(0);
  }

  Value *constant(const std::string &what, Tensor data) {
    return graph.addConstant(graph.makeUniqueName(base + "/" + what), std::move(data));
  }
  Value *ints(std::vector<int64_t> values) {
    int64_t n = int64_t(values.size());
    return constant("dims", Tensor::fromVector<int64_t>({n}, std::move(values)));
  }
  /// x[..., begin:end, ...] along \p axis.
  Value *slice(Value *x, int64_t axis, int64_t begin, int64_t end) {
    return emit("Slice", {x, ints({begin}), ints({end}), ints({axis})});
  }
  Value *reshape(Value *x, std::vector<int64_t> dims) {
    return emit("Reshape", {x, ints(std::move(dims))});
  }
  Value *transpose(Value *x, std::vector<int64_t> perm) {
    return emit("Transpose", {x}, {{"perm", std::move(perm)}});
  }
  /// \p parts joined along \p axis (one part passes through); many parts as a tree of
  /// Concats of at most kMaxConcatParts each (the kernel's limit).
  Value *concat(llvm::ArrayRef<Value *> parts, int64_t axis) {
    constexpr size_t kMaxConcatParts = 32;
    if (parts.size() == 1) return parts[0];
    if (parts.size() <= kMaxConcatParts) return emit("Concat", parts, {{"axis", axis}});
    std::vector<Value *> groups;
    for (size_t begin = 0; begin < parts.size(); begin += kMaxConcatParts)
      groups.push_back(
          concat(parts.slice(begin, std::min(kMaxConcatParts, parts.size() - begin)), axis));
    return concat(groups, axis);
  }

  llvm::Error error() { return std::move(failure); }

private:
  Graph &graph;
  std::string base;
  llvm::Error failure = llvm::Error::success();
};

} // namespace spcc

#endif
