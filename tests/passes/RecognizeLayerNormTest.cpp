#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace spcc::test;

namespace {

/// torch 1.13's opset-13 export of nn.LayerNorm over the last axis.
std::string decomposedLayerNorm(const std::string &gamma, const std::string &beta) {
  return "graph @main(%x: f32[2,3,8]) {\n" + gamma + beta + R"(  %two: f32[] = constant [2.0]
  %eps: f32[] = constant [1e-05]
  %mean: f32[2,3,1] = ReduceMean(%x) {axes = [-1], keepdims = 1} @"mean"
  %d: f32[2,3,8] = Sub(%x, %mean) @"sub"
  %p: f32[2,3,8] = Pow(%d, %two) @"pow"
  %var: f32[2,3,1] = ReduceMean(%p) {axes = [-1], keepdims = 1} @"var"
  %ve: f32[2,3,1] = Add(%var, %eps) @"add_eps"
  %s: f32[2,3,1] = Sqrt(%ve) @"sqrt"
  %n: f32[2,3,8] = Div(%d, %s) @"div"
  %m: f32[2,3,8] = Mul(%n, %gamma) @"mul"
  %y: f32[2,3,8] = Add(%m, %beta) @"add"
  return %y as "out"
}
)";
}

} // namespace

TEST_CASE("recognize-layer-norm turns the decomposed form into LayerNormalization",
          "[passes][recognize-layer-norm]") {
  std::string text = decomposedLayerNorm(randomConstant("gamma", {8}, 1, 0.5f, 1.5f),
                                         randomConstant("beta", {8}, 2, -1, 1));
  bool changed = false;
  std::string result = runPassOnText("recognize-layer-norm", text, &changed);
  CHECK(changed);
  CHECK(
      result.find(
          R"(%y: f32[2,3,8] = LayerNormalization(%x, %gamma, %beta) {axis = -1, epsilon = 1e-05} @"add")") !=
      std::string::npos);
  CHECK(result.find("ReduceMean") == std::string::npos);
  CHECK(result.find("Sqrt") == std::string::npos);
  for (uint32_t seed : {3u, 4u})
    CHECK(maxOutputDifference(text, "recognize-layer-norm", seed) < 1e-5);
}

TEST_CASE("recognize-layer-norm needs per-feature constants", "[passes][recognize-layer-norm]") {
  // gamma varies along another axis than the normalized one: not a LayerNorm's scale.
  std::string text = decomposedLayerNorm(randomConstant("gamma", {2, 3, 1}, 1, 0.5f, 1.5f),
                                         randomConstant("beta", {8}, 2, -1, 1));
  bool changed = true;
  CHECK(runPassOnText("recognize-layer-norm", text, &changed).find("LayerNormalization") ==
        std::string::npos);
  CHECK(!changed);
}
