#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace spcc::test;

namespace {

/// torch 1.13's export of the erf GELU, x / sqrt(2) first.
const char *kErfGelu = R"(graph @main(%x: f32[2,8]) {
  %sqrt2: f32[] = constant [1.4142135]
  %one: f32[] = constant [1.0]
  %half: f32[] = constant [0.5]
  %d: f32[2,8] = Div(%x, %sqrt2) @"div"
  %e: f32[2,8] = Erf(%d) @"erf"
  %a: f32[2,8] = Add(%e, %one) @"add"
  %m: f32[2,8] = Mul(%x, %a) @"mul"
  %y: f32[2,8] = Mul(%m, %half) @"mul_1"
  return %y as "out"
}
)";

/// Hugging Face's gelu_new: 0.5 * x first, the cube as Pow.
const char *kTanhGelu = R"(graph @main(%x: f32[2,8]) {
  %half: f32[] = constant [0.5]
  %three: f32[] = constant [3.0]
  %c: f32[] = constant [0.044715]
  %k: f32[] = constant [0.7978846]
  %one: f32[] = constant [1.0]
  %h: f32[2,8] = Mul(%half, %x) @"half"
  %p: f32[2,8] = Pow(%x, %three) @"pow"
  %q: f32[2,8] = Mul(%c, %p) @"cubic"
  %s: f32[2,8] = Add(%x, %q) @"sum"
  %t: f32[2,8] = Mul(%k, %s) @"scale"
  %u: f32[2,8] = Tanh(%t) @"tanh"
  %v: f32[2,8] = Add(%one, %u) @"add"
  %y: f32[2,8] = Mul(%h, %v) @"mul"
  return %y as "out"
}
)";

} // namespace

TEST_CASE("recognize-gelu turns the erf form into one Gelu", "[passes][recognize-gelu]") {
  bool changed = false;
  CHECK(runPassOnText("recognize-gelu", kErfGelu, &changed) == R"(graph @main(%x: f32[2,8]) {
  %y: f32[2,8] = Gelu(%x) @"mul_1"
  return %y as "out"
}
)");
  CHECK(changed);
  CHECK(maxOutputDifference(kErfGelu, "recognize-gelu", 1) < 1e-6);
}

TEST_CASE("recognize-gelu turns the tanh form into Gelu approximate=tanh",
          "[passes][recognize-gelu]") {
  CHECK(runPassOnText("recognize-gelu", kTanhGelu) == R"(graph @main(%x: f32[2,8]) {
  %y: f32[2,8] = Gelu(%x) {approximate = "tanh"} @"mul"
  return %y as "out"
}
)");
  CHECK(maxOutputDifference(kTanhGelu, "recognize-gelu", 2) < 1e-6);
}

TEST_CASE("recognize-gelu leaves near misses alone", "[passes][recognize-gelu]") {
  // Another constant than 0.5, and an intermediate that is also an output.
  std::string wrongConstant = kErfGelu;
  wrongConstant.replace(wrongConstant.find("[0.5]"), 5, "[0.6]");
  std::string sharedValue = kErfGelu;
  sharedValue.replace(sharedValue.find("return %y as \"out\""), 18,
                      "return %y as \"out\", %e as \"erf\"");
  for (const std::string &text : {wrongConstant, sharedValue}) {
    bool changed = true;
    CHECK(runPassOnText("recognize-gelu", text, &changed) == text);
    CHECK(!changed);
  }
}
