#include "tests/kernels/KernelTestUtil.h"

#include <limits>

using namespace spcc;
using namespace spcc::test;

namespace {
using Ints = std::vector<int64_t>;
} // namespace

TEST_CASE("BatchNormalization kernel", "[kernels]") {
  std::mt19937 rng(20);
  for (const Ints &dims : std::vector<Ints>{{2, 3, 4, 5}, {1, 16}, {1, 4, 7}, {3, 64, 9, 9}}) {
    int64_t c = dims[1];
    checkKernel({"BatchNormalization",
                 {randomTensor(dims, rng), randomTensor({c}, rng), randomTensor({c}, rng),
                  randomTensor({c}, rng), randomTensor({c}, rng, 0.1f, 2.0f)},
                 {{"epsilon", 1e-3f}},
                 1,
                 {false, true, true, true, true}});
  }
}

TEST_CASE("LayerNormalization kernel: axes, broadcast parameters, optional outputs", "[kernels]") {
  std::mt19937 rng(21);
  struct Case {
    Ints x;
    int64_t axis;
    Ints scale, bias; ///< Empty bias: none.
    size_t outputs;
    float low = -3, high = 5; ///< the range of X
  };
  std::vector<Case> cases = {
      {{2, 5, 32}, -1, {32}, {32}, 1},
      {{4, 6, 8}, 1, {6, 8}, {8}, 1},
      {{3, 10}, 0, {1}, {}, 1},
      {{2, 3, 16}, -1, {16}, {16}, 3},
      {{1, 128, 256}, -1, {256}, {256}, 1},
      {{5, 6, 7}, 1, {6, 7}, {1, 7}, 2},
      {{1, 37, 24}, -1, {24}, {24}, 1}, // feature-major: a partial block of tokens
      // Feature-major: full blocks of tokens whose mean is far from zero (their variance
      // comes from one pass over values shifted by each token's first).
      {{1, 130, 40}, -1, {40}, {40}, 1, 40, 44},
      // Feature-major: 200 features far from zero, a partial block of tokens (the shifted
      // sum keeps the mean's low digits).
      {{1, 70, 200}, -1, {200}, {200}, 1, 40, 44},
      // Feature-major: a bias repeating within the 21 normalized values, a full and a partial
      // block of tokens, a partial tile of features.
      {{2, 35, 3, 7}, 2, {3, 7}, {7}, 1},
  };
  for (const Case &c : cases) {
    INFO(dimsToString(c.x) << " axis " << c.axis);
    std::vector<Tensor> inputs{randomTensor(c.x, rng, c.low, c.high), randomTensor(c.scale, rng)};
    if (!c.bias.empty()) inputs.push_back(randomTensor(c.bias, rng));
    CHECK(checkKernel({"LayerNormalization",
                       inputs,
                       {{"axis", c.axis}, {"epsilon", 1e-5f}},
                       c.outputs,
                       {false, true, true}}) == "spcc_kernel_layer_norm");
    if (c.outputs != 1) continue;
    // Between sparse products: X and / or Y stored transposed, [size, rows].
    for (auto [in, out] : {std::pair{true, true}, {true, false}, {false, true}})
      CHECK(checkKernelFeatureMajor({"LayerNormalization",
                                     inputs,
                                     {{"axis", c.axis}, {"epsilon", 1e-5f}},
                                     1,
                                     {false, true, true}},
                                    in, out) == "spcc_kernel_layer_norm");
  }
  CHECK_THAT(loweringError({"LayerNormalization",
                            {randomTensor({2, 4, 8}, rng), randomTensor({4, 1}, rng)},
                            {{"axis", int64_t(1)}}}),
             Catch::Contains("Scale or B broadcasts"));
}

TEST_CASE("Softmax and LogSoftmax kernels along any axis", "[kernels]") {
  std::mt19937 rng(22);
  std::vector<std::pair<Ints, int64_t>> cases = {{{2, 12, 16, 16}, -1}, {{3, 7}, 0},
                                                 {{2, 5, 6}, 1},        {{10}, 0},
                                                 {{4, 1000}, -1},       {{2, 3, 0}, 1}};
  for (const char *op : {"Softmax", "LogSoftmax"})
    for (auto &[dims, axis] : cases) {
      INFO(op << " " << dimsToString(dims) << " axis " << axis);
      CHECK(checkKernel({op, {randomTensor(dims, rng, -10, 10)}, {{"axis", axis}}, 1, {false}}) ==
            "spcc_kernel_softmax");
    }
  // Scores far below the maximum (exps below float's normal range, as under a mask), along
  // a contiguous and a strided axis.
  for (const char *op : {"Softmax", "LogSoftmax"})
    for (int64_t axis : {0, 1}) {
      INFO(op << " wide range, axis " << axis);
      CHECK(
          checkKernel({op, {randomTensor({40, 40}, rng, -300, 0)}, {{"axis", axis}}, 1, {false}}) ==
          "spcc_kernel_softmax");
    }
}

TEST_CASE("ArgMax and ArgMin kernels", "[kernels]") {
  std::mt19937 rng(24);
  for (const Ints &dims : std::vector<Ints>{{7}, {3, 5}, {2, 3, 4}, {1, 10, 33}})
    for (int64_t axis = -1; axis < int64_t(dims.size()); ++axis)
      for (int64_t keep : {0, 1})
        for (int64_t last : {0, 1})
          for (const char *op : {"ArgMax", "ArgMin"}) {
            INFO(op << " " << dimsToString(dims) << " axis " << axis << " keepdims " << keep
                    << " last " << last);
            std::map<std::string, Attribute> attrs{
                {"axis", axis}, {"keepdims", keep}, {"select_last_index", last}};
            // Few distinct values, so that ties occur.
            Tensor x = randomTensor(dims, rng, -2, 2);
            for (float &v : x.getMutableData<float>()) v = std::round(v);
            CHECK(checkKernel({op, {x}, attrs, 1, {false}}) == "spcc_kernel_arg_reduce");
          }
  for (const char *op : {"ArgMax", "ArgMin"})
    checkKernel({op, {Tensor::fromVector<int64_t>({3}, {4, -1, 4})}, {}, 1, {false}});
  for (int64_t axis : {-1, 0, 1, 2}) {
    Tensor x = randomTensor({2, 3, 4}, rng, -2, 2);
    for (float &v : x.getMutableData<float>()) v = std::round(v);
    CHECK(checkKernel({"Hardmax", {x}, {{"axis", axis}}, 1, {false}}) == "spcc_kernel_arg_reduce");
  }
}

TEST_CASE("CumSum kernel", "[kernels]") {
  std::mt19937 rng(26);
  for (const Ints &dims : std::vector<Ints>{{7}, {3, 5}, {2, 3, 4}})
    for (int64_t axis = -1; axis < int64_t(dims.size()); ++axis)
      for (int64_t exclusive : {0, 1})
        for (int64_t reverse : {0, 1}) {
          INFO(dimsToString(dims) << " axis " << axis << " exclusive " << exclusive << " reverse "
                                  << reverse);
          std::map<std::string, Attribute> attrs{{"exclusive", exclusive}, {"reverse", reverse}};
          CHECK(checkKernel({"CumSum",
                             {randomTensor(dims, rng), Tensor::scalar<int64_t>(axis)},
                             attrs,
                             1,
                             {false, true}}) == "spcc_kernel_cumsum");
          Tensor ints64(TensorType(DType::Int64, dims));
          for (int64_t &v : ints64.getMutableData<int64_t>()) v = int64_t(rng() % 200) - 100;
          checkKernel({"CumSum", {ints64, Tensor::scalar<int64_t>(axis)}, attrs, 1, {false, true}});
        }
}

TEST_CASE("ReduceMean and ReduceSum kernels over any axes", "[kernels]") {
  std::mt19937 rng(23);
  std::vector<std::pair<Ints, Ints>> cases = {
      {{2, 3, 4}, {-1}},       {{2, 3, 4}, {0}}, {{2, 3, 4}, {1}},       {{2, 3, 4}, {0, 2}},
      {{2, 3, 4}, {}},         {{5, 1, 6}, {1}}, {{2, 3, 4, 5}, {1, 3}}, {{1, 128, 256}, {-1}},
      {{4, 64, 7, 7}, {2, 3}}, {{3, 0, 2}, {1}},
  };
  for (int keep = 0; keep < 2; ++keep)
    for (auto &[dims, axes] : cases) {
      INFO(dimsToString(dims) << " axes " << dimsToString(axes) << " keepdims " << keep);
      std::map<std::string, Attribute> attrs{{"keepdims", int64_t(keep)}};
      if (!axes.empty()) attrs["axes"] = axes;
      Tensor x = randomTensor(dims, rng);
      CHECK(checkKernel({"ReduceMean", {x}, attrs, 1, {false}}) == "spcc_kernel_reduce");
      for (const char *op : {"ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                             "ReduceLogSumExp"}) {
        INFO(op);
        checkKernel({op, {x}, attrs, 1, {false}});
      }
      // Products and logs of sums on data that keeps them finite.
      Tensor positive = randomTensor(dims, rng, 0.5f, 1.5f);
      checkKernel({"ReduceProd", {positive}, attrs, 1, {false}});
      checkKernel({"ReduceLogSum", {positive}, attrs, 1, {false}});
      attrs.erase("axes");
      std::vector<Tensor> inputs{x};
      if (!axes.empty()) inputs.push_back(ints(axes));
      checkKernel({"ReduceSum", inputs, attrs, 1, {false, true}});
    }
  Tensor i64 = Tensor::fromVector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  checkKernel({"ReduceSum", {i64, ints({1})}, {}, 1, {false, true}});
  for (const char *op : {"ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceSumSquare"})
    checkKernel({op, {i64}, {{"axes", Ints{0}}}, 1, {false}});
  // A NaN wins a maximum; LogSumExp of large values does not overflow.
  float nan = std::numeric_limits<float>::quiet_NaN();
  checkKernel({"ReduceMax", {Tensor::fromVector<float>({2, 2}, {1, nan, 3, 4})}, {}, 1, {false}});
  checkKernel(
      {"ReduceLogSumExp", {Tensor::fromVector<float>({3}, {1000, 1001, 999})}, {}, 1, {false}});
  // An empty axes list with noop_with_empty_axes leaves the input unchanged.
  CHECK(checkKernel({"ReduceSum",
                     {randomTensor({3, 4}, rng)},
                     {{"noop_with_empty_axes", int64_t(1)}},
                     1,
                     {false}}) == "");
}

TEST_CASE("InstanceNormalization and LRN kernels", "[kernels]") {
  std::mt19937 rng(25);
  for (const Ints &dims : std::vector<Ints>{{1, 3, 5, 7}, {2, 4, 9}, {2, 2, 3, 3, 2}}) {
    INFO(dimsToString(dims));
    Ints channels{dims[1]};
    CHECK(checkKernel({"InstanceNormalization",
                       {randomTensor(dims, rng, -3, 5), randomTensor(channels, rng),
                        randomTensor(channels, rng)},
                       {{"epsilon", 1e-3f}},
                       1,
                       {false, true, true}}) == "spcc_kernel_instance_norm");
    for (int64_t size : {1, 2, 3, 5})
      CHECK(checkKernel({"LRN",
                         {randomTensor(dims, rng)},
                         {{"size", size}, {"alpha", 0.01f}, {"beta", 0.6f}, {"bias", 2.0f}},
                         1,
                         {false}}) == "spcc_kernel_lrn");
  }
}

TEST_CASE("TopK kernel", "[kernels]") {
  std::mt19937 rng(31);
  for (const Ints &dims : std::vector<Ints>{{7}, {3, 5}, {2, 6, 4}})
    for (int64_t axis = 0; axis < int64_t(dims.size()); ++axis)
      for (int64_t k : {int64_t(0), int64_t(1), dims[size_t(axis)]})
        for (int64_t largest : {0, 1}) {
          INFO(dimsToString(dims) << " axis " << axis << " k " << k << " largest " << largest);
          // Few distinct values, so that ties occur; a NaN among them.
          Tensor x = randomTensor(dims, rng, -2, 2);
          for (float &v : x.getMutableData<float>()) v = std::round(v);
          x.getMutableData<float>()[0] = NAN;
          std::map<std::string, Attribute> attrs{{"axis", axis}, {"largest", largest}};
          CHECK(
              checkKernel(
                  {"TopK", {x, Tensor::fromVector<int64_t>({1}, {k})}, attrs, 2, {false, true}}) ==
              "spcc_kernel_top_k");
        }
  checkKernel(
      {"TopK",
       {Tensor::fromVector<int64_t>({5}, {4, -1, 4, 9, 0}), Tensor::fromVector<int64_t>({1}, {2})},
       {},
       2,
       {false, true}});
}
