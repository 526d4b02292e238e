#include "tests/kernels/KernelTestUtil.h"

#include "runtime/kernels/DepthwiseChannelBlocks.h"

#include <cmath>
#include <limits>

using namespace spcc;
using namespace spcc::test;

namespace {

using Ints = std::vector<int64_t>;

/// Weights as graph constants, activations as graph inputs.
OpCall withConstants(OpCall call, std::vector<bool> constant) {
  call.constantInputs = std::move(constant);
  return call;
}

} // namespace

TEST_CASE("MatMul kernel: batches, broadcasting and 1-D operands", "[kernels]") {
  std::mt19937 rng(10);
  std::vector<std::pair<Ints, Ints>> shapes = {
      {{3, 4}, {4, 5}},        {{2, 3, 4}, {4, 5}},       {{4}, {4, 5}},
      {{3, 4}, {4}},           {{2, 1, 3, 4}, {3, 4, 5}}, {{1, 128, 64}, {64, 96}},
      {{5, 8}, {2, 8, 3}},     {{200, 300}, {300, 150}},  {{1, 12, 16, 8}, {1, 12, 8, 16}},
      {{2, 3, 1, 7}, {7, 33}}, {{4}, {2, 4, 3}},          {{6, 0}, {0, 5}},
      {{1, 300}, {300, 200}},
  };
  for (auto &[a, b] : shapes) {
    INFO(dimsToString(a) << " x " << dimsToString(b));
    CHECK(checkKernel(withConstants({"MatMul", {randomTensor(a, rng), randomTensor(b, rng)}},
                                    {false, true})) == "spcc_kernel_matmul");
  }
}

TEST_CASE("Gemm kernel: transposes, alpha, beta and C broadcasting", "[kernels]") {
  std::mt19937 rng(11);
  int64_t m = 37, n = 29, k = 45;
  for (int transA = 0; transA < 2; ++transA)
    for (int transB = 0; transB < 2; ++transB)
      for (const Ints &cDims : std::vector<Ints>{{}, {n}, {m, 1}, {m, n}, {1, n}, {1}}) {
        Tensor a = randomTensor(transA ? Ints{k, m} : Ints{m, k}, rng);
        Tensor b = randomTensor(transB ? Ints{n, k} : Ints{k, n}, rng);
        std::map<std::string, Attribute> attrs{{"transA", int64_t(transA)},
                                               {"transB", int64_t(transB)},
                                               {"alpha", 0.75f},
                                               {"beta", 1.5f}};
        INFO("transA " << transA << " transB " << transB << " C " << dimsToString(cDims));
        checkKernel(
            withConstants({"Gemm", {a, b, randomTensor(cDims, rng)}, attrs}, {false, true, true}));
      }
  checkKernel({"Gemm",
               {randomTensor({1, 256}, rng), randomTensor({128, 256}, rng)},
               {{"transB", int64_t(1)}},
               1,
               {false, true}});
  checkKernel({"Gemm",
               {randomTensor({300, 64}, rng), randomTensor({64, 70}, rng), randomTensor({70}, rng)},
               {},
               1,
               {false, true, true}});
}

namespace {

struct ConvCase {
  const char *name;
  Ints x, w;
  std::map<std::string, Attribute> attributes;
  bool bias = true;
};

} // namespace

TEST_CASE("Conv kernel: im2col, pointwise and depthwise paths", "[kernels]") {
  std::mt19937 rng(12);
  std::vector<ConvCase> cases = {
      {"3x3 pad 1", {1, 4, 9, 11}, {6, 4, 3, 3}, {{"pads", Ints{1, 1, 1, 1}}}},
      {"3x3 stride 2",
       {2, 3, 12, 10},
       {5, 3, 3, 3},
       {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}},
      {"asymmetric pads", {1, 2, 7, 8}, {3, 2, 2, 3}, {{"pads", Ints{0, 2, 1, 0}}}, false},
      {"dilation 2",
       {1, 3, 10, 10},
       {4, 3, 3, 3},
       {{"dilations", Ints{2, 2}}, {"pads", Ints{2, 2, 2, 2}}}},
      {"group 2", {1, 4, 6, 6}, {6, 2, 3, 3}, {{"group", int64_t(2)}, {"pads", Ints{1, 1, 1, 1}}}},
      {"depthwise",
       {2, 8, 9, 9},
       {8, 1, 3, 3},
       {{"group", int64_t(8)}, {"pads", Ints{1, 1, 1, 1}}}},
      {"depthwise stride 2",
       {1, 6, 10, 11},
       {6, 1, 3, 3},
       {{"group", int64_t(6)}, {"pads", Ints{0, 1, 1, 0}}, {"strides", Ints{2, 2}}},
       false},
      {"depthwise multiplier 2",
       {1, 3, 8, 8},
       {6, 1, 3, 3},
       {{"group", int64_t(3)}, {"pads", Ints{1, 1, 1, 1}}}},
      {"pointwise", {2, 16, 7, 5}, {24, 16, 1, 1}, {}},
      {"pointwise group 4", {1, 16, 7, 5}, {8, 4, 1, 1}, {{"group", int64_t(4)}}},
      {"1x1 stride 2", {1, 8, 9, 9}, {4, 8, 1, 1}, {{"strides", Ints{2, 2}}}},
      {"1x1 padded", {1, 8, 4, 4}, {4, 8, 1, 1}, {{"pads", Ints{1, 1, 1, 1}}}},
      {"7x7 stride 2 stem",
       {1, 3, 32, 32},
       {16, 3, 7, 7},
       {{"pads", Ints{3, 3, 3, 3}}, {"strides", Ints{2, 2}}}},
      {"same upper",
       {1, 3, 8, 7},
       {4, 3, 3, 3},
       {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}}},
      {"1-D", {2, 3, 20}, {5, 3, 4}, {{"pads", Ints{1, 2}}, {"strides", Ints{3}}}},
      {"3-D", {1, 2, 5, 6, 7}, {3, 2, 3, 2, 3}, {{"pads", Ints{1, 0, 1, 1, 0, 1}}}},
      {"wide output", {1, 64, 28, 28}, {64, 64, 3, 3}, {{"pads", Ints{1, 1, 1, 1}}}},
  };
  for (const ConvCase &c : cases) {
    INFO(c.name);
    Tensor x = randomTensor(c.x, rng), w = randomTensor(c.w, rng);
    std::vector<Tensor> inputs{x, w};
    if (c.bias) inputs.push_back(randomTensor({c.w[0]}, rng));
    CHECK(checkKernel(withConstants({"Conv", inputs, c.attributes}, {false, true, true})) ==
          "spcc_kernel_conv");
  }
}

TEST_CASE("depthwise kernel: strides, dilations, plane widths and fused activations", "[kernels]") {
  std::mt19937 rng(14);
  struct DepthwiseCase {
    const char *name;
    Ints x, w;
    Ints pads, strides, dilations;
  };
  // Widths around the 8- and 16-column vectors (a row's last vector moved back to end at its
  // end), heights around the 8- and 4-row blocks; the fixed-tap paths (3x3 and 5x5 at stride 1
  // or 2, read in place with masked borders) and the generic one (other kernels, dilations,
  // strides).
  std::vector<DepthwiseCase> cases = {
      {"112x112 stride 2 (MobileNet)",
       {1, 4, 112, 112},
       {4, 1, 3, 3},
       {1, 1, 1, 1},
       {2, 2},
       {1, 1}},
      {"37x35 stride 2", {1, 3, 37, 35}, {3, 1, 3, 3}, {1, 1, 1, 1}, {2, 2}, {1, 1}},
      {"7x7 stride 1", {2, 5, 7, 7}, {5, 1, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}},
      {"9x17 no padding", {1, 2, 9, 17}, {2, 1, 3, 3}, {0, 0, 0, 0}, {1, 1}, {1, 1}},
      {"5x5 dilation 2", {1, 3, 20, 19}, {3, 1, 5, 5}, {4, 4, 4, 4}, {1, 1}, {2, 2}},
      {"stride 3 asymmetric pads", {1, 2, 23, 26}, {2, 1, 3, 4}, {0, 2, 1, 1}, {3, 3}, {1, 1}},
      {"stride (1, 2)", {1, 2, 10, 33}, {2, 1, 3, 3}, {1, 1, 1, 1}, {1, 2}, {1, 1}},
      {"multiplier 3", {1, 2, 18, 18}, {6, 1, 3, 3}, {1, 1, 1, 1}, {2, 2}, {1, 1}},
      {"1x1 output", {1, 3, 3, 3}, {3, 1, 3, 3}, {0, 0, 0, 0}, {1, 1}, {1, 1}},
      {"17x33 stride 1", {1, 2, 17, 33}, {2, 1, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}},
      {"9x16 stride 1, pads on one side",
       {1, 2, 9, 16},
       {2, 1, 3, 3},
       {0, 0, 2, 2},
       {1, 1},
       {1, 1}},
      {"15x34 stride 2, SAME-style pads",
       {1, 2, 15, 34},
       {2, 1, 3, 3},
       {0, 0, 1, 1},
       {2, 2},
       {1, 1}},
      {"1x2 stride 2", {1, 2, 1, 2}, {2, 1, 3, 3}, {1, 1, 1, 1}, {2, 2}, {1, 1}},
      {"5x5 stride 1", {1, 3, 19, 18}, {3, 1, 5, 5}, {2, 2, 2, 2}, {1, 1}, {1, 1}},
      {"5x5 stride 2", {1, 3, 29, 40}, {3, 1, 5, 5}, {2, 1, 2, 3}, {2, 2}, {1, 1}},
      // Rows narrower than a vector are stored whole but the plane's last: 3 columns spill into
      // the two rows after, 12 into the next (16-column vectors).
      {"20x3 stride 1", {1, 2, 20, 3}, {2, 1, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}},
      {"13x12 stride 1", {1, 3, 13, 12}, {3, 1, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}},
      {"21x5 stride 2", {1, 2, 21, 5}, {2, 1, 3, 3}, {1, 1, 1, 1}, {2, 2}, {1, 1}},
      // With AVX-512, planes whose input rows fit one 16-float load and output rows one vector
      // go one output row at a time: at stride 1 (rows of 9 to 16 outputs) by lane shifts, at
      // stride 2 (rows of at most 7 outputs for a 3x3, 6 for a 5x5) by permutes of two
      // 8-float loads (AVX2: the even / odd splits above); rows past the plane's top and
      // bottom, left pads of 0 to 2, a multiplier, taller planes, 2 samples.
      {"one vector: 14x14 stride 1 (MobileNet)",
       {1, 5, 14, 14},
       {5, 1, 3, 3},
       {1, 1, 1, 1},
       {1, 1},
       {1, 1}},
      {"one vector: 9x14 stride 1, pads before only (left 2)",
       {2, 2, 9, 14},
       {2, 1, 3, 3},
       {1, 2, 0, 0},
       {1, 1},
       {1, 1}},
      {"one vector: 13x14 stride 1, a right pad past the load",
       {1, 2, 13, 14},
       {2, 1, 3, 3},
       {1, 1, 1, 2},
       {1, 1},
       {1, 1}},
      {"one vector: 5x5 stride 1 on 11x12",
       {1, 3, 11, 12},
       {3, 1, 5, 5},
       {2, 2, 2, 2},
       {1, 1},
       {1, 1}},
      {"one vector: 14x14 stride 2 (MobileNet's last)",
       {1, 5, 14, 14},
       {5, 1, 3, 3},
       {1, 1, 1, 1},
       {2, 2},
       {1, 1}},
      {"one vector: 13x11 stride 2, pads after only",
       {1, 3, 13, 11},
       {3, 1, 3, 3},
       {0, 0, 1, 1},
       {2, 2},
       {1, 1}},
      {"one vector: 10x9 stride 2, pads of 2 before only",
       {1, 2, 10, 9},
       {2, 1, 3, 3},
       {2, 2, 0, 0},
       {2, 2},
       {1, 1}},
      {"one vector: 25x12 stride 2, 2 samples",
       {2, 3, 25, 12},
       {3, 1, 3, 3},
       {1, 1, 1, 1},
       {2, 2},
       {1, 1}},
      {"one vector: 5x5 stride 2 on 12x11",
       {1, 4, 12, 11},
       {4, 1, 5, 5},
       {2, 2, 2, 2},
       {2, 2},
       {1, 1}},
      {"one vector: multiplier 2, stride 2",
       {1, 2, 14, 14},
       {4, 1, 3, 3},
       {1, 1, 1, 1},
       {2, 2},
       {1, 1}},
      // Planes of at most 64 outputs go in blocks of 16 (AVX-512) or 8 (AVX2) channels where
      // that is faster (not 3x3 at stride 2 with 16 lanes) and every thread gets a block, the
      // channels after the last whole block plane by plane: 35 channels are two or four blocks
      // and three planes, in each of two samples.
      {"blocks: 7x7 stride 1, 35 channels, 2 samples",
       {2, 35, 7, 7},
       {35, 1, 3, 3},
       {1, 1, 1, 1},
       {1, 1},
       {1, 1}},
      {"blocks: 14x14 stride 2", {1, 32, 14, 14}, {32, 1, 3, 3}, {1, 1, 1, 1}, {2, 2}, {1, 1}},
      {"blocks: 14x14 stride 2, SAME-style pads",
       {1, 16, 14, 14},
       {16, 1, 3, 3},
       {0, 0, 1, 1},
       {2, 2},
       {1, 1}},
      {"blocks: 5x5 on 4x4", {1, 16, 4, 4}, {16, 1, 5, 5}, {2, 2, 2, 2}, {1, 1}, {1, 1}},
      {"blocks: 5x5 stride 2", {1, 24, 13, 14}, {24, 1, 5, 5}, {2, 2, 2, 2}, {2, 2}, {1, 1}},
      {"blocks: dilated", {1, 24, 6, 6}, {24, 1, 3, 3}, {2, 2, 2, 2}, {1, 1}, {2, 2}},
      {"blocks: stride (1, 2), 3x4 kernel",
       {1, 16, 6, 9},
       {16, 1, 3, 4},
       {1, 0, 1, 2},
       {1, 2},
       {1, 1}},
      {"blocks: 1x1 plane", {1, 17, 1, 1}, {17, 1, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}},
      // Kernels of 5x5 or more go in blocks at every plane size.
      {"blocks: 5x5 on 12x13, 40 channels",
       {1, 40, 12, 13},
       {40, 1, 5, 5},
       {2, 2, 2, 2},
       {1, 1},
       {1, 1}},
      {"blocks: 7x7 on 11x10 (ConvNeXt)",
       {1, 16, 11, 10},
       {16, 1, 7, 7},
       {3, 3, 3, 3},
       {1, 1},
       {1, 1}},
  };
  for (const DepthwiseCase &c : cases)
    for (const char *activation : {"", "Relu", "Clip"}) {
      INFO(c.name << " activation '" << activation << "'");
      std::map<std::string, Attribute> attributes = {
          {"group", c.x[1]}, {"pads", c.pads}, {"strides", c.strides}, {"dilations", c.dilations}};
      std::string op = "Conv";
      if (*activation) {
        op = "FusedConv";
        attributes["activation"] = std::string(activation);
        if (std::string(activation) == "Clip") {
          attributes["activation_min"] = -0.5f;
          attributes["activation_max"] = 0.75f;
        }
      }
      std::vector<Tensor> inputs{randomTensor(c.x, rng), randomTensor(c.w, rng),
                                 randomTensor({c.w[0]}, rng)};
      CHECK(checkKernel(withConstants({op, inputs, attributes}, {false, true, true})) ==
            "spcc_kernel_conv");
    }
}

TEST_CASE(
    "depthwise channel blocks against a direct sum, shapes the kernel leaves to planes included",
    "[kernels]") {
  // Called directly, so that every shape runs in blocks at either vector width: 3x3 at stride 2,
  // and an unpadded 8x8 plane at stride 2, whose last row and column no output reads.
  struct BlockCase {
    int64_t channels, height, width, kernel, stride, pad;
  };
  const BlockCase cases[] = {
      {32, 8, 8, 3, 2, 0}, {16, 14, 14, 3, 2, 1}, {48, 7, 7, 3, 1, 1}, {16, 9, 7, 5, 2, 2}};
  std::mt19937 rng(15);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const BlockCase &c : cases) {
    INFO(c.channels << " x " << c.height << "x" << c.width << ", kernel " << c.kernel << ", stride "
                    << c.stride << ", pad " << c.pad);
    spcc_conv_params p{};
    p.n = 2;
    p.cin = p.cout = p.group = c.channels;
    p.in[0] = p.out[0] = p.kernel[0] = 1;
    p.in[1] = c.height;
    p.in[2] = c.width;
    p.kernel[1] = p.kernel[2] = c.kernel;
    for (int a = 0; a < 3; ++a) p.stride[a] = p.dilation[a] = 1;
    p.stride[1] = p.stride[2] = c.stride;
    p.pad_begin[1] = p.pad_begin[2] = c.pad;
    p.out[1] = (c.height + 2 * c.pad - c.kernel) / c.stride + 1;
    p.out[2] = (c.width + 2 * c.pad - c.kernel) / c.stride + 1;
    p.has_bias = 1;
    p.post_op = SPCC_POST_CLIP;
    p.post_min = -0.5f;
    p.post_max = 0.75f;
    REQUIRE(kernels::depthwiseChannelBlockCount(p) ==
            c.channels / kernels::depthwiseChannelBlockLanes());
    int64_t inPlane = p.in[1] * p.in[2], outPlane = p.out[1] * p.out[2], taps = c.kernel * c.kernel;
    std::vector<float> x(size_t(p.n * c.channels * inPlane)), w(size_t(c.channels * taps)),
        bias(size_t(c.channels));
    for (std::vector<float> *v : {&x, &w, &bias})
      for (float &f : *v) f = uniform(rng);
    for (int32_t threads : {1, 2}) {
      std::vector<float> y(size_t(p.n * c.channels * outPlane), std::nanf(""));
      kernels::depthwiseChannelBlocks(p, x.data(), w.data(), bias.data(), y.data(), threads);
      for (int64_t n = 0; n < p.n; ++n)
        for (int64_t m = 0; m < c.channels; ++m)
          for (int64_t oh = 0; oh < p.out[1]; ++oh)
            for (int64_t ow = 0; ow < p.out[2]; ++ow) {
              double sum = bias[size_t(m)];
              for (int64_t kh = 0; kh < c.kernel; ++kh)
                for (int64_t kw = 0; kw < c.kernel; ++kw) {
                  int64_t ih = oh * c.stride + kh - c.pad, iw = ow * c.stride + kw - c.pad;
                  if (ih >= 0 && ih < c.height && iw >= 0 && iw < c.width)
                    sum += double(x[size_t((n * c.channels + m) * inPlane + ih * c.width + iw)]) *
                           w[size_t(m * taps + kh * c.kernel + kw)];
                }
              double expected = std::min(0.75, std::max(-0.5, sum));
              float actual = y[size_t((n * c.channels + m) * outPlane + oh * p.out[2] + ow)];
              // Channels past the last whole block are the caller's: left as they were (NaN).
              if (m >=
                  kernels::depthwiseChannelBlockCount(p) * kernels::depthwiseChannelBlockLanes())
                CHECK(std::isnan(actual));
              else
                CHECK(std::abs(actual - expected) <= 1e-5 * (1 + std::abs(expected)));
            }
    }
  }
}

TEST_CASE("pooling kernels", "[kernels]") {
  std::mt19937 rng(13);
  std::vector<std::pair<Ints, std::map<std::string, Attribute>>> cases = {
      {{1, 3, 9, 9},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}},
      {{2, 2, 8, 7}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}},
      {{1, 2, 7, 7},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}},
      {{1, 2, 8, 8},
       {{"kernel_shape", Ints{3, 3}},
        {"pads", Ints{1, 1, 1, 1}},
        {"count_include_pad", int64_t(1)}}},
      {{1, 2, 8, 8}, {{"kernel_shape", Ints{2, 3}}, {"pads", Ints{0, 1, 1, 2}}}},
      {{1, 3, 12}, {{"kernel_shape", Ints{4}}, {"strides", Ints{3}}, {"pads", Ints{1, 1}}}},
      {{1, 2, 4, 5, 6}, {{"kernel_shape", Ints{2, 2, 3}}, {"pads", Ints{0, 1, 1, 1, 0, 1}}}},
      {{1, 2, 10, 10}, {{"kernel_shape", Ints{3, 3}}, {"auto_pad", std::string("SAME_LOWER")}}},
      {{1, 3, 112, 112},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}},
      {{1, 2, 31, 29},
       {{"kernel_shape", Ints{5, 4}}, {"strides", Ints{3, 3}}, {"pads", Ints{2, 1, 2, 3}}}},
      // MaxPool's in-place 2-D path: widths around its 8- and 16-column vectors, strides 1
      // and 2 across columns, windows that cross the borders.
      {{1, 2, 9, 33},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{1, 2}}, {"pads", Ints{1, 0, 1, 2}}}},
      {{1, 2, 6, 17}, {{"kernel_shape", Ints{2, 5}}, {"pads", Ints{1, 2, 0, 2}}}},
      {{1, 2, 5, 16}, {{"kernel_shape", Ints{3, 2}}, {"strides", Ints{2, 2}}}},
      // 3-wide stride-2 windows a row at a time (rowMaxPlane): padding of 2 and 0 columns,
      // widths that end inside a vector, windows past the right edge (ceil_mode).
      {{1, 3, 11, 70},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{2, 2, 2, 2}}}},
      {{1, 2, 10, 41},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}},
      // ResNet-50's pool after its stem: 3.2 MB of planes, past L2, where MaxPool prefetches
      // each next plane (PlanePrefetch.h).
      {{1, 64, 112, 112},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}},
  };
  for (auto &[dims, attrs] : cases)
    for (const char *op : {"MaxPool", "AveragePool"}) {
      INFO(op << " " << dimsToString(dims));
      checkKernel({op, {randomTensor(dims, rng)}, attrs, 1, {false}});
    }
  // Dilated windows (MaxPool only in ONNX before opset 19).
  checkKernel(
      {"MaxPool",
       {randomTensor({1, 2, 11, 11}, rng)},
       {{"kernel_shape", Ints{3, 3}}, {"dilations", Ints{2, 2}}, {"pads", Ints{2, 2, 2, 2}}},
       1,
       {false}});
  for (const Ints &dims :
       std::vector<Ints>{{1, 8, 7, 7},
                         {2, 3, 5},
                         {1, 2, 3, 4, 5},
                         {2, 512, 7, 7},
                         {1, 3, 4, 4},
                         {1, 2, 3, 11},
                         {1, 2, 112, 112},
                         // Whole groups of planes and planes left over; planes of
                         // whole vectors; the largest plane summed in float lanes.
                         {1, 37, 5, 5},
                         {1, 33, 1, 16},
                         {1, 17, 16, 16},
                         {1, 17, 16, 17}}) {
    CHECK(checkKernel({"GlobalAveragePool", {randomTensor(dims, rng)}, {}, 1, {false}}) ==
          "spcc_kernel_global_average_pool");
    CHECK(checkKernel({"GlobalMaxPool", {randomTensor(dims, rng)}, {}, 1, {false}}) ==
          "spcc_kernel_reduce");
  }
}

TEST_CASE("FusedAttention kernel: heads in place, masks broadcast, query tails", "[kernels]") {
  std::mt19937 rng(14);
  struct Case {
    Ints q, k, v, mask;
  };
  const Case cases[] = {
      {{1, 128, 12, 64}, {1, 128, 12, 64}, {1, 128, 12, 64}, {1, 1, 1, 128}}, // BERT-base
      {{2, 37, 3, 16}, {2, 45, 3, 16}, {2, 45, 3, 24}, {2, 1, 37, 45}},
      {{2, 37, 3, 16}, {2, 45, 3, 16}, {2, 45, 3, 24}, {45}},
      {{1, 5, 2, 8}, {1, 5, 2, 8}, {1, 5, 2, 8}, {1, 2, 5, 5}},
      {{3, 33, 1, 4}, {3, 7, 1, 4}, {3, 7, 1, 4}, {}},
  };
  for (const Case &c : cases) {
    INFO("Q " << dimsToString(c.q) << " K " << dimsToString(c.k) << " V " << dimsToString(c.v)
              << " mask " << (c.mask.empty() ? "none" : dimsToString(c.mask)));
    std::vector<Tensor> inputs = {randomTensor(c.q, rng), randomTensor(c.k, rng),
                                  randomTensor(c.v, rng)};
    if (!c.mask.empty()) inputs.push_back(randomTensor(c.mask, rng));
    CHECK(checkKernel({"FusedAttention", inputs, {{"scale", 0.125f}}}) == "spcc_kernel_attention");
    // Q, K, V and the output transposed, [heads * dim, batch * len], as between sparse products.
    CHECK(checkKernelFeatureMajor({"FusedAttention", inputs, {{"scale", 0.125f}}}, true, true) ==
          "spcc_kernel_attention");
  }
}

TEST_CASE("FusedAttention kernel: masked keys weigh nothing", "[kernels]") {
  // BERT's padding mask: -1e4 (or -inf, or the lowest float) on the keys past the text. Their
  // shifted scores are far below exp's range: a result that reads them as anything but zero,
  // or a NaN, fails.
  std::mt19937 rng(15);
  for (float masked :
       {-1e4f, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::lowest()}) {
    INFO("masked keys at " << masked);
    const Ints q = {1, 70, 2, 16};
    Tensor mask = randomTensor({1, 1, 1, 70}, rng);
    auto values = mask.getMutableData<float>();
    for (size_t j = 0; j < values.size(); ++j) values[j] = j < 50 ? 0.0f : masked;
    std::vector<Tensor> inputs = {randomTensor(q, rng, -4, 4), randomTensor(q, rng, -4, 4),
                                  randomTensor(q, rng), mask};
    CHECK(checkKernel({"FusedAttention", inputs, {{"scale", 0.25f}}}) == "spcc_kernel_attention");
    CHECK(checkKernelFeatureMajor({"FusedAttention", inputs, {{"scale", 0.25f}}}, true, true) ==
          "spcc_kernel_attention");
  }
}
