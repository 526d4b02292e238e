//===- MemoryPlanning.cpp - Liveness-based buffer reuse in one arena -----===//
//
// Every intermediate value gets a 64-byte aligned offset in one activation arena. A buffer is
// live from the node computing it to the last node reading it (or an alias of it); buffers whose
// live ranges overlap must not overlap in the arena. Offsets are chosen greedily, largest buffer
// first, each at the best-fitting (smallest sufficient) gap between the buffers already placed
// that it conflicts with. Without reuse (--disable-pass=memory-planning) the buffers are laid out
// one after the other.
//
//===----------------------------------------------------------------------===//
#include "passes/MemoryPlanning.h"
#include "passes/Pass.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <numeric>

namespace spcc {

namespace {
int64_t alignUp(int64_t bytes) {
  return std::max<int64_t>(kArenaAlignment,
                           (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment);
}
} // namespace

std::vector<ArenaBuffer> collectArenaBuffers(const Graph &graph) {
  std::vector<Node *> nodes = graph.getNodes();
  llvm::DenseMap<const Node *, int64_t> position;
  for (size_t i = 0; i < nodes.size(); ++i) position[nodes[i]] = int64_t(i);
  llvm::DenseSet<const Value *> outputs;
  for (const GraphOutput &out : graph.getOutputs()) outputs.insert(out.value);

  // One buffer per root computed by a node, in node order.
  std::vector<ArenaBuffer> buffers;
  llvm::DenseMap<const Value *, size_t> bufferOf;
  llvm::DenseSet<const Value *> inCallerBuffer; // roots with a graph output in their group
  for (const Node *node : nodes) {
    for (const Value *v : node->getOutputs()) {
      const Value *root = aliasRoot(v);
      if (root == v) {
        bufferOf[v] = buffers.size();
        buffers.push_back(
            {v, {}, position[node], position[node], alignUp(v->getType().getSizeInBytes())});
      } else if (auto it = bufferOf.find(root); it != bufferOf.end()) {
        buffers[it->second].aliases.push_back(v);
      }
      if (outputs.count(v)) inCallerBuffer.insert(root);
    }
  }
  // Live ranges end at the last reader of any member.
  for (const Node *node : nodes)
    for (const Value *in : node->getInputs())
      if (in)
        if (auto it = bufferOf.find(aliasRoot(in)); it != bufferOf.end())
          buffers[it->second].lastNode = std::max(buffers[it->second].lastNode, position[node]);
  llvm::erase_if(buffers, [&](const ArenaBuffer &b) { return inCallerBuffer.count(b.root); });
  return buffers;
}

int64_t unsharedArenaBytes(const Graph &graph) {
  int64_t total = 0;
  for (const ArenaBuffer &b : collectArenaBuffers(graph)) total += b.bytes;
  return total;
}

namespace {

/// Offsets for \p buffers (same order), one after the other; returns the arena size.
int64_t assignSeparateOffsets(const std::vector<ArenaBuffer> &buffers,
                              std::vector<int64_t> &offsets) {
  int64_t arenaBytes = 0;
  offsets.clear();
  for (const ArenaBuffer &buf : buffers) {
    offsets.push_back(arenaBytes);
    arenaBytes += buf.bytes;
  }
  return arenaBytes;
}

/// Offsets for \p buffers (same order), sharing bytes between buffers never live at the same
/// time; returns the arena size.
int64_t assignOffsets(const std::vector<ArenaBuffer> &buffers, std::vector<int64_t> &offsets) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return buffers[a].bytes != buffers[b].bytes ? buffers[a].bytes > buffers[b].bytes : a < b;
  });
  offsets.assign(buffers.size(), -1);
  std::vector<size_t> placed;
  int64_t arenaBytes = 0;
  for (size_t i : order) {
    const ArenaBuffer &buf = buffers[i];
    // Placed buffers live at the same time as this one, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t j : placed)
      if (buffers[j].firstNode <= buf.lastNode && buf.firstNode <= buffers[j].lastNode)
        busy.push_back({offsets[j], offsets[j] + buffers[j].bytes});
    std::sort(busy.begin(), busy.end());
    int64_t best = -1, bestGap = INT64_MAX, cursor = 0;
    for (auto [begin, end] : busy) {
      int64_t gap = begin - cursor;
      if (gap >= buf.bytes && gap < bestGap) {
        best = cursor;
        bestGap = gap;
      }
      cursor = std::max(cursor, end);
    }
    offsets[i] = best >= 0 ? best : cursor;
    arenaBytes = std::max(arenaBytes, offsets[i] + buf.bytes);
    placed.push_back(i);
  }
  return arenaBytes;
}

class MemoryPlanning : public Pass {
public:
  llvm::StringRef getName() const override { return "memory-planning"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &options) override {
    std::vector<ArenaBuffer> buffers = collectArenaBuffers(graph);
    std::vector<int64_t> offsets;
    int64_t arenaBytes = options.reuseBuffers ? assignOffsets(buffers, offsets)
                                              : assignSeparateOffsets(buffers, offsets);

    llvm::DenseMap<const Value *, int64_t> newOffset;
    for (size_t i = 0; i < buffers.size(); ++i) {
      newOffset[buffers[i].root] = offsets[i];
      for (const Value *alias : buffers[i].aliases) newOffset[alias] = offsets[i];
    }
    bool changed = graph.getArenaBytes() != arenaBytes;
    for (Value *v : graph.getValues()) {
      auto it = newOffset.find(v);
      int64_t offset = it == newOffset.end() ? -1 : it->second;
      changed |= v->getArenaOffset() != offset;
      v->setArenaOffset(offset);
    }
    graph.setArenaBytes(arenaBytes);
    return changed;
  }
};

} // namespace

std::unique_ptr<Pass> createMemoryPlanning() { return std::make_unique<MemoryPlanning>(); }

} // namespace spcc
