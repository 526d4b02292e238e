#include "tests/ops/OpTestUtil.h"

#include <numeric>

using namespace spcc;
using namespace spcc::test;

namespace {

using Ints = std::vector<int64_t>;

/// A float tensor of \p dims holding 0, 1, 2, ... in row-major order.
Tensor iota(Ints dims) {
  Tensor t(TensorType(DType::Float32, dims));
  auto data = t.getMutableData<float>();
  std::iota(data.begin(), data.end(), 0.0f);
  return t;
}

Tensor row(std::vector<float> values) {
  return Tensor::fromVector<float>({1, 1, int64_t(values.size())}, values);
}

} // namespace

TEST_CASE("MaxPool picks window maxima", "[ops][pool]") {
  SECTION("2x2 stride 2") {
    Tensor out = runOpOrFail({"MaxPool",
                              {iota({1, 1, 4, 4})},
                              {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}})[0];
    requireClose(out, Tensor::fromVector<float>({1, 1, 2, 2}, {5, 7, 13, 15}));
  }
  SECTION("ceil_mode adds the partial last window") {
    // x[r][c] = 5r + c; window (i, j) covers rows 2i..2i+1 and columns 2j..2j+1, clipped to 4.
    std::map<std::string, Attribute> attrs{{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}};
    requireClose(runOpOrFail({"MaxPool", {iota({1, 1, 5, 5})}, attrs})[0],
                 Tensor::fromVector<float>({1, 1, 2, 2}, {6, 8, 16, 18}));
    attrs["ceil_mode"] = int64_t(1);
    requireClose(runOpOrFail({"MaxPool", {iota({1, 1, 5, 5})}, attrs})[0],
                 Tensor::fromVector<float>({1, 1, 3, 3}, {6, 8, 9, 16, 18, 19, 21, 23, 24}));
  }
  SECTION("ceil_mode drops a last window starting in the right padding") {
    // Span 4 + 1 - 2 = 3 gives ceil(3 / 2) + 1 = 3 windows, but the third starts at 4 >= 4.
    Tensor out = runOpOrFail({"MaxPool",
                              {row({1, 2, 3, 4})},
                              {{"kernel_shape", Ints{2}},
                               {"strides", Ints{2}},
                               {"pads", Ints{0, 1}},
                               {"ceil_mode", int64_t(1)}}})[0];
    requireClose(out, row({2, 4}));
  }
  SECTION("padding never wins over negative values") {
    Tensor out = runOpOrFail(
        {"MaxPool", {row({-3, -1, -2})}, {{"kernel_shape", Ints{2}}, {"pads", Ints{1, 1}}}})[0];
    requireClose(out, row({-3, -1, -1, -2}));
  }
  SECTION("dilations") {
    Tensor out = runOpOrFail({"MaxPool",
                              {row({3, 1, 4, 1, 5, 9})},
                              {{"kernel_shape", Ints{2}}, {"dilations", Ints{2}}}})[0];
    requireClose(out, row({4, 1, 5, 9}));
  }
  SECTION("auto_pad SAME_UPPER pads at the end, SAME_LOWER at the beginning") {
    // 5 elements, kernel 2, stride 2: 3 outputs, one element of padding.
    std::map<std::string, Attribute> attrs{
        {"kernel_shape", Ints{2}}, {"strides", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}};
    requireClose(runOpOrFail({"MaxPool", {row({1, 5, 2, 4, 3})}, attrs})[0], row({5, 4, 3}));
    attrs["auto_pad"] = std::string("SAME_LOWER");
    requireClose(runOpOrFail({"MaxPool", {row({1, 5, 2, 4, 3})}, attrs})[0], row({1, 5, 4}));
  }
  SECTION("3-D") {
    Tensor out =
        runOpOrFail({"MaxPool", {iota({1, 2, 2, 2, 3})}, {{"kernel_shape", Ints{2, 2, 2}}}})[0];
    requireClose(out, Tensor::fromVector<float>({1, 2, 1, 1, 2}, {10, 11, 22, 23}));
  }
}

TEST_CASE("AveragePool divides by the right count", "[ops][pool]") {
  SECTION("no padding") {
    Tensor out =
        runOpOrFail({"AveragePool", {iota({1, 1, 3, 3})}, {{"kernel_shape", Ints{2, 2}}}})[0];
    requireClose(out, Tensor::fromVector<float>({1, 1, 2, 2}, {2, 3, 5, 6}));
  }
  SECTION("count_include_pad") {
    // Windows over [1, 2, 3, 4] padded by one each side: {p,1,2}, {1,2,3}, {2,3,4}, {3,4,p}.
    std::map<std::string, Attribute> attrs{{"kernel_shape", Ints{3}}, {"pads", Ints{1, 1}}};
    requireClose(runOpOrFail({"AveragePool", {row({1, 2, 3, 4})}, attrs})[0],
                 row({1.5f, 2, 3, 3.5f}));
    attrs["count_include_pad"] = int64_t(1);
    requireClose(runOpOrFail({"AveragePool", {row({1, 2, 3, 4})}, attrs})[0],
                 row({1, 2, 3, 7.0f / 3}));
  }
  SECTION("count_include_pad in 2-D") {
    Tensor ones = Tensor::fromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    std::map<std::string, Attribute> attrs{{"kernel_shape", Ints{3, 3}},
                                           {"pads", Ints{1, 1, 1, 1}},
                                           {"count_include_pad", int64_t(1)}};
    float c = 4.0f / 9, e = 6.0f / 9;
    requireClose(runOpOrFail({"AveragePool", {ones}, attrs})[0],
                 Tensor::fromVector<float>({1, 1, 3, 3}, {c, e, c, e, 1, e, c, e, c}));
    attrs["count_include_pad"] = int64_t(0);
    requireClose(runOpOrFail({"AveragePool", {ones}, attrs})[0], ones);
  }
  SECTION("ceil_mode overhang is not counted as padding") {
    // [1..5], kernel 3, stride 2, pads (1, 0): windows {p,1,2}, {2,3,4}, {4,5,overhang}.
    std::map<std::string, Attribute> attrs{{"kernel_shape", Ints{3}},
                                           {"strides", Ints{2}},
                                           {"pads", Ints{1, 0}},
                                           {"ceil_mode", int64_t(1)},
                                           {"count_include_pad", int64_t(1)}};
    requireClose(runOpOrFail({"AveragePool", {row({1, 2, 3, 4, 5})}, attrs})[0], row({1, 3, 4.5f}));
    attrs["count_include_pad"] = int64_t(0);
    requireClose(runOpOrFail({"AveragePool", {row({1, 2, 3, 4, 5})}, attrs})[0],
                 row({1.5f, 3, 4.5f}));
    attrs["ceil_mode"] = int64_t(0);
    requireClose(runOpOrFail({"AveragePool", {row({1, 2, 3, 4, 5})}, attrs})[0], row({1.5f, 3}));
  }
  SECTION("auto_pad SAME excludes the padding") {
    std::map<std::string, Attribute> attrs{
        {"kernel_shape", Ints{2}}, {"strides", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}};
    requireClose(runOpOrFail({"AveragePool", {row({1, 5, 2, 4, 3})}, attrs})[0], row({3, 3, 3}));
    attrs["auto_pad"] = std::string("SAME_LOWER");
    requireClose(runOpOrFail({"AveragePool", {row({1, 5, 2, 4, 3})}, attrs})[0],
                 row({1, 3.5f, 3.5f}));
  }
}

TEST_CASE("GlobalAveragePool averages each plane", "[ops][pool]") {
  Tensor out = runOpOrFail({"GlobalAveragePool", {iota({2, 2, 2, 3})}})[0];
  requireClose(out, Tensor::fromVector<float>({2, 2, 1, 1}, {2.5f, 8.5f, 14.5f, 20.5f}));
  Tensor out1d = runOpOrFail({"GlobalAveragePool", {row({1, 2, 6})}})[0];
  requireClose(out1d, row({3}));
  CHECK_THAT(runOpError({"GlobalAveragePool", {iota({2, 3})}}), Catch::Contains("rank 3 or more"));
}

TEST_CASE("Pooling rejects malformed inputs and attributes", "[ops][pool]") {
  Tensor x = iota({1, 1, 4, 4});
  std::map<std::string, Attribute> k2{{"kernel_shape", Ints{2, 2}}};
  CHECK_THAT(runOpError({"MaxPool", {x}, k2, 2}), Catch::Contains("Indices output"));
  CHECK_THAT(runOpError({"MaxPool", {x}}), Catch::Contains("'kernel_shape' is required"));
  CHECK_THAT(runOpError({"AveragePool", {x}, {{"kernel_shape", Ints{2}}}}),
             Catch::Contains("must have 2 entries"));
  auto with = [&](const std::string &key, Attribute value) {
    std::map<std::string, Attribute> attrs = k2;
    attrs[key] = std::move(value);
    return attrs;
  };
  CHECK_THAT(runOpError({"MaxPool", {x}, with("pads", Ints{0, 0, 1})}),
             Catch::Contains("'pads' has 3 entries, expected 4"));
  CHECK_THAT(runOpError({"AveragePool", {x}, with("pads", Ints{0, -1, 0, 0})}),
             Catch::Contains("below 0"));
  CHECK_THAT(runOpError({"MaxPool", {x}, with("auto_pad", std::string("same"))}),
             Catch::Contains("auto_pad"));
  CHECK_THAT(runOpError({"MaxPool", {x}, with("ceil_mode", int64_t(2))}),
             Catch::Contains("ceil_mode"));
  CHECK_THAT(runOpError({"AveragePool", {x}, with("count_include_pad", int64_t(3))}),
             Catch::Contains("count_include_pad"));
  CHECK_THAT(runOpError({"MaxPool", {x}, {{"kernel_shape", Ints{5, 2}}}}),
             Catch::Contains("too small"));
  Tensor xi = Tensor::fromVector<int64_t>({1, 1, 2, 2}, {1, 2, 3, 4});
  CHECK_THAT(runOpError({"MaxPool", {xi}, k2}), Catch::Contains("element type i64"));
  CHECK_THAT(runOpError({"GlobalAveragePool", {xi}}), Catch::Contains("element type i64"));
}
