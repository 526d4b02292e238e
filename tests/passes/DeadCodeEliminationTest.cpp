#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace spcc::test;

TEST_CASE("dead-code removes nodes and constants no output needs", "[passes][dead-code]") {
  bool changed = false;
  std::string result = runPassOnText("dead-code", R"(graph @main(%x: f32[4]) {
  %unused_weight: f32[2] = constant [1.0, 2.0]
  %two: f32[] = constant [2.0]
  %a: f32[4] = Relu(%x) @"live"
  %b: f32[4] = Sigmoid(%x) @"dead"
  %c: f32[4] = Mul(%b, %two) @"dead_too"
  %d: f32[4] = Mul(%a, %two) @"live_too"
  return %d as "out", %a as "relu"
}
)",
                                     &changed);
  CHECK(changed);
  CHECK(result == R"(graph @main(%x: f32[4]) {
  %two: f32[] = constant [2.0]
  %a: f32[4] = Relu(%x) @"live"
  %d: f32[4] = Mul(%a, %two) @"live_too"
  return %d as "out", %a as "relu"
}
)");
  runPassOnText("dead-code", result, &changed);
  CHECK(!changed);
}

TEST_CASE("dead-code keeps an unused graph input", "[passes][dead-code]") {
  std::string text = R"(graph @main(%x: f32[4], %unused: f32[2]) {
  %a: f32[4] = Relu(%x) @"relu"
  return %a as "a"
}
)";
  bool changed = true;
  CHECK(runPassOnText("dead-code", text, &changed) == text);
  CHECK(!changed);
}
