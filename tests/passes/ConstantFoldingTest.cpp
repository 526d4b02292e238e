#include "tests/passes/PassTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "compiler/support/Error.h"
#include "passes/PassPipeline.h"
#include "tests/ops/OpTestUtil.h"

#include <catch2/catch.hpp>

using namespace spcc;
using namespace spcc::test;

namespace {
// PyTorch's export of `x.reshape(x.shape[0], -1)` with a dynamic batch axis, once the batch is
// fixed: the shape chain depends on x's type only.
const char *kShapeChain = R"(graph @main(%x: f32[2,3,4]) {
  %zero: i64[] = constant [0]
  %minus_one: i64[1] = constant [-1]
  %axes: i64[1] = constant [0]
  %shape: i64[3] = Shape(%x) @"shape"
  %batch: i64[] = Gather(%shape, %zero) {axis = 0} @"gather"
  %batch1: i64[1] = Unsqueeze(%batch, %axes) @"unsqueeze"
  %target: i64[2] = Concat(%batch1, %minus_one) {axis = 0} @"concat"
  %y: f32[2,12] = Reshape(%x, %target) @"reshape"
  %z: f32[2,12] = Relu(%y) @"relu"
  return %z as "z"
}
)";
} // namespace

TEST_CASE("constant-folding removes the Shape -> Reshape chain", "[passes][constant-folding]") {
  bool changed = false;
  std::string folded = runPassOnText("constant-folding", kShapeChain, &changed);
  CHECK(changed);
  CHECK(folded == R"(graph @main(%x: f32[2,3,4]) {
  %zero: i64[] = constant [0]
  %minus_one: i64[1] = constant [-1]
  %axes: i64[1] = constant [0]
  %shape: i64[3] = constant [2, 3, 4]
  %batch: i64[] = constant [2]
  %batch1: i64[1] = constant [2]
  %target: i64[2] = constant [2, -1]
  %y: f32[2,12] = Reshape(%x, %target) @"reshape"
  %z: f32[2,12] = Relu(%y) @"relu"
  return %z as "z"
}
)");
  // Run again: nothing left to fold.
  runPassOnText("constant-folding", folded, &changed);
  CHECK(!changed);
}

TEST_CASE("constant-folding evaluates float math on weights", "[passes][constant-folding]") {
  std::string folded = runPassOnText("constant-folding", R"(graph @main(%x: f32[1,2]) {
  %w: f32[2,2] = constant [1.0, 2.0, 3.0, 4.0]
  %wt: f32[2,2] = Transpose(%w) {perm = [1, 0]} @"t"
  %s: f32[] = constant [0.5]
  %ws: f32[2,2] = Mul(%wt, %s) @"scale"
  %y: f32[1,2] = MatMul(%x, %ws) @"mm"
  return %y as "y"
}
)");
  CHECK(folded == R"(graph @main(%x: f32[1,2]) {
  %w: f32[2,2] = constant [1.0, 2.0, 3.0, 4.0]
  %wt: f32[2,2] = constant [1.0, 3.0, 2.0, 4.0]
  %s: f32[] = constant [0.5]
  %ws: f32[2,2] = constant [0.5, 1.5, 1.0, 2.0]
  %y: f32[1,2] = MatMul(%x, %ws) @"mm"
  return %y as "y"
}
)");
}

TEST_CASE("the default pipeline leaves outputs unchanged", "[passes]") {
  std::unique_ptr<Graph> before = parseOrFail(kShapeChain);
  std::unique_ptr<Graph> after = parseOrFail(kShapeChain);
  REQUIRE(!llvm::errorToBool(runDefaultPipeline(*after, PipelineOptions())));
  CHECK(after->getNumNodes() == 2); // Reshape, Relu
  std::mt19937 rng(11);
  Tensor x = randomTensor({2, 3, 4}, rng, -2, 2);
  auto expected = interpretGraph(*before, {{"x", x}});
  auto actual = interpretGraph(*after, {{"x", x}});
  REQUIRE(static_cast<bool>(expected));
  REQUIRE(static_cast<bool>(actual));
  requireClose((*actual)[0], (*expected)[0], 0, 0);
}
