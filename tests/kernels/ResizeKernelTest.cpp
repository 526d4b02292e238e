#include "tests/kernels/KernelTestUtil.h"

using namespace spcc;
using namespace spcc::test;

namespace {

/// A float32 1-D tensor.
Tensor floats(std::vector<float> values) {
  return Tensor::fromVector<float>({int64_t(values.size())}, values);
}

} // namespace

TEST_CASE("Resize kernel: every mode, coordinate mode and nearest mode", "[kernels]") {
  std::mt19937 rng(31);
  Tensor x = randomTensor({1, 2, 5, 6}, rng);
  std::vector<std::vector<float>> scaleSets = {{1, 1, 2, 2}, {1, 1, 0.6f, 0.5f}, {1, 1, 1.5f, 3}};
  for (const char *coordinates :
       {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"})
    for (const auto &scales : scaleSets) {
      INFO(coordinates << " scales " << scales[2] << " x " << scales[3]);
      std::map<std::string, Attribute> attrs{
          {"coordinate_transformation_mode", std::string(coordinates)}};
      for (const char *nearest : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
        INFO(nearest);
        attrs["mode"] = std::string("nearest");
        attrs["nearest_mode"] = std::string(nearest);
        CHECK(
            checkKernel({"Resize", {x, Tensor(), floats(scales)}, attrs, 1, {false, true, true}}) ==
            "spcc_kernel_resize");
      }
      attrs.erase("nearest_mode");
      attrs["mode"] = std::string("linear");
      checkKernel({"Resize", {x, Tensor(), floats(scales)}, attrs, 1, {false, true, true}});
      attrs["mode"] = std::string("cubic");
      checkKernel({"Resize", {x, Tensor(), floats(scales)}, attrs, 1, {false, true, true}});
      attrs["cubic_coeff_a"] = -0.5f;
      attrs["exclude_outside"] = int64_t(1);
      checkKernel({"Resize", {x, Tensor(), floats(scales)}, attrs, 1, {false, true, true}});
    }
  // Sizes instead of scales, and opset 18's axes.
  checkKernel({"Resize",
               {x, Tensor(), Tensor(), ints({1, 2, 9, 4})},
               {{"mode", std::string("linear")}},
               1,
               {false, true, true, true}});
  checkKernel({"Resize",
               {x, Tensor(), floats({2.5f, 0.5f})},
               {{"mode", std::string("cubic")}, {"axes", std::vector<int64_t>{2, -1}}},
               1,
               {false, true, true}});
}
