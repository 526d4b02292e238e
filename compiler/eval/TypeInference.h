//===- TypeInference.h - Output types of every node ----------------------===//
#ifndef SPCC_EVAL_TYPEINFERENCE_H
#define SPCC_EVAL_TYPEINFERENCE_H

#include "compiler/ir/Graph.h"

#include <functional>

namespace spcc {

/// Checks \p node's arity and runs its op's shape rule with the given known input values.
/// Returns the output types without changing the node.
llvm::Expected<llvm::SmallVector<TensorType, 1>>
inferNodeTypes(const Node &node, llvm::ArrayRef<const Tensor *> known);

enum class TypeInferenceMode {
  Assign, ///< Set every node output's type (import).
  Check,  ///< Fail where a rule disagrees with a recorded type (verifier).
};

/// Optional callback before each node's shape rule (the importer canonicalizes the node there;
/// the text parser records which node is being checked).
struct TypeInferenceHooks {
  std::function<llvm::Error(Node &)> beforeNode;
};

/// Runs every node's shape rule in execution order. Values a rule may need at compile time
/// (shape arithmetic: small integer tensors computed from constants and from input shapes) are
/// evaluated along the way with the ops' reference evaluations.
llvm::Error inferGraphTypes(Graph &graph, TypeInferenceMode mode,
                            const TypeInferenceHooks &hooks = {});

} // namespace spcc

#endif
