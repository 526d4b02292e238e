#include "tests/passes/PassTestUtil.h"

#include <catch2/catch.hpp>

using namespace spcc::test;

namespace {

/// torch 1.13's export of BERT self-attention after the projections: 2 heads of 3, 4 tokens,
/// scores divided by sqrt(3), an additive padding mask over keys.
const char *kBertAttention =
    R"(graph @main(%q: f32[1,4,6], %k: f32[1,4,6], %v: f32[1,4,6], %mask: f32[1,1,1,4]) {
  %shape: i64[4] = constant [1, 4, 2, 3]
  %merged: i64[3] = constant [1, 4, 6]
  %root: f32[] = constant [1.7320508]
  %qh: f32[1,4,2,3] = Reshape(%q, %shape) @"q_heads"
  %kh: f32[1,4,2,3] = Reshape(%k, %shape) @"k_heads"
  %vh: f32[1,4,2,3] = Reshape(%v, %shape) @"v_heads"
  %qt: f32[1,2,4,3] = Transpose(%qh) {perm = [0, 2, 1, 3]} @"q_t"
  %kt: f32[1,2,3,4] = Transpose(%kh) {perm = [0, 2, 3, 1]} @"k_t"
  %vt: f32[1,2,4,3] = Transpose(%vh) {perm = [0, 2, 1, 3]} @"v_t"
  %s: f32[1,2,4,4] = MatMul(%qt, %kt) @"scores"
  %d: f32[1,2,4,4] = Div(%s, %root) @"scale"
  %a: f32[1,2,4,4] = Add(%d, %mask) @"mask"
  %p: f32[1,2,4,4] = Softmax(%a) {axis = -1} @"softmax"
  %o: f32[1,2,4,3] = MatMul(%p, %vt) @"context"
  %ot: f32[1,4,2,3] = Transpose(%o) {perm = [0, 2, 1, 3]} @"context_t"
  %y: f32[1,4,6] = Reshape(%ot, %merged) @"merge"
  return %y as "out"
}
)";

/// Cross-attention without a mask: 3 queries, 5 keys, values of another width, the scale as
/// a Mul with the mask Add's operands swapped out (no Add at all).
const char *kCrossAttention = R"(graph @main(%q: f32[2,3,2,4], %k: f32[2,5,2,4], %v: f32[2,5,2,6]) {
  %c: f32[] = constant [0.5]
  %qt: f32[2,2,3,4] = Transpose(%q) {perm = [0, 2, 1, 3]} @"q_t"
  %kt: f32[2,2,4,5] = Transpose(%k) {perm = [0, 2, 3, 1]} @"k_t"
  %vt: f32[2,2,5,6] = Transpose(%v) {perm = [0, 2, 1, 3]} @"v_t"
  %s: f32[2,2,3,5] = MatMul(%qt, %kt) @"scores"
  %m: f32[2,2,3,5] = Mul(%s, %c) @"scale"
  %p: f32[2,2,3,5] = Softmax(%m) {axis = 3} @"softmax"
  %o: f32[2,2,3,6] = MatMul(%p, %vt) @"context"
  %y: f32[2,3,2,6] = Transpose(%o) {perm = [0, 2, 1, 3]} @"context_t"
  return %y as "out"
}
)";

} // namespace

TEST_CASE("fuse-attention turns BERT's attention heads into one FusedAttention",
          "[passes][fuse-attention]") {
  bool changed = false;
  CHECK(runPassOnText("fuse-attention", kBertAttention, &changed) ==
        R"(graph @main(%q: f32[1,4,6], %k: f32[1,4,6], %v: f32[1,4,6], %mask: f32[1,1,1,4]) {
  %shape: i64[4] = constant [1, 4, 2, 3]
  %merged: i64[3] = constant [1, 4, 6]
  %qh: f32[1,4,2,3] = Reshape(%q, %shape) @"q_heads"
  %kh: f32[1,4,2,3] = Reshape(%k, %shape) @"k_heads"
  %vh: f32[1,4,2,3] = Reshape(%v, %shape) @"v_heads"
  %ot: f32[1,4,2,3] = FusedAttention(%qh, %kh, %vh, %mask) {scale = 0.57735026} @"context_t"
  %y: f32[1,4,6] = Reshape(%ot, %merged) @"merge"
  return %y as "out"
}
)");
  CHECK(changed);
  CHECK(maxOutputDifference(kBertAttention, "fuse-attention", 1) < 1e-5);
}

TEST_CASE("fuse-attention handles cross-attention, a Mul scale and no mask",
          "[passes][fuse-attention]") {
  CHECK(runPassOnText("fuse-attention", kCrossAttention) ==
        R"(graph @main(%q: f32[2,3,2,4], %k: f32[2,5,2,4], %v: f32[2,5,2,6]) {
  %y: f32[2,3,2,6] = FusedAttention(%q, %k, %v) {scale = 0.5} @"context_t"
  return %y as "out"
}
)");
  CHECK(maxOutputDifference(kCrossAttention, "fuse-attention", 2) < 1e-5);
}

TEST_CASE("fuse-attention keeps what others read and leaves other softmaxes alone",
          "[passes][fuse-attention]") {
  // The probabilities are a graph output too: nothing may be fused.
  std::string probsOut = kCrossAttention;
  probsOut.replace(probsOut.find("return %y as \"out\""), std::string::npos,
                   "return %y as \"out\", %p as \"probs\"\n}\n");
  bool changed = true;
  CHECK(runPassOnText("fuse-attention", probsOut, &changed) ==
        runPassOnText("dead-code", probsOut));
  CHECK_FALSE(changed);

  // Softmax over the queries, not the keys.
  std::string otherAxis = kCrossAttention;
  otherAxis.replace(otherAxis.find("{axis = 3}"), 10, "{axis = 2}");
  CHECK(runPassOnText("fuse-attention", otherAxis, &changed) ==
        runPassOnText("dead-code", otherAxis));
  CHECK_FALSE(changed);

  // The transposed values are also read elsewhere: fused, and that transpose stays.
  std::string sharedValues = kCrossAttention;
  sharedValues.replace(sharedValues.find("return %y as \"out\""), std::string::npos,
                       "return %y as \"out\", %vt as \"values\"\n}\n");
  std::string fused = runPassOnText("fuse-attention", sharedValues, &changed);
  CHECK(changed);
  CHECK(fused.find("FusedAttention(%q, %k, %v)") != std::string::npos);
  CHECK(fused.find("Transpose(%v)") != std::string::npos);
  CHECK(fused.find("MatMul") == std::string::npos);
  CHECK(maxOutputDifference(sharedValues, "fuse-attention", 3) < 1e-5);
}
