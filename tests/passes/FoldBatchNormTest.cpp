#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace spcc::test;

TEST_CASE("fold-batch-norm scales the conv's weights and folds the statistics into its bias",
          "[passes][fold-batch-norm]") {
  // s = scale / sqrt(var + 1) = [1, 3]; W' = W * s = [1, 6]; B' = (0 - mean) * s + shift.
  bool changed = false;
  std::string result = runPassOnText("fold-batch-norm", R"(graph @main(%x: f32[1,1,2,2]) {
  %w: f32[2,1,1,1] = constant [1.0, 2.0]
  %scale: f32[2] = constant [2.0, 3.0]
  %shift: f32[2] = constant [0.5, 0.0]
  %mean: f32[2] = constant [1.0, 2.0]
  %var: f32[2] = constant [3.0, 0.0]
  %y: f32[1,2,2,2] = Conv(%x, %w) @"conv"
  %z: f32[1,2,2,2] = BatchNormalization(%y, %scale, %shift, %mean, %var) {epsilon = 1.0} @"bn"
  return %z as "out"
}
)",
                                     &changed);
  CHECK(changed);
  CHECK(result == R"(graph @main(%x: f32[1,1,2,2]) {
  %"conv/folded_weight": f32[2,1,1,1] = constant [1.0, 6.0]
  %"conv/folded_bias": f32[2] = constant [-0.5, -6.0]
  %y: f32[1,2,2,2] = Conv(%x, %"conv/folded_weight", %"conv/folded_bias") @"conv"
  return %y as "out"
}
)");
}

TEST_CASE("fold-batch-norm adds to an existing bias", "[passes][fold-batch-norm]") {
  // s = [2, 0.5]; B' = (B - mean) * s + shift = [(1 - 0) * 2 + 1, (4 - 2) * 0.5 + 0].
  std::string result = runPassOnText("fold-batch-norm", R"(graph @main(%x: f32[1,1,1,1]) {
  %w: f32[2,1,1,1] = constant [1.0, 1.0]
  %b: f32[2] = constant [1.0, 4.0]
  %scale: f32[2] = constant [2.0, 1.0]
  %shift: f32[2] = constant [1.0, 0.0]
  %mean: f32[2] = constant [0.0, 2.0]
  %var: f32[2] = constant [0.0, 3.0]
  %y: f32[1,2,1,1] = Conv(%x, %w, %b) @"conv"
  %z: f32[1,2,1,1] = BatchNormalization(%y, %scale, %shift, %mean, %var) {epsilon = 1.0} @"bn"
  return %z as "out"
}
)");
  CHECK(result.find("constant [2.0, 0.5]") != std::string::npos); // the weights
  CHECK(result.find("constant [3.0, 1.0]") != std::string::npos); // the bias
  CHECK(result.find("BatchNormalization") == std::string::npos);
}

TEST_CASE("fold-batch-norm leaves a conv whose result is also read elsewhere",
          "[passes][fold-batch-norm]") {
  std::string text = R"(graph @main(%x: f32[1,1,1,1]) {
  %w: f32[1,1,1,1] = constant [2.0]
  %p: f32[1] = constant [1.0]
  %y: f32[1,1,1,1] = Conv(%x, %w) @"conv"
  %z: f32[1,1,1,1] = BatchNormalization(%y, %p, %p, %p, %p) @"bn"
  %r: f32[1,1,1,1] = Relu(%y) @"relu"
  return %z as "bn", %r as "relu"
}
)";
  bool changed = true;
  CHECK(runPassOnText("fold-batch-norm", text, &changed) == text);
  CHECK(!changed);
}

TEST_CASE("fold-batch-norm keeps outputs on random convolutions", "[passes][fold-batch-norm]") {
  for (uint32_t seed : {1u, 2u, 3u}) {
    // A pruned 3x3 conv (70% zeros, with bias) and a BatchNormalization with random statistics.
    std::string text = "graph @main(%x: f32[1,3,6,6]) {\n" +
                       randomConstant("w", {4, 3, 3, 3}, seed, -1, 1, 0.7) +
                       randomConstant("b", {4}, seed + 10, -1, 1) +
                       randomConstant("scale", {4}, seed + 20, 0.5f, 2) +
                       randomConstant("shift", {4}, seed + 30, -1, 1) +
                       randomConstant("mean", {4}, seed + 40, -1, 1) +
                       randomConstant("var", {4}, seed + 50, 0.1f, 2) +
                       "  %y: f32[1,4,6,6] = Conv(%x, %w, %b) {pads = [1, 1, 1, 1]} @\"conv\"\n"
                       "  %z: f32[1,4,6,6] = BatchNormalization(%y, %scale, %shift, %mean, %var) "
                       "@\"bn\"\n"
                       "  return %z as \"out\"\n}\n";
    CHECK(maxOutputDifference(text, "fold-batch-norm", seed) < 1e-5);
  }
}
