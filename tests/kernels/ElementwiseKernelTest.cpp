#include "tests/kernels/KernelTestUtil.h"

#include <limits>

using namespace spcc;
using namespace spcc::test;

namespace {

using Ints = std::vector<int64_t>;

/// An integer tensor of \p dtype with values uniform in [lo, hi], none equal to
/// \p avoid.
Tensor randomInts(DType dtype, llvm::ArrayRef<int64_t> dims, std::mt19937 &rng, int64_t lo,
                  int64_t hi, std::optional<int64_t> avoid = std::nullopt) {
  Tensor t(TensorType(dtype, dims));
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  auto draw = [&] {
    int64_t v = dist(rng);
    while (avoid && v == *avoid) v = dist(rng);
    return v;
  };
  if (dtype == DType::Int64)
    for (int64_t &x : t.getMutableData<int64_t>()) x = draw();
  else if (dtype == DType::Int32)
    for (int32_t &x : t.getMutableData<int32_t>()) x = int32_t(draw());
  else if (dtype == DType::Int8)
    for (int8_t &x : t.getMutableData<int8_t>()) x = int8_t(draw());
  else
    for (uint8_t &x : t.getMutableData<uint8_t>()) x = uint8_t(draw());
  return t;
}

Tensor randomBools(llvm::ArrayRef<int64_t> dims, std::mt19937 &rng) {
  return randomInts(DType::Bool, dims, rng, 0, 1);
}

OpCall dataOnly(OpCall call) {
  call.constantInputs.assign(call.inputs.size(), false);
  return call;
}

const std::vector<Ints> unaryShapes = {{7}, {3, 5, 1}, {}, {2, 20011}, {0, 4}};

} // namespace

TEST_CASE("unary float kernels match the reference", "[kernels]") {
  std::mt19937 rng(1);
  struct Case {
    const char *op;
    float lo, hi;
    std::map<std::string, Attribute> attributes;
  };
  std::vector<Case> cases = {
      {"Relu", -2, 2, {}},
      {"LeakyRelu", -2, 2, {{"alpha", 0.2f}}},
      {"Sigmoid", -20, 20, {}},
      {"Tanh", -6, 6, {}},
      {"Erf", -4, 4, {}},
      {"Gelu", -5, 5, {}},
      {"Gelu", -5, 5, {{"approximate", std::string("tanh")}}},
      {"Sqrt", 0, 100, {}},
      {"Neg", -3, 3, {}},
      {"Exp", -10, 10, {}},
      {"Abs", -3, 3, {}},
      {"Ceil", -5, 5, {}},
      {"Floor", -5, 5, {}},
      {"Round", -5, 5, {}},
      {"Sign", -2, 2, {}},
      {"Reciprocal", 0.5f, 4, {}},
      {"Log", 0.01f, 100, {}},
      {"Sin", -7, 7, {}},
      {"Cos", -7, 7, {}},
      {"Softplus", -30, 30, {}},
      {"Softsign", -5, 5, {}},
      {"Elu", -4, 4, {}},
      {"Elu", -4, 4, {{"alpha", 0.5f}}},
      {"Selu", -4, 4, {}},
      {"Celu", -4, 4, {{"alpha", 2.0f}}},
      {"HardSigmoid", -6, 6, {}},
      {"HardSigmoid", -6, 6, {{"alpha", 0.3f}, {"beta", 0.4f}}},
      {"HardSwish", -5, 5, {}},
      {"ThresholdedRelu", -3, 3, {{"alpha", 0.5f}}},
      {"Mish", -10, 10, {}},
      {"Tan", -1.4f, 1.4f, {}},
      {"Asin", -0.99f, 0.99f, {}},
      {"Acos", -0.99f, 0.99f, {}},
      {"Atan", -5, 5, {}},
      {"Sinh", -5, 5, {}},
      {"Cosh", -5, 5, {}},
      {"Asinh", -5, 5, {}},
      {"Acosh", 1, 10, {}},
      {"Atanh", -0.99f, 0.99f, {}},
      {"Shrink", -2, 2, {{"lambd", 0.7f}, {"bias", 0.2f}}},
  };
  for (const Case &c : cases)
    for (const Ints &dims : unaryShapes) {
      INFO(c.op << " " << dimsToString(dims));
      CHECK(checkKernel(dataOnly({c.op, {randomTensor(dims, rng, c.lo, c.hi)}, c.attributes})) ==
            "spcc_kernel_unary");
    }
}

TEST_CASE("Clip and Neg kernels handle bounds and integer types", "[kernels]") {
  std::mt19937 rng(2);
  Tensor x = randomTensor({3, 17}, rng, -3, 3);
  // Constant bounds are folded into the parameters; others are read at run
  // time.
  checkKernel(
      {"Clip", {x, Tensor::scalar(-1.0f), Tensor::scalar(0.5f)}, {}, 1, {false, true, true}});
  checkKernel(
      {"Clip", {x, Tensor::scalar(-1.0f), Tensor::scalar(0.5f)}, {}, 1, {false, false, false}});
  checkKernel({"Clip", {x, Tensor(), Tensor::scalar(0.5f)}, {}, 1, {false, true, true}});
  checkKernel({"Clip", {x}, {}, 1, {false}});
  Tensor i64 = randomInts(DType::Int64, {40}, rng, -50, 50);
  checkKernel({"Clip", {i64, Tensor::scalar<int64_t>(-7), Tensor()}, {}, 1, {false, true}});
  Tensor i32 = randomInts(DType::Int32, {40}, rng, -50, 50);
  checkKernel({"Clip",
               {i32, Tensor::scalar<int32_t>(-7), Tensor::scalar<int32_t>(9)},
               {},
               1,
               {false, false, false}});
  for (DType dtype : {DType::Int64, DType::Int32, DType::Int8})
    checkKernel(dataOnly({"Neg", {randomInts(dtype, {5, 9}, rng, -100, 100)}}));
}

TEST_CASE("Cast kernels convert between every dtype pair", "[kernels]") {
  std::mt19937 rng(3);
  std::vector<Tensor> sources = {randomTensor({4, 9}, rng, -100, 100),
                                 randomInts(DType::Int64, {4, 9}, rng, -100, 100),
                                 randomInts(DType::Int32, {4, 9}, rng, -100, 100),
                                 randomInts(DType::Int8, {4, 9}, rng, -100, 100),
                                 randomInts(DType::UInt8, {4, 9}, rng, 0, 200),
                                 randomBools({4, 9}, rng)};
  for (const Tensor &src : sources)
    for (DType to : {DType::Float32, DType::Int64, DType::Int32, DType::Bool}) {
      INFO(src.getType().str() << " to " << dtypeName(to).str());
      checkKernel(dataOnly({"Cast", {src}, {{"to", int64_t(dtypeToOnnx(to))}}}));
    }
}

TEST_CASE("binary kernels broadcast like the reference", "[kernels]") {
  std::mt19937 rng(4);
  std::vector<std::pair<Ints, Ints>> shapes = {
      {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}},
      {{2, 1, 4}, {3, 1}},    {{}, {5}},
      {{64, 128}, {64, 1}},   {{300, 200}, {200}},
      {{1, 200}, {300, 1}},   {{2, 1, 3, 1, 5}, {4, 1, 5, 1}},
      {{5, 0}, {1}},
  };
  for (const char *op : {"Add", "Sub", "Mul", "Div", "Pow"})
    for (auto &[a, b] : shapes) {
      INFO(op << " " << dimsToString(a) << " " << dimsToString(b));
      bool pow = std::string(op) == "Pow";
      Tensor x = randomTensor(a, rng, pow ? 0.1f : -2.0f, 2.0f);
      Tensor y = randomTensor(b, rng, 0.5f, 2.0f);
      CHECK(checkKernel(dataOnly({op, {x, y}})) == "spcc_kernel_binary");
      CHECK(checkKernel(dataOnly({op, {y, x}})) == "spcc_kernel_binary");
    }
  for (DType dtype : {DType::Int64, DType::Int32})
    for (const char *op : {"Add", "Sub", "Mul", "Div"})
      for (auto &[a, b] : shapes) {
        INFO(op << " " << dtypeName(dtype).str() << dimsToString(a) << " " << dimsToString(b));
        checkKernel(dataOnly(
            {op, {randomInts(dtype, a, rng, -1000, 1000), randomInts(dtype, b, rng, -20, 20, 0)}}));
      }
  // Pow with integer exponents, and the squares of LayerNorm decompositions.
  checkKernel(
      dataOnly({"Pow", {randomTensor({6, 7}, rng), randomInts(DType::Int64, {7}, rng, 0, 3)}}));
  checkKernel(
      dataOnly({"Pow", {randomTensor({6, 7}, rng), randomInts(DType::Int32, {}, rng, 2, 2)}}));
  checkKernel(dataOnly({"Pow", {randomTensor({6, 7}, rng), Tensor::scalar(2.0f)}}));
}

TEST_CASE("Equal and Where kernels", "[kernels]") {
  std::mt19937 rng(5);
  checkKernel(dataOnly(
      {"Equal",
       {randomInts(DType::Int64, {3, 4}, rng, 0, 3), randomInts(DType::Int64, {4}, rng, 0, 3)}}));
  checkKernel(dataOnly({"Equal",
                        {randomInts(DType::Int32, {2, 1, 4}, rng, 0, 2),
                         randomInts(DType::Int32, {3, 1}, rng, 0, 2)}}));
  checkKernel(dataOnly({"Equal", {randomBools({5, 6}, rng), randomBools({6}, rng)}}));
  Tensor f = randomTensor({8}, rng);
  checkKernel(dataOnly({"Equal", {f, f}}));
  checkKernel(dataOnly(
      {"Where", {randomBools({3, 4}, rng), randomTensor({3, 4}, rng), randomTensor({3, 4}, rng)}}));
  checkKernel(dataOnly(
      {"Where",
       {randomBools({1, 1, 4, 5}, rng), randomTensor({2, 3, 1, 5}, rng), Tensor::scalar(-1e9f)}}));
  checkKernel(dataOnly({"Where",
                        {randomBools({7, 1}, rng), randomInts(DType::Int64, {9}, rng, 0, 9),
                         randomInts(DType::Int64, {7, 9}, rng, 0, 9)}}));
  checkKernel(dataOnly(
      {"Where",
       {randomBools({300, 100}, rng), randomBools({100}, rng), randomBools({300, 1}, rng)}}));
}

TEST_CASE("Not, IsNaN and IsInf kernels", "[kernels]") {
  std::mt19937 rng(7);
  checkKernel(dataOnly({"Not", {randomBools({3, 17}, rng)}}));
  float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::fromVector<float>({6}, {1, nan, inf, -inf, 0, -2});
  checkKernel(dataOnly({"IsNaN", {x}}));
  for (int64_t negative : {0, 1})
    for (int64_t positive : {0, 1})
      checkKernel(
          dataOnly({"IsInf", {x}, {{"detect_negative", negative}, {"detect_positive", positive}}}));
}

TEST_CASE("comparison, Max, Min, Mod, logic and PRelu kernels", "[kernels]") {
  std::mt19937 rng(6);
  std::vector<std::pair<Ints, Ints>> shapes = {{{2, 3, 4}, {2, 3, 4}},
                                               {{2, 3, 4}, {4}},
                                               {{2, 1, 4}, {3, 1}},
                                               {{}, {5}},
                                               {{300, 200}, {200}}};
  for (auto &[a, b] : shapes) {
    INFO(dimsToString(a) << " " << dimsToString(b));
    for (const char *op : {"Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Max", "Min"}) {
      INFO(op);
      // Small integer-valued floats, so that equal elements occur.
      Tensor x = randomInts(DType::Int64, a, rng, -3, 3),
             y = randomInts(DType::Int64, b, rng, -3, 3);
      CHECK(checkKernel(dataOnly({op, {x, y}})) == "spcc_kernel_binary");
      Tensor fx = randomTensor(a, rng, -2, 2), fy = randomTensor(b, rng, -2, 2);
      CHECK(checkKernel(dataOnly({op, {fx, fy}})) == "spcc_kernel_binary");
      checkKernel(dataOnly(
          {op,
           {randomInts(DType::Int32, a, rng, -3, 3), randomInts(DType::Int32, b, rng, -3, 3)}}));
    }
    for (int64_t fmod : {0, 1})
      for (DType dtype : {DType::Int64, DType::Int32}) {
        INFO("Mod fmod " << fmod << " " << dtypeName(dtype).str());
        checkKernel(
            dataOnly({"Mod",
                      {randomInts(dtype, a, rng, -100, 100), randomInts(dtype, b, rng, -9, 9, 0)},
                      {{"fmod", fmod}}}));
      }
    checkKernel(dataOnly({"Mod",
                          {randomTensor(a, rng, -9, 9), randomTensor(b, rng, 0.5f, 3)},
                          {{"fmod", int64_t(1)}}}));
    for (const char *op : {"And", "Or", "Xor"}) {
      INFO(op);
      checkKernel(dataOnly({op, {randomBools(a, rng), randomBools(b, rng)}}));
    }
  }
  Tensor x = randomTensor({2, 3, 4, 5}, rng, -2, 2);
  checkKernel(dataOnly({"PRelu", {x, randomTensor({3, 1, 1}, rng, 0, 1)}}));
  checkKernel(dataOnly({"PRelu", {x, Tensor::scalar(0.25f)}}));
  checkKernel(dataOnly({"PRelu", {x, randomTensor({2, 3, 4, 5}, rng, 0, 1)}}));
}
