#include "tests/ops/OpTestUtil.h"

#include <cmath>

using namespace spcc;
using namespace spcc::test;

TEST_CASE("float unary ops match their formulas on random data", "[ops][unary]") {
  std::mt19937 rng(1);
  Tensor x = randomTensor({3, 5}, rng, -3, 3);
  struct Case {
    const char *op;
    double (*fn)(double);
  } cases[] = {
      {"Relu", [](double v) { return v > 0 ? v : 0.0; }},
      {"Sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); }},
      {"Tanh", [](double v) { return std::tanh(v); }},
      {"Erf", [](double v) { return std::erf(v); }},
      {"Exp", [](double v) { return std::exp(v); }},
      {"Neg", [](double v) { return -v; }},
      {"Abs", [](double v) { return std::fabs(v); }},
      {"Gelu", [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {"Ceil", [](double v) { return std::ceil(v); }},
      {"Floor", [](double v) { return std::floor(v); }},
      {"Sign", [](double v) { return v > 0   ? 1.0
                                     : v < 0 ? -1.0
                                             : 0.0; }},
      {"Reciprocal", [](double v) { return 1 / v; }},
      {"Sin", [](double v) { return std::sin(v); }},
      {"Cos", [](double v) { return std::cos(v); }},
      {"Softplus", [](double v) { return std::log(1 + std::exp(v)); }},
      {"Softsign", [](double v) { return v / (1 + std::fabs(v)); }},
      {"Elu", [](double v) { return v < 0 ? std::exp(v) - 1 : v; }},
      {"Selu",
       [](double v) {
         return 1.0507009873554805 * (v <= 0 ? 1.6732632423543772 * (std::exp(v) - 1) : v);
       }},
      {"Celu", [](double v) { return v < 0 ? std::exp(v) - 1 : v; }},
      {"HardSigmoid", [](double v) { return std::min(1.0, std::max(0.0, 0.2 * v + 0.5)); }},
      {"HardSwish", [](double v) { return v * std::min(1.0, std::max(0.0, v / 6 + 0.5)); }},
      {"ThresholdedRelu", [](double v) { return v > 1 ? v : 0.0; }},
      {"Mish", [](double v) { return v * std::tanh(std::log(1 + std::exp(v))); }},
  };
  for (const Case &c : cases) {
    INFO(c.op);
    Tensor out = runOpOrFail({c.op, {x}})[0];
    Tensor expected(x.getType());
    auto dst = expected.getMutableData<float>();
    for (size_t i = 0; i < dst.size(); ++i) dst[i] = float(c.fn(x.getData<float>()[i]));
    requireClose(out, expected);
  }
}

TEST_CASE("Sqrt of positive data", "[ops][unary]") {
  std::mt19937 rng(2);
  Tensor x = randomTensor({7}, rng, 0.1f, 4);
  Tensor out = runOpOrFail({"Sqrt", {x}})[0];
  for (int64_t i = 0; i < 7; ++i)
    CHECK(out.getAsDouble(i) == Approx(std::sqrt(x.getAsDouble(i))).epsilon(1e-6));
}

TEST_CASE("LeakyRelu uses alpha", "[ops][unary]") {
  Tensor x = Tensor::fromVector<float>({4}, {-2, -0.5f, 0, 3});
  Tensor out = runOpOrFail({"LeakyRelu", {x}, {{"alpha", 0.2f}}})[0];
  requireClose(out, Tensor::fromVector<float>({4}, {-0.4f, -0.1f, 0, 3}));
}

TEST_CASE("Gelu tanh approximation and bad approximate", "[ops][unary]") {
  Tensor x = Tensor::fromVector<float>({2}, {-1.5f, 0.7f});
  Tensor out = runOpOrFail({"Gelu", {x}, {{"approximate", std::string("tanh")}}})[0];
  for (int64_t i = 0; i < 2; ++i) {
    double v = x.getAsDouble(i);
    double expected = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    CHECK(out.getAsDouble(i) == Approx(expected).epsilon(1e-6));
  }
  CHECK_THAT(runOpError({"Gelu", {x}, {{"approximate", std::string("fast")}}}),
             Catch::Contains("approximate"));
}

TEST_CASE("Clip with optional bounds, float and int64", "[ops][unary]") {
  Tensor x = Tensor::fromVector<float>({4}, {-7, -1, 2, 9});
  requireClose(runOpOrFail({"Clip", {x, Tensor::scalar(0.0f), Tensor::scalar(6.0f)}})[0],
               Tensor::fromVector<float>({4}, {0, 0, 2, 6}));
  requireClose(runOpOrFail({"Clip", {x, Tensor(), Tensor::scalar(1.0f)}})[0],
               Tensor::fromVector<float>({4}, {-7, -1, 1, 1}));
  Tensor xi = Tensor::fromVector<int64_t>({3}, {-5, 3, 10});
  Tensor out =
      runOpOrFail({"Clip", {xi, Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(4)}})[0];
  CHECK(out.toInts() == llvm::SmallVector<int64_t>{0, 3, 4});
  CHECK_THAT(runOpError({"Clip", {x, Tensor::scalar<int64_t>(0)}}), Catch::Contains("scalar"));
}

TEST_CASE("Cast converts between float, int64 and bool", "[ops][unary]") {
  Tensor x = Tensor::fromVector<float>({3}, {-1.75f, 0, 2.5f});
  Tensor i = runOpOrFail({"Cast", {x}, {{"to", int64_t(7)}}})[0]; // INT64
  CHECK(i.toInts() == llvm::SmallVector<int64_t>{-1, 0, 2});
  Tensor b = runOpOrFail({"Cast", {x}, {{"to", int64_t(9)}}})[0]; // BOOL
  CHECK(b.toInts() == llvm::SmallVector<int64_t>{1, 0, 1});
  CHECK_THAT(runOpError({"Cast", {x}, {{"to", int64_t(8)}}}), Catch::Contains("STRING"));
}

TEST_CASE("Dropout is identity in inference and rejects training mode", "[ops][unary]") {
  std::mt19937 rng(3);
  Tensor x = randomTensor({2, 3}, rng);
  TensorList outs = runOpOrFail({"Dropout", {x, Tensor::scalar(0.5f)}, {}, 2});
  requireClose(outs[0], x);
  CHECK(outs[1].countNonZeros() == 6);
  Tensor yes = Tensor::fromBools({}, {true});
  CHECK_THAT(runOpError({"Dropout", {x, Tensor::scalar(0.5f), yes}}),
             Catch::Contains("training_mode"));
}

TEST_CASE("Unary float ops reject integer input", "[ops][unary]") {
  Tensor xi = Tensor::fromVector<int64_t>({2}, {1, 2});
  CHECK_THAT(runOpError({"Relu", {xi}}), Catch::Contains("element type i64"));
}

TEST_CASE("Round takes halves to even; Log of positive data", "[ops][unary]") {
  Tensor x = Tensor::fromVector<float>({6}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f});
  Tensor rounded = runOpOrFail({"Round", {x}})[0];
  CHECK(rounded.getData<float>() == llvm::ArrayRef<float>({0, 2, 2, -0.0f, -2, 2}));
  Tensor positive = Tensor::fromVector<float>({3}, {0.5f, 1.0f, 20.0f});
  Tensor logs = runOpOrFail({"Log", {positive}})[0];
  for (int64_t i = 0; i < 3; ++i)
    CHECK(logs.getAsDouble(i) == Approx(std::log(positive.getAsDouble(i))).epsilon(1e-6));
}
