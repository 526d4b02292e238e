#include "tests/passes/PassTestUtil.h"

#include "passes/MemoryPlanning.h"
#include "passes/PassPipeline.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <string>

using namespace spcc;
using namespace spcc::test;

namespace {

/// Parses \p text and runs memory planning on it.
std::unique_ptr<Graph> plan(const std::string &text) {
  std::unique_ptr<Graph> graph = parseOrFail(text);
  auto changed = createPassByName("memory-planning")->run(*graph, PassOptions());
  if (!changed) FAIL(llvm::toString(changed.takeError()));
  return graph;
}

/// Four Relus in a row over f32[floats]: %a, %b and %c are the intermediates.
std::string chainOf(int64_t floats) {
  std::string text = R"(graph @main(%x: T) {
  %a: T = Relu(%x) @"n0"
  %b: T = Relu(%a) @"n1"
  %c: T = Relu(%b) @"n2"
  %d: T = Relu(%c) @"n3"
  return %d as "out"
}
)";
  const std::string type = "f32[" + std::to_string(floats) + "]";
  for (size_t at = text.find('T'); at != std::string::npos; at = text.find('T', at))
    text.replace(at, 1, type);
  return text;
}

/// The chain with intermediates of 256 bytes each.
const std::string kChain = chainOf(64);

int64_t offsetOf(const Graph &g, const char *name) {
  const Value *v = g.findValue(name);
  REQUIRE(v);
  return v->getArenaOffset();
}

} // namespace

TEST_CASE("memory-planning reuses a dead buffer along a chain", "[passes][memory-planning]") {
  auto g = plan(kChain);
  // a, b, c are intermediates of 256 bytes; a is dead once b exists, so c takes its slot.
  CHECK(g->getArenaBytes() == 2 * 256);
  CHECK(unsharedArenaBytes(*g) == 3 * 256);
  CHECK(offsetOf(*g, "a") == offsetOf(*g, "c"));
  CHECK(offsetOf(*g, "a") != offsetOf(*g, "b"));
  CHECK(offsetOf(*g, "x") == -1);
  CHECK(offsetOf(*g, "d") == -1);
  auto again = createPassByName("memory-planning")->run(*g, PassOptions());
  if (!again) FAIL(llvm::toString(again.takeError()));
  CHECK(!*again);
}

TEST_CASE("memory-planning disabled in the pipeline lays every buffer out separately",
          "[passes][memory-planning]") {
  auto g = parseOrFail(kChain);
  PipelineOptions options;
  options.disabledPasses = {"memory-planning"};
  if (llvm::Error err = runDefaultPipeline(*g, options)) FAIL(llvm::toString(std::move(err)));
  // Still planned (code generation needs offsets), but a, b and c no longer share.
  CHECK(g->getArenaBytes() == 3 * 256);
  std::set<int64_t> offsets = {offsetOf(*g, "a"), offsetOf(*g, "b"), offsetOf(*g, "c")};
  CHECK(offsets == std::set<int64_t>{0, 256, 512});
}

TEST_CASE("memory-planning: aliases share and extend their source's slot",
          "[passes][memory-planning]") {
  auto g = plan(R"(graph @main(%x: f32[64]) {
  %shape: i64[2] = constant [8, 8]
  %a: f32[64] = Relu(%x) @"n0"
  %r: f32[8,8] = Reshape(%a, %shape) @"view"
  %b: f32[64] = Relu(%x) @"n1"
  %c: f32[8,8] = Relu(%r) @"n2"
  %d: f32[64] = Add(%b, %b) @"n3"
  return %c as "out", %d as "out2"
}
)");
  CHECK(offsetOf(*g, "r") == offsetOf(*g, "a"));
  CHECK(offsetOf(*g, "r") >= 0);
  CHECK(offsetOf(*g, "shape") == -1);
  // a is read (through r) by n2 while b is live: they must not share.
  CHECK(offsetOf(*g, "a") != offsetOf(*g, "b"));
  CHECK(g->getArenaBytes() == 2 * 256);
}

TEST_CASE("memory-planning: a value viewed as a graph output lives in the caller's buffer",
          "[passes][memory-planning]") {
  auto g = plan(R"(graph @main(%x: f32[64]) {
  %shape: i64[2] = constant [8, 8]
  %a: f32[64] = Relu(%x) @"n0"
  %r: f32[8,8] = Reshape(%a, %shape) @"view"
  %v: f32[8,8] = Reshape(%x, %shape) @"input_view"
  return %r as "out", %v as "out2"
}
)");
  CHECK(offsetOf(*g, "a") == -1);
  CHECK(offsetOf(*g, "r") == -1);
  CHECK(offsetOf(*g, "v") == -1);
  CHECK(g->getArenaBytes() == 0);
}

TEST_CASE("memory-planning: a Dropout with a mask output is not a view",
          "[passes][memory-planning]") {
  auto g = plan(R"(graph @main(%x: f32[16]) {
  %a: f32[16] = Relu(%x) @"n0"
  %y: f32[16], %mask: bool[16] = Dropout(%a) @"drop"
  %z: f32[16] = Identity(%y) @"id"
  %o: f32[16] = Relu(%z) @"n1"
  return %o as "out"
}
)");
  CHECK(offsetOf(*g, "y") != offsetOf(*g, "a"));
  CHECK(offsetOf(*g, "z") == offsetOf(*g, "y"));
  CHECK(offsetOf(*g, "mask") >= 0);
}

namespace {

/// A random DAG of Relu / Add / Concat / Reshape / Identity nodes over rank-1 tensors.
std::string randomGraph(std::mt19937 &rng, int numNodes) {
  std::vector<std::pair<std::string, int64_t>> pool = {{"x", 16}, {"y", 40}};
  std::string text = "graph @main(%x: f32[16], %y: f32[40]) {\n";
  auto pick = [&]() -> const std::pair<std::string, int64_t> & {
    // Prefer recent values so that chains form and live ranges vary.
    size_t n = pool.size();
    size_t back = std::min<size_t>(n - 1, std::geometric_distribution<size_t>(0.3)(rng));
    return pool[n - 1 - back];
  };
  for (int i = 0; i < numNodes; ++i) {
    std::string name = "v" + std::to_string(i);
    const auto a = pick();
    const auto b = pick();
    std::string node = " @\"n" + std::to_string(i) + "\"\n";
    int64_t size = a.second;
    switch (rng() % 5) {
    case 0:
      text += "  %" + name + ": f32[" + std::to_string(size) + "] = Relu(%" + a.first + ")" + node;
      break;
    case 1:
      if (a.second == b.second) {
        text += "  %" + name + ": f32[" + std::to_string(size) + "] = Add(%" + a.first + ", %" +
                b.first + ")" + node;
        break;
      }
      [[fallthrough]];
    case 2:
      if (a.second + b.second < 4096) {
        size = a.second + b.second;
        text += "  %" + name + ": f32[" + std::to_string(size) + "] = Concat(%" + a.first + ", %" +
                b.first + ") {axis = 0}" + node;
        break;
      }
      [[fallthrough]];
    case 3:
      text +=
          "  %" + name + ": f32[" + std::to_string(size) + "] = Identity(%" + a.first + ")" + node;
      break;
    default:
      text += "  %" + name + "_shape: i64[1] = constant [-1]\n";
      text += "  %" + name + ": f32[" + std::to_string(size) + "] = Reshape(%" + a.first + ", %" +
              name + "_shape)" + node;
      break;
    }
    pool.push_back({name, size});
  }
  text += "  return %" + pool.back().first + " as \"out\", %" + pool[pool.size() / 2].first +
          " as \"mid\"\n}\n";
  return text;
}

} // namespace

TEST_CASE("memory-planning never overlaps live values (random DAGs)", "[passes][memory-planning]") {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    std::string text = randomGraph(rng, 5 + int(rng() % 40));
    INFO(text);
    auto g = plan(text);
    std::vector<Node *> nodes = g->getNodes();
    // Storage root and live range of every node output, computed independently of the pass.
    std::map<const Value *, const Value *> root;
    std::map<const Value *, std::pair<int64_t, int64_t>> live; // by root
    std::set<const Value *> inOutput;
    for (const GraphOutput &out : g->getOutputs()) inOutput.insert(out.value);
    for (size_t i = 0; i < nodes.size(); ++i) {
      const Node *n = nodes[i];
      for (const Value *in : n->getInputs())
        if (root.count(in) && live.count(root[in])) live[root[in]].second = int64_t(i);
      const Value *out = n->getOutput(0);
      bool view = n->getOpType() == "Reshape" || n->getOpType() == "Identity";
      const Value *r = out;
      if (view) r = root.count(n->getInput(0)) ? root[n->getInput(0)] : n->getInput(0);
      root[out] = r;
      if (!view) live[out] = {int64_t(i), int64_t(i)};
    }
    std::set<const Value *> rootsOfOutputs;
    for (const Value *o : inOutput) rootsOfOutputs.insert(root.count(o) ? root[o] : o);

    std::vector<const Value *> placed;
    for (auto [v, r] : root) {
      int64_t offset = v->getArenaOffset();
      bool needsSlot = live.count(r) && !rootsOfOutputs.count(r);
      CHECK((offset >= 0) == needsSlot);
      if (offset < 0) continue;
      CHECK(offset % kArenaAlignment == 0);
      CHECK(offset + v->getType().getSizeInBytes() <= g->getArenaBytes());
      CHECK(offset == r->getArenaOffset());
      if (v == r) placed.push_back(v);
    }
    for (size_t i = 0; i < placed.size(); ++i)
      for (size_t j = i + 1; j < placed.size(); ++j) {
        auto [s1, e1] = live[placed[i]];
        auto [s2, e2] = live[placed[j]];
        if (e1 < s2 || e2 < s1) continue;
        int64_t o1 = placed[i]->getArenaOffset(), o2 = placed[j]->getArenaOffset();
        bool disjoint = o1 + placed[i]->getType().getSizeInBytes() <= o2 ||
                        o2 + placed[j]->getType().getSizeInBytes() <= o1;
        INFO(placed[i]->getName() << " and " << placed[j]->getName());
        CHECK(disjoint);
      }
    CHECK(g->getArenaBytes() <= unsharedArenaBytes(*g));
  }
}

TEST_CASE("memory-planning staggers page-sized buffers half a page from their inputs",
          "[passes][memory-planning]") {
  // The chain's shape, with intermediates of 16 KiB: whole pages, so without staggering a
  // node's input and output would start at the same offset within a page.
  auto g = plan(chainOf(4096));
  auto pageOffset = [&](const char *name) { return offsetOf(*g, name) % 4096; };
  CHECK((pageOffset("b") - pageOffset("a") + 4096) % 4096 == 2048);
  CHECK((pageOffset("c") - pageOffset("b") + 4096) % 4096 == 2048);
  // Each slot holds its buffer and the half page it may move by; c still reuses a's slot.
  CHECK(g->getArenaBytes() == 2 * (16384 + 2048));
  for (const char *name : {"a", "b", "c"}) CHECK(offsetOf(*g, name) % 64 == 0);
  auto again = createPassByName("memory-planning")->run(*g, PassOptions());
  if (!again) FAIL(llvm::toString(again.takeError()));
  CHECK(!*again);
}

TEST_CASE("memory-planning moves a buffer within its slot away from its input's page offset",
          "[passes][memory-planning]") {
  // a, b and c are live together; a and c would both start at a whole page (slots of 18 KiB
  // side by side), and c reads a.
  auto g = plan(R"(graph @main(%x: f32[4096]) {
  %a: f32[4096] = Relu(%x) @"n0"
  %b: f32[4096] = Relu(%x) @"n1"
  %c: f32[4096] = Relu(%a) @"n2"
  %d: f32[4096] = Add(%c, %b) @"n3"
  return %d as "out"
}
)");
  int64_t a = offsetOf(*g, "a"), c = offsetOf(*g, "c");
  CHECK((c - a) % 4096 == 2048);
  CHECK(g->getArenaBytes() == 3 * (16384 + 2048));
  // c stays inside its slot: it overlaps neither a nor b.
  int64_t b = offsetOf(*g, "b");
  for (int64_t other : {a, b}) CHECK((c + 16384 <= other || other + 16384 <= c));
}
