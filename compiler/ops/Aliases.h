//===- Aliases.h - Ops whose output is a view of their input -------------===//
//
// Reshape, Flatten, Squeeze, Unsqueeze, Identity and a Dropout without its mask: the rows of
// Ops.def lowered as `Alias`. They never move data: their output shares input 0's storage, which
// memory planning and every backend rely on.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_ALIASES_H
#define SPCC_OPS_ALIASES_H

#include "compiler/ir/Node.h"

namespace spcc {

/// True when \p node's output only reinterprets the bytes of its input 0 (an Alias row of
/// Ops.def, one output of input 0's type and size).
bool isAliasOp(const Node &node);

/// The value whose storage \p v uses: \p v itself, or for an alias value the root of its chain
/// of alias producers.
const Value *aliasRoot(const Value *v);

} // namespace spcc

#endif
