#include "tests/ops/OpTestUtil.h"

using namespace spcc;
using namespace spcc::test;

namespace {

using Ints = std::vector<int64_t>;

/// One convolution to check. padsBegin/padsEnd are the padding the op must end up using (for
/// auto_pad configurations: worked out by hand from the ONNX formulas).
struct ConvConfig {
  const char *name;
  Ints xDims, wDims;
  int64_t group = 1;
  Ints strides, padsBegin, padsEnd, dilations;
  std::string autoPad; ///< Empty: explicit pads attribute.
  bool bias = false;
  bool sparse = false; ///< Zero about half of the weights.
};

/// Naive N-D convolution over every (output element, input channel, kernel tap), in double.
Tensor naiveConv(const Tensor &x, const Tensor &w, const Tensor *b, const ConvConfig &c) {
  size_t spatial = c.xDims.size() - 2;
  Ints outDims{c.xDims[0], c.wDims[0]};
  for (size_t a = 0; a < spatial; ++a) {
    int64_t extent = (c.wDims[a + 2] - 1) * c.dilations[a] + 1;
    outDims.push_back((c.xDims[a + 2] + c.padsBegin[a] + c.padsEnd[a] - extent) / c.strides[a] + 1);
  }
  Tensor out(TensorType(DType::Float32, outDims));
  auto dst = out.getMutableData<float>();
  auto xs = x.getData<float>(), ws = w.getData<float>();
  int64_t cg = c.wDims[1], mg = c.wDims[0] / c.group;
  auto unravel = [](int64_t index, llvm::ArrayRef<int64_t> dims) {
    Ints idx(dims.size());
    for (size_t a = dims.size(); a-- > 0;) {
      idx[a] = index % dims[a];
      index /= dims[a];
    }
    return idx;
  };
  Ints kernelDims(c.wDims.begin() + 2, c.wDims.end());
  int64_t kernelSize = 1;
  for (int64_t k : kernelDims) kernelSize *= k;
  for (int64_t o = 0; o < int64_t(dst.size()); ++o) {
    Ints oi = unravel(o, outDims);
    int64_t n = oi[0], m = oi[1];
    double acc = b ? b->getAsDouble(m) : 0.0;
    for (int64_t ci = 0; ci < cg; ++ci) {
      int64_t channel = (m / mg) * cg + ci;
      for (int64_t k = 0; k < kernelSize; ++k) {
        Ints ki = unravel(k, kernelDims);
        int64_t xOffset = n * c.xDims[1] + channel;
        bool inside = true;
        for (size_t a = 0; a < spatial; ++a) {
          int64_t pos = oi[a + 2] * c.strides[a] + ki[a] * c.dilations[a] - c.padsBegin[a];
          inside &= pos >= 0 && pos < c.xDims[a + 2];
          xOffset = xOffset * c.xDims[a + 2] + pos;
        }
        if (inside) acc += double(xs[size_t(xOffset)]) * ws[size_t((m * cg + ci) * kernelSize + k)];
      }
    }
    dst[size_t(o)] = float(acc);
  }
  return out;
}

std::map<std::string, Attribute> convAttributes(const ConvConfig &c) {
  std::map<std::string, Attribute> attrs{
      {"group", c.group}, {"strides", c.strides}, {"dilations", c.dilations}};
  if (c.autoPad.empty()) {
    Ints pads(c.padsBegin);
    pads.insert(pads.end(), c.padsEnd.begin(), c.padsEnd.end());
    attrs["pads"] = pads;
  } else {
    attrs["auto_pad"] = c.autoPad;
  }
  return attrs;
}

} // namespace

TEST_CASE("Conv matches a naive convolution", "[ops][conv]") {
  const ConvConfig configs[] = {
      {"plain 3x3 with bias",
       {1, 3, 7, 6},
       {4, 3, 3, 3},
       1,
       {1, 1},
       {0, 0},
       {0, 0},
       {1, 1},
       "",
       true},
      {"groups, stride, asymmetric pads",
       {2, 4, 6, 5},
       {6, 2, 3, 2},
       2,
       {2, 1},
       {1, 0},
       {2, 1},
       {1, 1}},
      {"depthwise stride 2",
       {1, 5, 8, 8},
       {5, 1, 3, 3},
       5,
       {2, 2},
       {1, 1},
       {1, 1},
       {1, 1},
       "",
       true},
      {"dilations", {1, 2, 9, 9}, {3, 2, 3, 3}, 1, {1, 1}, {2, 1}, {0, 3}, {2, 3}},
      // H: out 4, total pad 3*2+4-7 = 3; W: out 4, total 3*2+3-8 = 1. UPPER puts the odd one last.
      {"SAME_UPPER",
       {1, 3, 7, 8},
       {4, 3, 4, 3},
       1,
       {2, 2},
       {1, 0},
       {2, 1},
       {1, 1},
       "SAME_UPPER",
       true},
      {"SAME_LOWER", {1, 3, 7, 8}, {4, 3, 4, 3}, 1, {2, 2}, {2, 1}, {1, 0}, {1, 1}, "SAME_LOWER"},
      // Dilated kernel extent 5: H out 4, total pad 3*2+5-8 = 3; W out 4, total 3+5-4 = 4.
      {"SAME_UPPER dilated, grouped",
       {1, 4, 8, 4},
       {2, 2, 3, 3},
       2,
       {2, 1},
       {1, 2},
       {2, 2},
       {2, 2},
       "SAME_UPPER"},
      {"VALID stride 3", {1, 2, 10, 7}, {2, 2, 3, 2}, 1, {3, 2}, {0, 0}, {0, 0}, {1, 1}, "VALID"},
      {"pruned weights",
       {1, 6, 6, 6},
       {8, 6, 3, 3},
       1,
       {1, 1},
       {1, 1},
       {1, 1},
       {1, 1},
       "",
       true,
       true},
      {"1x1", {2, 8, 3, 4}, {5, 8, 1, 1}, 1, {1, 1}, {0, 0}, {0, 0}, {1, 1}, "", true},
      {"1x1x1 strided and padded in depth",
       {1, 3, 5, 2, 3},
       {2, 3, 1, 1, 1},
       1,
       {2, 1, 1},
       {1, 0, 0},
       {0, 0, 0},
       {1, 1, 1}},
      {"1-D", {2, 3, 11}, {4, 3, 3}, 1, {2}, {1}, {2}, {2}, "", true},
      {"3-D", {1, 2, 4, 5, 6}, {3, 2, 2, 3, 2}, 1, {1, 2, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 2}},
  };
  std::mt19937 rng(7);
  for (const ConvConfig &c : configs) {
    INFO(c.name);
    Tensor x = randomTensor(c.xDims, rng);
    Tensor w = randomTensor(c.wDims, rng);
    if (c.sparse)
      for (float &v : w.getMutableData<float>())
        if (v < 0) v = 0;
    Tensor b = randomTensor({c.wDims[0]}, rng);
    OpCall call{"Conv", {x, w}, convAttributes(c)};
    if (c.bias) call.inputs.push_back(b);
    Tensor out = runOpOrFail(call)[0];
    requireClose(out, naiveConv(x, w, c.bias ? &b : nullptr, c), 1e-5, 1e-5);
  }
}

TEST_CASE("Conv with padding sums the in-bounds neighbourhood", "[ops][conv]") {
  Tensor x = Tensor::fromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  Tensor w = Tensor::fromVector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  Tensor out = runOpOrFail({"Conv",
                            {x, w, Tensor::fromVector<float>({1}, {0.5f})},
                            {{"pads", Ints{1, 1, 1, 1}}, {"kernel_shape", Ints{3, 3}}}})[0];
  // Corners see 4 ones, edges 6, the centre 9; plus the bias.
  requireClose(out, Tensor::fromVector<float>(
                        {1, 1, 3, 3}, {4.5f, 6.5f, 4.5f, 6.5f, 9.5f, 6.5f, 4.5f, 6.5f, 4.5f}));
}

TEST_CASE("Conv rejects malformed inputs and attributes", "[ops][conv]") {
  std::mt19937 rng(8);
  Tensor x = randomTensor({1, 3, 5, 5}, rng);
  Tensor w = randomTensor({4, 3, 3, 3}, rng);
  CHECK_THAT(runOpError({"Conv", {x, randomTensor({4, 2, 3, 3}, rng)}}),
             Catch::Contains("has 3 channels") && Catch::Contains("expects 2"));
  Tensor x4 = randomTensor({1, 4, 5, 5}, rng);
  CHECK_THAT(runOpError({"Conv", {x4, randomTensor({3, 2, 3, 3}, rng)}, {{"group", int64_t(2)}}}),
             Catch::Contains("not a multiple of group 2"));
  CHECK_THAT(runOpError({"Conv", {x, w}, {{"pads", Ints{1, 1}}}}),
             Catch::Contains("'pads' has 2 entries, expected 4"));
  CHECK_THAT(runOpError({"Conv", {x, w}, {{"pads", Ints{1, -1, 1, 1}}}}),
             Catch::Contains("'pads'") && Catch::Contains("below 0"));
  CHECK_THAT(runOpError({"Conv", {x, w}, {{"strides", Ints{1, 0}}}}),
             Catch::Contains("'strides'") && Catch::Contains("below 1"));
  CHECK_THAT(runOpError({"Conv", {x, w}, {{"auto_pad", std::string("SAME")}}}),
             Catch::Contains("auto_pad"));
  CHECK_THAT(runOpError({"Conv", {x, w}, {{"kernel_shape", Ints{3, 2}}}}),
             Catch::Contains("kernel_shape"));
  CHECK_THAT(runOpError({"Conv", {x, w, randomTensor({3}, rng)}}),
             Catch::Contains("bias f32[3] must have shape [4]"));
  Tensor xi = Tensor::fromVector<int64_t>({1, 1, 1, 1}, {1});
  CHECK_THAT(runOpError({"Conv", {xi, randomTensor({1, 1, 1, 1}, rng)}}),
             Catch::Contains("element type i64"));
  CHECK_THAT(runOpError({"Conv", {randomTensor({1, 3, 2, 2}, rng), w}}),
             Catch::Contains("too small"));
  CHECK_THAT(runOpError({"Conv", {randomTensor({1, 3, 5, 5}, rng), randomTensor({4, 3, 3}, rng)}}),
             Catch::Contains("must have the rank of input"));
  CHECK_THAT(runOpError({"Conv", {randomTensor({3, 5}, rng), randomTensor({4, 3}, rng)}}),
             Catch::Contains("rank 3 or more"));
  CHECK_THAT(
      runOpError(
          {"Conv", {randomTensor({1, 1, 2, 2, 2, 2}, rng), randomTensor({1, 1, 1, 1, 1, 1}, rng)}}),
      Catch::Contains("at most 3 are supported"));
}
