#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace spcc::test;

TEST_CASE("fuse-epilogues folds a residual Add and a Relu into their Conv",
          "[passes][fuse-epilogues]") {
  bool changed = false;
  // The residual is computed after the conv: the fused node moves below it.
  std::string result = runPassOnText("fuse-epilogues", R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %y: f32[1,1,2,2] = Conv(%x, %w) @"conv"
  %r: f32[1,1,2,2] = Sigmoid(%x) @"shortcut"
  %s: f32[1,1,2,2] = Add(%r, %y) @"add"
  %z: f32[1,1,2,2] = Relu(%s) @"relu"
  return %z as "out"
}
)",
                                     &changed);
  CHECK(changed);
  CHECK(result == R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %r: f32[1,1,2,2] = Sigmoid(%x) @"shortcut"
  %y: f32[1,1,2,2] = FusedConv(%x, %w, _, %r) {activation = "Relu"} @"conv"
  return %y as "out"
}
)");
}

TEST_CASE("fuse-epilogues turns Clip with constant bounds into the conv's activation",
          "[passes][fuse-epilogues]") {
  std::string result = runPassOnText("fuse-epilogues", R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %b: f32[1] = constant [0.5]
  %lo: f32[] = constant [0.0]
  %hi: f32[] = constant [6.0]
  %y: f32[1,1,2,2] = Conv(%x, %w, %b) @"conv"
  %z: f32[1,1,2,2] = Clip(%y, %lo, %hi) @"relu6"
  return %z as "out"
}
)");
  CHECK(result == R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %b: f32[1] = constant [0.5]
  %y: f32[1,1,2,2] = FusedConv(%x, %w, %b) {activation = "Clip", activation_max = 6.0, activation_min = 0.0} @"conv"
  return %y as "out"
}
)");
}

TEST_CASE("fuse-epilogues stops where a value has other readers or the order would change",
          "[passes][fuse-epilogues]") {
  // The conv result is also an output; the Relu comes before the Add (not an epilogue order).
  std::string text = R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %y: f32[1,1,2,2] = Conv(%x, %w) @"conv"
  %z: f32[1,1,2,2] = Relu(%y) @"relu"
  return %z as "out", %y as "conv"
}
)";
  bool changed = true;
  CHECK(runPassOnText("fuse-epilogues", text, &changed) == text);
  CHECK(!changed);
  std::string result = runPassOnText("fuse-epilogues", R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %y: f32[1,1,2,2] = Conv(%x, %w) @"conv"
  %z: f32[1,1,2,2] = Relu(%y) @"relu"
  %s: f32[1,1,2,2] = Add(%z, %x) @"add"
  return %s as "out"
}
)");
  CHECK(result == R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %y: f32[1,1,2,2] = FusedConv(%x, %w) {activation = "Relu"} @"conv"
  %s: f32[1,1,2,2] = Add(%y, %x) @"add"
  return %s as "out"
}
)");
}

TEST_CASE("fuse-epilogues keeps outputs on random convolutions", "[passes][fuse-epilogues]") {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::string text = "graph @main(%x: f32[1,3,6,6], %shortcut: f32[1,4,3,3]) {\n" +
                       randomConstant("w", {4, 3, 3, 3}, seed, -1, 1, 0.8) +
                       randomConstant("b", {4}, seed + 10, -1, 1) +
                       "  %y: f32[1,4,3,3] = Conv(%x, %w, %b) {pads = [1, 1, 1, 1], strides = "
                       "[2, 2]} @\"conv\"\n"
                       "  %s: f32[1,4,3,3] = Add(%y, %shortcut) @\"add\"\n"
                       "  %z: f32[1,4,3,3] = Relu(%s) @\"relu\"\n"
                       "  return %z as \"out\"\n}\n";
    CHECK(maxOutputDifference(text, "fuse-epilogues", seed) < 1e-6);
  }
}
