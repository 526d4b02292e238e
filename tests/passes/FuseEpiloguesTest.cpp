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

TEST_CASE("fuse-epilogues folds bias, residual and GELU into a MatMul by constant weights",
          "[passes][fuse-epilogues]") {
  // BERT's attention output (bias, then the residual) and intermediate layer (bias, then GELU).
  std::string result = runPassOnText("fuse-epilogues", R"(graph @main(%x: f32[1,2,2]) {
  %w: f32[2,2] = constant [1.0, 0.0, 0.0, 2.0]
  %b: f32[2] = constant [0.5, -0.5]
  %y: f32[1,2,2] = MatMul(%x, %w) @"out_proj"
  %yb: f32[1,2,2] = Add(%b, %y) @"out_bias"
  %s: f32[1,2,2] = Add(%x, %yb) @"residual"
  %h: f32[1,2,2] = MatMul(%s, %w) @"ffn"
  %hb: f32[1,2,2] = Add(%h, %b) @"ffn_bias"
  %g: f32[1,2,2] = Gelu(%hb) @"gelu"
  return %g as "out"
}
)");
  CHECK(result == R"(graph @main(%x: f32[1,2,2]) {
  %w: f32[2,2] = constant [1.0, 0.0, 0.0, 2.0]
  %b: f32[2] = constant [0.5, -0.5]
  %y: f32[1,2,2] = FusedMatMul(%x, %w, %b, %x) @"out_proj"
  %h: f32[1,2,2] = FusedMatMul(%y, %w, %b) {activation = "Gelu"} @"ffn"
  return %h as "out"
}
)");
}

TEST_CASE("fuse-epilogues leaves products of two activations and tanh GELU alone",
          "[passes][fuse-epilogues]") {
  std::string text = R"(graph @main(%x: f32[2,2], %v: f32[2,2]) {
  %w: f32[2,2] = constant [1.0, 0.0, 0.0, 2.0]
  %y: f32[2,2] = MatMul(%x, %v) @"scores"
  %z: f32[2,2] = Relu(%y) @"relu"
  %p: f32[2,2] = MatMul(%z, %w) @"proj"
  %g: f32[2,2] = Gelu(%p) {approximate = "tanh"} @"gelu"
  return %g as "out"
}
)";
  bool changed = true;
  CHECK(runPassOnText("fuse-epilogues", text, &changed) == text);
  CHECK(!changed);
}

TEST_CASE("fuse-epilogues keeps outputs on random pruned MatMuls", "[passes][fuse-epilogues]") {
  for (uint32_t seed : {4u, 5u, 6u}) {
    std::string text = "graph @main(%x: f32[2,3,8], %shortcut: f32[2,3,6]) {\n" +
                       randomConstant("w1", {8, 6}, seed, -1, 1, 0.8) +
                       randomConstant("b1", {6}, seed + 10, -1, 1) +
                       randomConstant("w2", {6, 6}, seed + 20, -1, 1, 0.9) +
                       "  %y: f32[2,3,6] = MatMul(%x, %w1) @\"up\"\n"
                       "  %yb: f32[2,3,6] = Add(%y, %b1) @\"bias\"\n"
                       "  %g: f32[2,3,6] = Gelu(%yb) @\"gelu\"\n"
                       "  %z: f32[2,3,6] = MatMul(%g, %w2) @\"down\"\n"
                       "  %s: f32[2,3,6] = Add(%z, %shortcut) @\"residual\"\n"
                       "  return %s as \"out\"\n}\n";
    CHECK(maxOutputDifference(text, "fuse-epilogues", seed) < 1e-5);
  }
}

TEST_CASE("fuse-epilogues turns a Gemm with a Relu or a residual into a FusedMatMul",
          "[passes][fuse-epilogues]") {
  for (uint32_t seed : {7u, 8u}) {
    // A Linear layer as exporters write it (transB = 1, C of [N]), and one with C of [1, N]
    // followed by a residual and GELU; the third Gemm (alpha 2) stays a Gemm.
    std::string text = "graph @main(%x: f32[3,8], %shortcut: f32[3,5]) {\n" +
                       randomConstant("w1", {6, 8}, seed, -1, 1, 0.8) +
                       randomConstant("b1", {6}, seed + 10, -1, 1) +
                       randomConstant("w2", {6, 5}, seed + 20, -1, 1, 0.5) +
                       randomConstant("b2", {1, 5}, seed + 30, -1, 1) +
                       randomConstant("w3", {5, 5}, seed + 40, -1, 1) +
                       "  %y: f32[3,6] = Gemm(%x, %w1, %b1) {transB = 1} @\"linear\"\n"
                       "  %r: f32[3,6] = Relu(%y) @\"relu\"\n"
                       "  %z: f32[3,5] = Gemm(%r, %w2, %b2) @\"proj\"\n"
                       "  %s: f32[3,5] = Add(%z, %shortcut) @\"residual\"\n"
                       "  %g: f32[3,5] = Gelu(%s) @\"gelu\"\n"
                       "  %h: f32[3,5] = Gemm(%g, %w3) {alpha = 2.0} @\"scaled\"\n"
                       "  %o: f32[3,5] = Relu(%h) @\"relu2\"\n"
                       "  return %o as \"out\"\n}\n";
    std::string result = runPassOnText("fuse-epilogues", text);
    INFO(result);
    CHECK(result.find("FusedMatMul(%x, %\"linear/weight_t\", %b1)") != std::string::npos);
    CHECK(result.find("FusedMatMul(%y, %w2, %\"proj/bias\", %shortcut)") != std::string::npos);
    CHECK(result.find("= Relu(%y)") == std::string::npos);
    CHECK(result.find("= Gelu(") == std::string::npos);
    CHECK(result.find("Gemm(%z, %w3) {alpha = 2.0}") != std::string::npos);
    CHECK(result.find("transB") == std::string::npos);
    CHECK(maxOutputDifference(text, "fuse-epilogues", seed) < 1e-5);
  }
}
