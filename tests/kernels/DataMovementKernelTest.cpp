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
