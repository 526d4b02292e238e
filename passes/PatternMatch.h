//===- PatternMatch.h - Small matchers shared by the recognition passes --===//
#ifndef SPCC_PASSES_PATTERNMATCH_H
#define SPCC_PASSES_PATTERNMATCH_H

#include "compiler/ir/Graph.h"

#include <optional>

namespace spcc {

/// The value of a float32 constant with exactly one element.
std::optional<float> scalarConstant(const Value *v);

/// Whether \p v is a one-element float constant within a relative 1e-4 of \p expected.
bool isScalarNear(const Value *v, float expected);

/// The node that alone reads \p v, when \p v is not also a graph output.
Node *soleUser(const Graph &graph, const Value *v);

/// \p node when it is a \p opType with \p v as one of its two operands.
Node *asBinaryWith(Node *node, llvm::StringRef opType, const Value *v);

/// The operand of two-input \p node that is not \p v (null when \p v is not an operand).
Value *otherOperand(const Node &node, const Value *v);

/// The producer of \p v when it is a \p opType.
Node *producedBy(const Value *v, llvm::StringRef opType);

} // namespace spcc

#endif
