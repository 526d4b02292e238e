//===- MemoryPlanning.h - Activation arena layout ------------------------===//
//
// The memory-planning pass gives every intermediate value a byte offset in one activation
// arena (Value::getArenaOffset, Graph::getArenaBytes). These helpers expose how it groups values
// into buffers, for the code generator and for reports.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_PASSES_MEMORYPLANNING_H
#define SPCC_PASSES_MEMORYPLANNING_H

#include "compiler/ir/Graph.h"
#include "compiler/ops/Aliases.h"
#include "runtime/ModelAbi.h"

#include <vector>

namespace spcc {

/// Alignment in bytes of every arena offset and buffer size.
constexpr int64_t kArenaAlignment = SPCC_ABI_ARENA_ALIGNMENT;

/// One buffer of the arena: a value computed by a node, and the alias values sharing its bytes.
struct ArenaBuffer {
  const Value *root;
  std::vector<const Value *> aliases;
  /// Positions in the node order of the root's producer and of the last node reading the root or
  /// an alias; the buffer is live over [firstNode, lastNode].
  int64_t firstNode;
  int64_t lastNode;
  /// The root's size in bytes rounded up to kArenaAlignment (at least kArenaAlignment).
  int64_t bytes;
};

/// The buffers the arena must hold: every node output not stored elsewhere (a graph input, a
/// constant, or a graph output's caller buffer, which also holds every alias of it), with
/// aliases grouped under their root. Ordered by root producer position, then output index.
std::vector<ArenaBuffer> collectArenaBuffers(const Graph &graph);

/// The arena size without reuse: the sum of every buffer's bytes.
int64_t unsharedArenaBytes(const Graph &graph);

} // namespace spcc

#endif
