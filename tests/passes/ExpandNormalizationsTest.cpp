// The expand-normalizations pass against the reference evaluations of GroupNormalization (both
// affine forms, rank 2 to 4) and LpNormalization (p 1 and 2, every axis), and their refusals.
#include "tests/frontend/ModelBuilder.h"
#include "tests/ops/OpTestUtil.h"
#include "tests/passes/PassTestUtil.h"

#include "compiler/frontend/OnnxImporter.h"
#include "compiler/support/Error.h"

#include <random>

using namespace spcc;
using namespace spcc::test;

namespace {

std::vector<float> randomValues(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.5f, 2.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v) x = normal(rng);
  return v;
}

int64_t count(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string groupNormModel(const std::vector<int64_t> &dims, int64_t groups, int64_t affine,
                           int opset) {
  ModelBuilder b(opset);
  b.input("x", dims).output("y");
  b.initializer("scale", {affine}, randomValues(affine, 3));
  b.initializer("bias", {affine}, randomValues(affine, 4));
  onnx::NodeProto &node = b.node("GroupNormalization", {"x", "scale", "bias"}, {"y"}, "gn");
  setInt(node, "num_groups", groups);
  return b.bytes();
}

std::string lpNormModel(const std::vector<int64_t> &dims, int64_t axis, int64_t p) {
  ModelBuilder b(13);
  b.input("x", dims).output("y");
  onnx::NodeProto &node = b.node("LpNormalization", {"x"}, {"y"}, "lp");
  setInt(node, "axis", axis);
  setInt(node, "p", p);
  return b.bytes();
}

std::string importError(const std::string &bytes) {
  auto graph =
      importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()}, "m", {});
  return graph ? "" : takeMessage(graph.takeError());
}

} // namespace

TEST_CASE("expand-normalizations matches GroupNormalization's reference evaluation", "[passes]") {
  struct Case {
    std::vector<int64_t> dims;
    int64_t groups, affine;
    int opset;
  };
  for (const Case &c :
       {Case{{2, 12, 5, 3}, 4, 12, 21}, Case{{2, 12, 5, 3}, 4, 4, 18}, Case{{3, 8, 7}, 2, 8, 21},
        Case{{4, 6}, 3, 3, 18}, Case{{1, 6, 4, 4}, 6, 6, 21}}) {
    INFO("dims " << c.dims.size() << " groups " << c.groups << " affine " << c.affine);
    std::map<std::string, Tensor> feeds = {
        {"x", Tensor::fromVector<float>(c.dims, randomValues(count(c.dims), 5))}};
    CHECK(checkPipelineMatchesReference(groupNormModel(c.dims, c.groups, c.affine, c.opset), feeds,
                                        "GroupNormalization") > 1.0f);
  }
}

TEST_CASE("expand-normalizations matches LpNormalization's reference evaluation", "[passes]") {
  std::vector<int64_t> dims = {2, 3, 4, 5};
  std::map<std::string, Tensor> feeds = {
      {"x", Tensor::fromVector<float>(dims, randomValues(count(dims), 6))}};
  for (int64_t p : {1, 2})
    for (int64_t axis : {-1, 0, 1, 2}) {
      INFO("p " << p << " axis " << axis);
      CHECK(checkPipelineMatchesReference(lpNormModel(dims, axis, p), feeds, "LpNormalization") >
            0.3f);
    }
}

TEST_CASE("GroupNormalization and LpNormalization refuse bad attributes by name", "[ops]") {
  CHECK(importError(groupNormModel({2, 12, 4}, 5, 12, 21)).find("'num_groups' must be given") !=
        std::string::npos);
  CHECK(importError(groupNormModel({2, 12, 4}, 4, 6, 21)).find("input 1 must be [C] = [12]") !=
        std::string::npos);
  CHECK(importError(lpNormModel({2, 3}, 0, 3)).find("'p' must be 1 or 2, got 3") !=
        std::string::npos);
  CHECK(importError(lpNormModel({2, 3}, 2, 2)).find("axis") != std::string::npos);
}
