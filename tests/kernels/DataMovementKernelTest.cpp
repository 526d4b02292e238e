#include "tests/kernels/KernelTestUtil.h"

using namespace spcc;
using namespace spcc::test;

namespace {

using Ints = std::vector<int64_t>;

/// Values 0, 1, 2, ... of \p dtype, so misplaced elements show.
Tensor iota(DType dtype, llvm::ArrayRef<int64_t> dims) {
  Tensor t(TensorType(dtype, dims));
  int64_t n = t.getNumElements();
  if (dtype == DType::Float32)
    for (int64_t i = 0; i < n; ++i) t.getMutableData<float>()[size_t(i)] = float(i);
  else if (dtype == DType::Int64)
    for (int64_t i = 0; i < n; ++i) t.getMutableData<int64_t>()[size_t(i)] = i;
  else if (dtype == DType::Int32)
    for (int64_t i = 0; i < n; ++i) t.getMutableData<int32_t>()[size_t(i)] = int32_t(i);
  else
    for (int64_t i = 0; i < n; ++i) t.getMutableData<uint8_t>()[size_t(i)] = uint8_t(i % 2);
  return t;
}

} // namespace

TEST_CASE("Transpose kernel", "[kernels]") {
  std::vector<std::pair<Ints, Ints>> cases = {{{2, 3}, {}},
                                              {{2, 3, 4}, {0, 2, 1}},
                                              {{1, 128, 12, 64}, {0, 2, 1, 3}},
                                              {{2, 3, 4, 5}, {3, 1, 0, 2}},
                                              {{5}, {0}},
                                              {{2, 1, 3}, {1, 2, 0}},
                                              {{300, 257}, {1, 0}}};
  for (DType dtype : {DType::Float32, DType::Int64, DType::Bool})
    for (auto &[dims, perm] : cases) {
      INFO(dtypeName(dtype).str() << dimsToString(dims) << " perm " << dimsToString(perm));
      std::map<std::string, Attribute> attrs;
      if (!perm.empty()) attrs["perm"] = perm;
      CHECK(checkKernel({"Transpose", {iota(dtype, dims)}, attrs, 1, {false}}) ==
            "spcc_kernel_strided_copy");
    }
}

TEST_CASE("Slice kernel: negative, clamped and reversed ranges", "[kernels]") {
  Tensor x = iota(DType::Float32, {6, 7, 8});
  struct Case {
    Ints starts, ends, axes, steps;
  };
  std::vector<Case> cases = {
      {{1}, {4}, {}, {}},        {{0, 2}, {100, -1}, {1, 2}, {}},
      {{-1}, {-100}, {2}, {-2}}, {{5, 0}, {0, 8}, {0, 2}, {-1, 3}},
      {{2}, {2}, {1}, {}},       {{0, 0, 0}, {6, 7, 8}, {0, 1, 2}, {2, 3, 9}},
  };
  for (const Case &c : cases) {
    std::vector<Tensor> inputs{x, ints(c.starts), ints(c.ends)};
    inputs.push_back(c.axes.empty() ? Tensor() : ints(c.axes));
    inputs.push_back(c.steps.empty() ? Tensor() : ints(c.steps));
    INFO("starts " << dimsToString(c.starts) << " ends " << dimsToString(c.ends));
    checkKernel({"Slice", inputs, {}, 1, {false, true, true, true, true}});
  }
}

TEST_CASE("Expand, Concat, Split, Gather and Pad kernels", "[kernels]") {
  std::mt19937 rng(30);
  checkKernel({"Expand", {iota(DType::Float32, {3, 1}), ints({2, 3, 4})}, {}, 1, {false, true}});
  checkKernel({"Expand", {iota(DType::Int64, {1, 4}), ints({3, 1})}, {}, 1, {false, true}});
  checkKernel({"Expand", {iota(DType::Bool, {}), ints({5})}, {}, 1, {false, true}});

  for (int64_t axis : {0, 1, -1})
    checkKernel({"Concat",
                 {iota(DType::Float32, {2, 3, 4}), randomTensor({2, 3, 4}, rng),
                  randomTensor({2, 3, 4}, rng)},
                 {{"axis", axis}},
                 1,
                 {false, false, true}});
  checkKernel({"Concat",
               {iota(DType::Int64, {2, 1}), iota(DType::Int64, {2, 0}), iota(DType::Int64, {2, 5})},
               {{"axis", int64_t(1)}},
               1,
               {false, false, false}});

  checkKernel({"Split", {iota(DType::Float32, {4, 6})}, {{"axis", int64_t(1)}}, 3, {false}});
  checkKernel({"Split", {iota(DType::Int32, {5, 2}), ints({2, 0, 3})}, {}, 3, {false, true}});
  checkKernel({"Split",
               {iota(DType::Float32, {2, 3, 768}), ints({256, 256, 256})},
               {{"axis", int64_t(-1)}},
               3,
               {false, true}});

  Tensor table = randomTensor({10, 16}, rng);
  Tensor indices = Tensor::fromVector<int64_t>({2, 3}, {0, 9, -1, 4, 4, -10});
  checkKernel({"Gather", {table, indices}, {}, 1, {true, false}});
  checkKernel({"Gather",
               {table, Tensor::fromVector<int32_t>({4}, {3, 1, -2, 0})},
               {{"axis", int64_t(1)}},
               1,
               {true, false}});
  checkKernel(
      {"Gather", {iota(DType::Int64, {5}), Tensor::scalar<int64_t>(2)}, {}, 1, {false, true}});
  checkKernel({"Gather",
               {iota(DType::Float32, {2, 3, 4}), ints({2, 0})},
               {{"axis", int64_t(1)}},
               1,
               {false, false}});

  Tensor img = iota(DType::Float32, {1, 2, 4, 5});
  for (const char *mode : {"constant", "reflect", "edge"}) {
    INFO(mode);
    checkKernel({"Pad",
                 {img, ints({0, 0, 1, 2, 0, 0, 3, 1})},
                 {{"mode", std::string(mode)}},
                 1,
                 {false, true}});
    checkKernel({"Pad",
                 {img, ints({0, 1, 0, -1, 0, 0, 2, 3})},
                 {{"mode", std::string(mode)}},
                 1,
                 {false, true}});
  }
  checkKernel({"Pad",
               {img, ints({0, 0, 1, 1, 0, 0, 1, 1}), Tensor::scalar(-5.0f)},
               {},
               1,
               {false, true, true}});
  checkKernel({"Pad",
               {iota(DType::Int64, {3}), ints({2, 1}), Tensor::scalar<int64_t>(7)},
               {},
               1,
               {false, true, false}});
}

TEST_CASE("aliases and ops without kernels", "[kernels]") {
  std::mt19937 rng(31);
  Tensor x = randomTensor({2, 3, 4}, rng);
  CHECK(checkKernel({"Reshape", {x, ints({6, 4})}, {}, 1, {false, true}}) == "");
  CHECK(checkKernel({"Flatten", {x}, {{"axis", int64_t(2)}}, 1, {false}}) == "");
  CHECK(checkKernel({"Squeeze", {randomTensor({2, 1, 3}, rng), ints({1})}, {}, 1, {false, true}}) ==
        "");
  CHECK(checkKernel({"Unsqueeze", {x, ints({0})}, {}, 1, {false, true}}) == "");
  CHECK(checkKernel({"Identity", {x}, {}, 1, {false}}) == "");
  CHECK(checkKernel({"Dropout", {x}, {}, 1, {false}}) == "");
  CHECK_THAT(loweringError({"Dropout", {x}, {}, 2, {false}}), Catch::Contains("mask output"));
  CHECK_THAT(loweringError({"Shape", {x}, {}, 1, {false}}),
             Catch::Contains("should have been folded"));
}

TEST_CASE("Gather kernel: an index outside the axis gives zeros and fails the call", "[kernels]") {
  Tensor table = iota(DType::Float32, {10, 3});
  for (int32_t threads : {1, 2}) {
    INFO("threads " << threads);
    KernelRun run =
        runKernel({"Gather", {table, ints({0, 10, -11, -1})}, {}, 1, {true, false}}, threads);
    CHECK(run.status == SPCC_KERNEL_INDEX_OUT_OF_RANGE);
    CHECK(run.failureMessage == "node 'node' (Gather): an index in 'in1' is outside [-10, 10)");
    llvm::ArrayRef<float> rows = run.outputs[0].getData<float>();
    CHECK(rows.slice(0, 3) == llvm::ArrayRef<float>({0, 1, 2}));
    CHECK(rows.slice(3, 6) == llvm::ArrayRef<float>({0, 0, 0, 0, 0, 0}));
    CHECK(rows.slice(9, 3) == llvm::ArrayRef<float>({27, 28, 29}));
    CHECK(runKernel({"Gather", {table, ints({9, -10})}, {}, 1, {true, false}}, threads).status ==
          SPCC_KERNEL_OK);
  }
}

TEST_CASE("DepthToSpace, SpaceToDepth and Trilu kernels", "[kernels]") {
  Tensor deep = iota(DType::Float32, {2, 8, 3, 2});
  for (const char *mode : {"DCR", "CRD"}) {
    INFO(mode);
    CHECK(checkKernel({"DepthToSpace",
                       {deep},
                       {{"blocksize", int64_t(2)}, {"mode", std::string(mode)}},
                       1,
                       {false}}) == "spcc_kernel_strided_copy");
  }
  checkKernel({"SpaceToDepth",
               {iota(DType::Float32, {1, 3, 4, 6})},
               {{"blocksize", int64_t(2)}},
               1,
               {false}});
  checkKernel({"SpaceToDepth",
               {iota(DType::Int64, {2, 2, 6, 3})},
               {{"blocksize", int64_t(3)}},
               1,
               {false}});
  Tensor square = iota(DType::Float32, {2, 5, 5}), wide = iota(DType::Int64, {3, 4, 7});
  for (int64_t upper : {0, 1})
    for (int64_t k : {-6, -1, 0, 2, 9}) {
      INFO("upper " << upper << " k " << k);
      CHECK(checkKernel({"Trilu",
                         {square, Tensor::scalar<int64_t>(k)},
                         {{"upper", upper}},
                         1,
                         {false, true}}) == "spcc_kernel_trilu");
      checkKernel(
          {"Trilu", {wide, Tensor::scalar<int64_t>(k)}, {{"upper", upper}}, 1, {false, true}});
    }
  checkKernel({"Trilu", {square}, {}, 1, {false}});
}

TEST_CASE("GatherElements and Tile kernels", "[kernels]") {
  std::mt19937 rng(32);
  Tensor data = randomTensor({3, 4, 5}, rng);
  for (int64_t axis : {0, 1, 2, -1}) {
    INFO("axis " << axis);
    int64_t dim = data.getDims()[size_t(axis < 0 ? axis + 3 : axis)];
    Tensor indices(TensorType(DType::Int64, {2, 3, 4}));
    for (int64_t &v : indices.getMutableData<int64_t>())
      v = int64_t(rng() % uint64_t(2 * dim)) - dim;
    CHECK(checkKernel({"GatherElements", {data, indices}, {{"axis", axis}}, 1, {true, false}}) ==
          "spcc_kernel_gather_elements");
  }
  KernelRun run =
      runKernel({"GatherElements", {data, ints({1, 1, 1}, {7})}, {}, 1, {true, false}}, 2);
  CHECK(run.status == SPCC_KERNEL_INDEX_OUT_OF_RANGE);
  for (const Ints &repeats : std::vector<Ints>{{1, 1, 1}, {2, 1, 3}, {1, 3, 1}, {2, 2, 2}})
    CHECK(checkKernel(
              {"Tile", {iota(DType::Float32, {2, 3, 4}), ints(repeats)}, {}, 1, {false, true}}) ==
          "spcc_kernel_strided_copy");
  checkKernel({"Tile", {iota(DType::Int64, {5}), ints({3})}, {}, 1, {false, true}});
}

namespace {

/// An int64 tensor of \p dims with values uniform in [lo, hi).
Tensor randomInts(llvm::ArrayRef<int64_t> dims, std::mt19937 &rng, int64_t lo, int64_t hi) {
  Tensor t(TensorType(DType::Int64, dims));
  for (int64_t &v : t.getMutableData<int64_t>()) v = lo + int64_t(rng() % uint64_t(hi - lo));
  return t;
}

/// Attributes with `reduction` and, unless empty, one more int attribute.
std::map<std::string, Attribute> scatterAttrs(const char *reduction, const char *key = nullptr,
                                              int64_t value = 0) {
  std::map<std::string, Attribute> attrs{{"reduction", std::string(reduction)}};
  if (key) attrs[key] = value;
  return attrs;
}

const char *const reductions[] = {"none", "add", "mul", "max", "min"};

} // namespace

TEST_CASE("ScatterND kernel: slices, elements, duplicates and reductions", "[kernels]") {
  std::mt19937 rng(33);
  Tensor data = randomTensor({6, 5, 4}, rng);
  // Index tuples of length 1, 2 and 3, drawn with repeats and negative values.
  std::vector<std::pair<Tensor, Tensor>> cases = {
      {randomInts({7, 1}, rng, -6, 6), randomTensor({7, 5, 4}, rng)},
      {Tensor(), randomTensor({3, 4, 4}, rng)},
      {Tensor(), randomTensor({10}, rng)},
  };
  Tensor pairs(TensorType(DType::Int64, {3, 4, 2}));
  for (int64_t i = 0; i < 24; ++i)
    pairs.getMutableData<int64_t>()[size_t(i)] = int64_t(rng() % 10) - 5 + (i % 2 ? 0 : 1);
  cases[1].first = pairs;
  Tensor triples(TensorType(DType::Int64, {10, 3}));
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t j = 0; j < 3; ++j)
      triples.getMutableData<int64_t>()[size_t(3 * i + j)] =
          int64_t(rng() % uint64_t(2 * data.getDims()[size_t(j)])) - data.getDims()[size_t(j)];
  cases[2].first = triples;
  for (const char *reduction : reductions)
    for (auto &[indices, updates] : cases) {
      INFO(reduction << " indices " << indices.getType().str());
      CHECK(checkKernel({"ScatterND",
                         {data, indices, updates},
                         scatterAttrs(reduction),
                         1,
                         {false, false, false}}) == "spcc_kernel_scatter_nd");
    }
  // Rows of 4 KB: the rows are spread over the threads.
  Tensor wide = randomTensor({64, 1024}, rng);
  for (const char *reduction : {"none", "add"})
    checkKernel({"ScatterND",
                 {wide, randomInts({50, 1}, rng, -64, 64), randomTensor({50, 1024}, rng)},
                 scatterAttrs(reduction),
                 1,
                 {false, false, false}});
  Tensor i64Data = iota(DType::Int64, {4, 3});
  for (const char *reduction : reductions)
    checkKernel({"ScatterND",
                 {i64Data, ints({3, 1}, {1, -3, 3}), randomInts({3, 3}, rng, -9, 9)},
                 scatterAttrs(reduction),
                 1,
                 {false, false, false}});
  Tensor i32 = iota(DType::Int32, {5});
  Tensor i32Updates = Tensor::fromVector<int32_t>({3}, {4, -2, 7});
  for (const char *reduction : reductions)
    checkKernel({"ScatterND",
                 {i32, ints({3, 1}, {4, 0, 4}), i32Updates},
                 scatterAttrs(reduction),
                 1,
                 {true, false, true}});
}

TEST_CASE("ScatterND kernel: an index outside its axis is skipped and fails the call",
          "[kernels]") {
  Tensor data = iota(DType::Float32, {3, 2});
  Tensor updates = Tensor::fromVector<float>({3, 2}, {10, 11, 20, 21, 30, 31});
  for (int32_t threads : {1, 2}) {
    INFO("threads " << threads);
    KernelRun run = runKernel(
        {"ScatterND", {data, ints({3, 1}, {-1, 3, 0}), updates}, {}, 1, {false, false, true}},
        threads);
    CHECK(run.status == SPCC_KERNEL_INDEX_OUT_OF_RANGE);
    CHECK(run.failureMessage ==
          "node 'node' (ScatterND): an index in 'in1' is outside the dims [3] it addresses");
    CHECK(run.outputs[0].getData<float>() == llvm::ArrayRef<float>({30, 31, 2, 3, 10, 11}));
    CHECK(runKernel({"ScatterND",
                     {data, ints({1, 1}, {-3}), Tensor::fromVector<float>({1, 2}, {0, 0})},
                     {},
                     1,
                     {false, false, false}},
                    threads)
              .status == SPCC_KERNEL_OK);
  }
}

TEST_CASE("ScatterElements kernel along every axis, with reductions", "[kernels]") {
  std::mt19937 rng(34);
  Tensor data = randomTensor({3, 4, 5}, rng);
  for (const char *reduction : reductions)
    for (int64_t axis : {0, 1, 2, -1}) {
      INFO(reduction << " axis " << axis);
      int64_t dim = data.getDims()[size_t(axis < 0 ? axis + 3 : axis)];
      Tensor indices = randomInts({2, 3, 4}, rng, -dim, dim);
      CHECK(checkKernel({"ScatterElements",
                         {data, indices, randomTensor({2, 3, 4}, rng)},
                         scatterAttrs(reduction, "axis", axis),
                         1,
                         {false, false, false}}) == "spcc_kernel_scatter_elements");
    }
  Tensor i32Indices = Tensor::fromVector<int32_t>({2, 2}, {1, 1, -2, 0});
  for (const char *reduction : reductions) {
    checkKernel({"ScatterElements",
                 {iota(DType::Int64, {2, 2}), i32Indices, ints({2, 2}, {5, -6, 7, 8})},
                 scatterAttrs(reduction),
                 1,
                 {false, false, false}});
    checkKernel({"ScatterElements",
                 {iota(DType::Int32, {2, 3}), i32Indices,
                  Tensor::fromVector<int32_t>({2, 2}, {3, 3, -1, 9})},
                 scatterAttrs(reduction, "axis", 1),
                 1,
                 {false, true, false}});
  }
  KernelRun run = runKernel({"ScatterElements",
                             {iota(DType::Float32, {4}), ints({3}, {1, 4, -1}),
                              Tensor::fromVector<float>({3}, {10, 20, 30})},
                             {},
                             1,
                             {false, false, false}},
                            2);
  CHECK(run.status == SPCC_KERNEL_INDEX_OUT_OF_RANGE);
  CHECK(run.failureMessage ==
        "node 'node' (ScatterElements): an index in 'in1' is outside [-4, 4)");
  CHECK(run.outputs[0].getData<float>() == llvm::ArrayRef<float>({0, 10, 2, 30}));
}

TEST_CASE("GatherND kernel with and without batch_dims", "[kernels]") {
  std::mt19937 rng(35);
  Tensor data = randomTensor({3, 4, 5}, rng);
  Tensor pairs(TensorType(DType::Int64, {2, 6, 2}));
  for (int64_t i = 0; i < 24; ++i)
    pairs.getMutableData<int64_t>()[size_t(i)] = int64_t(rng() % 6) - 3;
  CHECK(checkKernel({"GatherND", {data, pairs}, {}, 1, {true, false}}) == "spcc_kernel_gather_nd");
  checkKernel({"GatherND", {data, randomInts({7, 1}, rng, -3, 3)}, {}, 1, {false, false}});
  checkKernel({"GatherND", {data, ints({2, 3}, {0, 1, 2, -1, -1, -1})}, {}, 1, {false, false}});
  checkKernel({"GatherND",
               {data, randomInts({3, 2, 1}, rng, -4, 4)},
               {{"batch_dims", int64_t(1)}},
               1,
               {false, false}});
  checkKernel({"GatherND",
               {iota(DType::Int64, {3, 4, 5}), randomInts({3, 4, 1}, rng, -5, 5)},
               {{"batch_dims", int64_t(2)}},
               1,
               {false, false}});
  checkKernel({"GatherND",
               {iota(DType::Bool, {2, 3}), ints({4, 2}, {0, 0, 1, 2, -1, 1, 0, -3})},
               {},
               1,
               {false, false}});
  KernelRun run = runKernel(
      {"GatherND", {iota(DType::Float32, {3, 2}), ints({2, 1}, {2, -4})}, {}, 1, {false, false}},
      2);
  CHECK(run.status == SPCC_KERNEL_INDEX_OUT_OF_RANGE);
  CHECK(run.failureMessage ==
        "node 'node' (GatherND): an index in 'in1' is outside the dims [3] it addresses");
  CHECK(run.outputs[0].getData<float>() == llvm::ArrayRef<float>({4, 5, 0, 0}));
}

TEST_CASE("OneHot kernel along every axis", "[kernels]") {
  std::mt19937 rng(36);
  Tensor indices = randomInts({3, 4}, rng, -7, 7); // some outside [-5, 5): rows of off values
  Tensor floatIndices = randomTensor({3, 4}, rng, -6, 6);
  Tensor i32Indices = Tensor::fromVector<int32_t>({4}, {0, -1, 5, 2});
  Tensor depth = Tensor::scalar<int64_t>(5);
  Tensor values = Tensor::fromVector<float>({2}, {-1, 3});
  for (int64_t axis : {0, 1, 2, -1, -3}) {
    INFO("axis " << axis);
    CHECK(checkKernel(
              {"OneHot", {indices, depth, values}, {{"axis", axis}}, 1, {false, true, false}}) ==
          "spcc_kernel_one_hot");
    checkKernel({"OneHot",
                 {floatIndices, Tensor::scalar(5.0f), ints({2}, {0, 9})},
                 {{"axis", axis}},
                 1,
                 {false, true, true}});
  }
  checkKernel({"OneHot", {i32Indices, depth, values}, {}, 1, {false, true, true}});
  checkKernel({"OneHot",
               {i32Indices, ints({1}, {1000}), values},
               {{"axis", int64_t(0)}},
               1,
               {false, true, true}});
}
