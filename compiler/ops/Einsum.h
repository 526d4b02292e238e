//===- Einsum.h - Einstein summation equations ---------------------------===//
//
// Einsum ("bij,bjk->bik") names every axis of every operand by a label; labels missing from the
// output are summed over. Its schema (Einsum.cpp) parses and checks the equation against the
// operands' shapes and evaluates it directly; the expand-einsum pass rewrites it into the
// Transposes, Reshapes, ReduceSums and MatMuls the backends run (a constant operand becomes a
// MatMul weight, so a pruned one gets generated sparse code).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_EINSUM_H
#define SPCC_OPS_EINSUM_H

#include "compiler/ir/Node.h"

#include "llvm/Support/Error.h"

#include <map>
#include <vector>

namespace spcc {

/// An axis label: a letter's character code, or kEllipsisLabel + k for the k-th axis (from the
/// left of the widest) that an ellipsis stands for.
using EinsumLabel = int;
inline constexpr EinsumLabel kEllipsisLabel = 1000;

/// A parsed and checked equation: one label per axis of each operand and of the output (implicit
/// outputs made explicit), and each label's extent (broadcast over ellipsis axes of extent 1).
struct EinsumEquation {
  std::vector<std::vector<EinsumLabel>> inputs;
  std::vector<EinsumLabel> output;
  std::map<EinsumLabel, int64_t> extents;
};

/// Parses \p node's `equation` attribute against its inputs' shapes.
llvm::Expected<EinsumEquation> parseEinsum(const Node &node);

} // namespace spcc

#endif
