//===- MemoryPlanning.cpp - Liveness-based buffer reuse in one arena -----===//
//
// Every intermediate value gets a 64-byte aligned offset in one activation arena. A buffer is
// live from the node computing it to the last node reading it (or an alias of it); buffers whose
// live ranges overlap must not overlap in the arena. Offsets are chosen greedily, largest buffer
// first, each at the best-fitting (smallest sufficient) gap between the buffers already placed
// that it conflicts with. Without reuse (--disable-pass=memory-planning) the buffers are laid out
// one after the other.
//
// Buffers of a page or more get half a page of slack in their slot, used to stagger them: a
// buffer starts half a page from where it would otherwise start when that moves it further, in
// the address bits below the page, from the node's inputs. Activation sizes are mostly whole
// pages, so a node's input and output would otherwise start at the same page offset, and an op
// that reads and writes both at the same positions (a depthwise convolution, an elementwise op)
// has each load share those bits with a store just made: the core then takes the load for a
// reload of the stored line (4K aliasing) and waits. (MobileNet V1's depthwise layer over 1024
// planes of 7x7, one thread on AMD Zen 4: 0.0255 ms with output and input at the same page
// offset, 0.0263 ms 64-128 bytes apart, 0.0240-0.0248 ms from 192 bytes apart to half a page;
// in the compiled model, four interleaved rounds: 0.028-0.031 ms before this staggering,
// 0.026-0.027 ms after in three, 0.030 ms in a round where every layer ran slower.)
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

constexpr int64_t kPageBytes = 4096;
constexpr int64_t kStaggerBytes = kPageBytes / 2;

/// Bytes of \p buf's slot: its bytes and, from a page on, the slack it may be staggered by.
int64_t slotBytes(const ArenaBuffer &buf) {
  return buf.bytes + (buf.bytes >= kPageBytes ? kStaggerBytes : 0);
}

/// How far apart offsets \p a and \p b are in the bits below the page, either way round.
int64_t pageOffsetDistance(int64_t a, int64_t b) {
  int64_t d = ((a - b) % kPageBytes + kPageBytes) % kPageBytes;
  return std::min(d, kPageBytes - d);
}

/// Moves each buffer of \p buffers with slack (slotBytes) by kStaggerBytes into its slot when
/// that puts its start further below the page from its producer's inputs in the arena (see the
/// file comment). Buffers come in producer order, so a node's inputs are final before its
/// outputs are placed.
void staggerOffsets(const std::vector<ArenaBuffer> &buffers, std::vector<int64_t> &offsets) {
  llvm::DenseMap<const Value *, size_t> bufferOf;
  for (size_t i = 0; i < buffers.size(); ++i) {
    bufferOf[buffers[i].root] = i;
    for (const Value *alias : buffers[i].aliases) bufferOf[alias] = i;
  }
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (slotBytes(buffers[i]) == buffers[i].bytes) continue;
    // The smallest distance from the node's inputs of a start at \p offset.
    auto nearestInput = [&](int64_t offset) {
      int64_t nearest = kPageBytes;
      for (const Value *in : buffers[i].root->getProducer()->getInputs())
        if (auto it = in ? bufferOf.find(in) : bufferOf.end(); it != bufferOf.end())
          nearest = std::min(nearest, pageOffsetDistance(offset, offsets[it->second]));
      return nearest;
    };
    if (nearestInput(offsets[i] + kStaggerBytes) > nearestInput(offsets[i]))
      offsets[i] += kStaggerBytes;
  }
}

/// Offsets for \p buffers (same order), one after the other; returns the arena size.
int64_t assignSeparateOffsets(const std::vector<ArenaBuffer> &buffers,
                              std::vector<int64_t> &offsets) {
  int64_t arenaBytes = 0;
  offsets.clear();
  for (const ArenaBuffer &buf : buffers) {
    offsets.push_back(arenaBytes);
    arenaBytes += slotBytes(buf);
  }
  return arenaBytes;
}

/// Offsets for \p buffers (same order), sharing bytes between buffers never live at the same
/// time; returns the arena size.
int64_t assignOffsets(const std::vector<ArenaBuffer> &buffers, std::vector<int64_t> &offsets) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    int64_t slotA = slotBytes(buffers[a]), slotB = slotBytes(buffers[b]);
    return slotA != slotB ? slotA > slotB : a < b;
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
        busy.push_back({offsets[j], offsets[j] + slotBytes(buffers[j])});
    std::sort(busy.begin(), busy.end());
    int64_t best = -1, bestGap = INT64_MAX, cursor = 0;
    for (auto [begin, end] : busy) {
      int64_t gap = begin - cursor;
      if (gap >= slotBytes(buf) && gap < bestGap) {
        best = cursor;
        bestGap = gap;
      }
      cursor = std::max(cursor, end);
    }
    offsets[i] = best >= 0 ? best : cursor;
    arenaBytes = std::max(arenaBytes, offsets[i] + slotBytes(buf));
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
    staggerOffsets(buffers, offsets);

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
