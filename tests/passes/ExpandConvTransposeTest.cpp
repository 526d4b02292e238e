// The expand-conv-transpose pass against ConvTranspose's reference evaluation, over the
// geometry the ONNX node tests leave out: groups, asymmetric pads, pads past the kernel,
// dilation with stride, output_padding, 1-D and 3-D, and a pruned kernel.
#include "tests/frontend/ModelBuilder.h"
#include "tests/ops/OpTestUtil.h"

#include "tests/passes/PassTestUtil.h"

#include <random>

using namespace spcc;
using namespace spcc::test;

namespace {

struct TransposeCase {
  std::vector<int64_t> in;     // spatial extent
  std::vector<int64_t> kernel; // spatial extent
  int64_t channels, outPerGroup, group;
  std::vector<int64_t> strides, dilations, pads, outputPadding;
  float sparsity = 0;
};

void checkExpansion(const TransposeCase &c) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform;
  auto values = [&](int64_t n, float sparsity) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float &x : v) x = uniform(rng) < sparsity ? 0.0f : normal(rng);
    return v;
  };
  std::vector<int64_t> xDims = {2, c.channels}, wDims = {c.channels, c.outPerGroup};
  xDims.insert(xDims.end(), c.in.begin(), c.in.end());
  wDims.insert(wDims.end(), c.kernel.begin(), c.kernel.end());
  int64_t xSize = 1, wSize = 1;
  for (int64_t d : xDims) xSize *= d;
  for (int64_t d : wDims) wSize *= d;

  ModelBuilder b;
  b.input("x", xDims).output("y");
  b.initializer("w", wDims, values(wSize, c.sparsity));
  b.initializer("b", {c.outPerGroup * c.group}, values(c.outPerGroup * c.group, 0));
  onnx::NodeProto &node = b.node("ConvTranspose", {"x", "w", "b"}, {"y"}, "up");
  setInt(node, "group", c.group);
  setInts(node, "strides", c.strides);
  setInts(node, "dilations", c.dilations);
  setInts(node, "pads", c.pads);
  setInts(node, "output_padding", c.outputPadding);
  std::map<std::string, Tensor> feeds = {{"x", Tensor::fromVector<float>(xDims, values(xSize, 0))}};
  float largest = checkPipelineMatchesReference(b.bytes(), feeds, "ConvTranspose");
  CHECK(largest > 0.5f);
}

} // namespace

TEST_CASE("expand-conv-transpose matches the ConvTranspose reference evaluation", "[passes]") {
  // 2-D: stride 2 with output_padding, asymmetric pads.
  checkExpansion({{5, 4}, {3, 3}, 4, 3, 1, {2, 2}, {1, 1}, {1, 0, 0, 1}, {1, 0}});
  // Groups, dilation with stride, a pruned kernel.
  checkExpansion({{4, 6}, {3, 2}, 6, 2, 3, {3, 2}, {2, 1}, {0, 1, 2, 0}, {0, 1}, 0.8f});
  // Pads past the kernel's reach crop the upsampled input.
  checkExpansion({{6, 6}, {2, 2}, 2, 2, 1, {2, 2}, {1, 1}, {3, 2, 2, 3}, {0, 0}});
  // 1-D and 3-D.
  checkExpansion({{7}, {4}, 3, 5, 1, {3}, {1}, {1, 2}, {2}});
  checkExpansion(
      {{3, 3, 2}, {2, 3, 2}, 2, 2, 2, {2, 1, 2}, {1, 2, 1}, {0, 1, 0, 1, 0, 1}, {1, 0, 0}});
}
