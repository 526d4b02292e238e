#include "tests/ops/OpTestUtil.h"

#include <cmath>

using namespace spcc;
using namespace spcc::test;

using Dims = llvm::SmallVector<int64_t, 4>;

namespace {

void requireSuccess(llvm::Error err) {
  if (err) FAIL(takeMessage(std::move(err)));
}

/// Softmax of x [a, b, c] along \p axis, computed in double by plain loops.
Tensor referenceSoftmax(const Tensor &x, int axis, bool log) {
  Dims d(x.getDims());
  Tensor out(x.getType());
  auto src = x.getData<float>();
  auto dst = out.getMutableData<float>();
  auto at = [&](int64_t i, int64_t j, int64_t k) { return size_t((i * d[1] + j) * d[2] + k); };
  for (int64_t i = 0; i < d[0]; ++i)
    for (int64_t j = 0; j < d[1]; ++j)
      for (int64_t k = 0; k < d[2]; ++k) {
        double sum = 0;
        for (int64_t r = 0; r < d[size_t(axis)]; ++r) {
          int64_t ii = axis == 0 ? r : i, jj = axis == 1 ? r : j, kk = axis == 2 ? r : k;
          sum += std::exp(double(src[at(ii, jj, kk)]));
        }
        double v = src[at(i, j, k)];
        dst[at(i, j, k)] = float(log ? v - std::log(sum) : std::exp(v) / sum);
      }
  return out;
}

} // namespace

TEST_CASE("BatchNormalization applies per-channel statistics", "[ops][normalization]") {
  std::mt19937 rng(41);
  Tensor x = randomTensor({2, 3, 2, 2}, rng, -2, 2);
  Tensor scale = randomTensor({3}, rng), bias = randomTensor({3}, rng);
  Tensor mean = randomTensor({3}, rng), var = randomTensor({3}, rng, 0.1f, 2);
  float epsilon = 1e-3f;
  Tensor out =
      runOpOrFail({"BatchNormalization", {x, scale, bias, mean, var}, {{"epsilon", epsilon}}})[0];
  Tensor expected(x.getType());
  for (int64_t i = 0; i < 24; ++i) {
    size_t c = size_t((i / 4) % 3);
    double v = x.getData<float>()[size_t(i)];
    expected.getMutableData<float>()[size_t(i)] =
        float((v - mean.getData<float>()[c]) / std::sqrt(var.getData<float>()[c] + epsilon) *
                  scale.getData<float>()[c] +
              bias.getData<float>()[c]);
  }
  requireClose(out, expected, 1e-5, 1e-5);

  // Default epsilon 1e-5 on a rank-2 input.
  Tensor x2 = Tensor::fromVector<float>({1, 2}, {3, 5});
  Tensor ones = Tensor::fromVector<float>({2}, {1, 1});
  Tensor zeros = Tensor::fromVector<float>({2}, {0, 0});
  Tensor out2 = runOpOrFail({"BatchNormalization",
                             {x2, ones, zeros, Tensor::fromVector<float>({2}, {1, 1}),
                              Tensor::fromVector<float>({2}, {4, 1})}})[0];
  requireClose(out2, Tensor::fromVector<float>(
                         {1, 2}, {float(2 / std::sqrt(4 + 1e-5)), float(4 / std::sqrt(1 + 1e-5))}));
}

TEST_CASE("BatchNormalization rejects training and bad parameter shapes", "[ops][normalization]") {
  std::mt19937 rng(42);
  Tensor x = randomTensor({1, 3, 2}, rng);
  Tensor p = randomTensor({3}, rng, 0.5f, 1);
  CHECK_THAT(runOpError({"BatchNormalization", {x, p, p, p, p}, {{"training_mode", int64_t(1)}}}),
             Catch::Contains("training_mode = 1 is not supported"));
  CHECK_THAT(runOpError({"BatchNormalization", {x, p, p, p, p}, {}, 3}),
             Catch::Contains("has 3 outputs; only Y"));
  CHECK_THAT(runOpError({"BatchNormalization", {x, p, p, randomTensor({4}, rng), p}}),
             Catch::Contains("input_mean must have shape [3] (the channels of X f32[1,3,2]), got "
                             "f32[4]"));
  CHECK_THAT(runOpError({"BatchNormalization", {Tensor::scalar(1.0f), p, p, p, p}}),
             Catch::Contains("rank >= 2"));
}

TEST_CASE("LayerNormalization over the last axis with Scale and B", "[ops][normalization]") {
  std::mt19937 rng(43);
  Tensor x = randomTensor({2, 3, 4}, rng, -3, 3);
  Tensor scale = randomTensor({4}, rng), bias = randomTensor({4}, rng);
  TensorList outs = runOpOrFail({"LayerNormalization", {x, scale, bias}, {}, 3});
  REQUIRE(outs.size() == 3);
  CHECK(outs[1].getType().str() == "f32[2,3,1]");
  CHECK(outs[2].getType().str() == "f32[2,3,1]");
  Tensor expected(x.getType()), mean(outs[1].getType()), inv(outs[2].getType());
  for (int64_t r = 0; r < 6; ++r) {
    const float *row = x.getData<float>().data() + r * 4;
    double m = (double(row[0]) + row[1] + row[2] + row[3]) / 4, var = 0;
    for (int j = 0; j < 4; ++j) var += (row[j] - m) * (row[j] - m) / 4;
    double is = 1 / std::sqrt(var + 1e-5);
    mean.getMutableData<float>()[size_t(r)] = float(m);
    inv.getMutableData<float>()[size_t(r)] = float(is);
    for (size_t j = 0; j < 4; ++j)
      expected.getMutableData<float>()[size_t(r * 4) + j] =
          float((row[j] - m) * is * scale.getData<float>()[j] + bias.getData<float>()[j]);
  }
  requireClose(outs[0], expected, 1e-5, 1e-5);
  requireClose(outs[1], mean, 1e-5, 1e-6);
  requireClose(outs[2], inv, 1e-5, 1e-6);
}

TEST_CASE("LayerNormalization over two axes, no bias, custom epsilon", "[ops][normalization]") {
  Tensor x = Tensor::fromVector<float>({2, 1, 2}, {1, 3, 10, 10});
  Tensor scale = Tensor::fromVector<float>({1, 2}, {2, 1});
  Tensor out = runOpOrFail(
      {"LayerNormalization", {x, scale}, {{"axis", int64_t(1)}, {"epsilon", 0.0625f}}})[0];
  // Row 0: mean 2, var 1 -> (x - 2) / sqrt(1.0625). Row 1: constant -> 0.
  float s = float(1 / std::sqrt(1.0625));
  requireClose(out, Tensor::fromVector<float>({2, 1, 2}, {-2 * s, s, 0, 0}));
}

TEST_CASE("LayerNormalization rejects bad Scale, axis and stash_type", "[ops][normalization]") {
  std::mt19937 rng(44);
  Tensor x = randomTensor({2, 3, 4}, rng);
  CHECK_THAT(runOpError({"LayerNormalization", {x, randomTensor({3}, rng)}}),
             Catch::Contains("Scale of shape [3] does not broadcast to the normalized dims [4]"));
  CHECK_THAT(runOpError({"LayerNormalization",
                         {x, randomTensor({4}, rng), randomTensor({2, 4}, rng)},
                         {{"axis", int64_t(-2)}}}),
             Catch::Contains("B of shape [2,4] does not broadcast to the normalized dims [3,4]"));
  CHECK_THAT(
      runOpError({"LayerNormalization", {x, randomTensor({4}, rng)}, {{"axis", int64_t(3)}}}),
      Catch::Contains("axis 3 is out of range for rank 3"));
  CHECK_THAT(
      runOpError(
          {"LayerNormalization", {x, randomTensor({4}, rng)}, {{"stash_type", int64_t(10)}}}),
      Catch::Contains("stash_type 10 is not supported"));
}

TEST_CASE("Softmax and LogSoftmax along every axis", "[ops][normalization]") {
  std::mt19937 rng(45);
  Tensor x = randomTensor({2, 3, 4}, rng, -4, 4);
  for (int axis = 0; axis < 3; ++axis)
    for (bool log : {false, true}) {
      const char *op = log ? "LogSoftmax" : "Softmax";
      INFO(op << " axis " << axis);
      Tensor expected = referenceSoftmax(x, axis, log);
      requireClose(runOpOrFail({op, {x}, {{"axis", int64_t(axis)}}})[0], expected, 1e-5, 1e-6);
      requireClose(runOpOrFail({op, {x}, {{"axis", int64_t(axis - 3)}}})[0], expected, 1e-5, 1e-6);
    }
  // Default axis is the last one.
  requireClose(runOpOrFail({"Softmax", {x}})[0], referenceSoftmax(x, 2, false), 1e-5, 1e-6);
}

TEST_CASE("Softmax is stable for large inputs", "[ops][normalization]") {
  Tensor x = Tensor::fromVector<float>({1, 3}, {1000, 1000, -1000});
  requireClose(runOpOrFail({"Softmax", {x}})[0],
               Tensor::fromVector<float>({1, 3}, {0.5f, 0.5f, 0}));
  // All very negative: without the max shift every exp underflows to 0.
  Tensor low = Tensor::fromVector<float>({2}, {-1000, -1001});
  float e = std::exp(-1.0f);
  requireClose(runOpOrFail({"Softmax", {low}})[0],
               Tensor::fromVector<float>({2}, {1 / (1 + e), e / (1 + e)}));
  float log2 = std::log(2.0f);
  requireClose(runOpOrFail({"LogSoftmax", {x}})[0],
               Tensor::fromVector<float>({1, 3}, {-log2, -log2, -2000 - log2}), 1e-6, 1e-4);
  CHECK_THAT(runOpError({"Softmax", {x}, {{"axis", int64_t(2)}}}),
             Catch::Contains("axis 2 is out of range for rank 2"));
  CHECK_THAT(runOpError({"Softmax", {Tensor::fromVector<int64_t>({1}, {1})}}),
             Catch::Contains("element type i64"));
}

TEST_CASE("Softmax upgrade from opset 11 sets the axis or rejects a 2-D coercion",
          "[ops][normalization]") {
  const OpSchema *schema = lookupOpSchema("Softmax");
  REQUIRE(schema);
  Graph graph;
  // Default axis 1 of opset 11 is the last axis of a rank-2 input.
  Node *rank2 = graph.addNode("s2", "Softmax", schema,
                              {graph.addInput("a", TensorType(DType::Float32, {2, 5}))}, {"y2"});
  requireSuccess(schema->upgrade(*rank2, 11, graph));
  CHECK(rank2->getInt("axis", -100) == 1);
  // Axis 1 of [2,3,1,1]: only size-1 dims follow, so the 2-D coercion changes nothing.
  Node *trailingOnes =
      graph.addNode("s4", "LogSoftmax", lookupOpSchema("LogSoftmax"),
                    {graph.addInput("b", TensorType(DType::Float32, {2, 3, 1, 1}))}, {"y4"});
  requireSuccess(trailingOnes->getSchema().upgrade(*trailingOnes, 12, graph));
  CHECK(trailingOnes->getInt("axis", -100) == 1);
  // Default axis 1 of [2,3,4] would normalize over 3*4 elements: unsupported.
  Node *rank3 = graph.addNode("s3", "Softmax", schema,
                              {graph.addInput("c", TensorType(DType::Float32, {2, 3, 4}))}, {"y3"});
  ErrorCode code = ErrorCode::Internal;
  std::string message = takeMessage(schema->upgrade(*rank3, 11, graph), &code);
  CHECK(code == ErrorCode::Unsupported);
  CHECK_THAT(message, Catch::Contains("flattens the input to 2-D at axis 1"));
  // An explicit last axis in opset 11 is fine; opset 13 is left alone.
  rank3->setAttribute("axis", int64_t(-1));
  requireSuccess(schema->upgrade(*rank3, 11, graph));
  CHECK(rank3->getInt("axis", -100) == 2);
  Node *newer = graph.addNode("s13", "Softmax", schema, {graph.findValue("c")}, {"y13"});
  requireSuccess(schema->upgrade(*newer, 13, graph));
  CHECK_FALSE(newer->hasAttribute("axis"));
}
