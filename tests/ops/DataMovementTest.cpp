#include "tests/ops/OpTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "compiler/eval/TypeInference.h"

#include <limits>

using namespace spcc;
using namespace spcc::test;

namespace {

using Ints = llvm::SmallVector<int64_t>;

constexpr int64_t int64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t int64Min = std::numeric_limits<int64_t>::min();

Tensor i64(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<int64_t> values) {
  return Tensor::fromVector<int64_t>(dims, values);
}
Tensor vec(llvm::ArrayRef<int64_t> values) { return i64({int64_t(values.size())}, values); }

/// 0, 1, 2, ... of \p dims, as float32 or int64.
Tensor iota(llvm::ArrayRef<int64_t> dims, DType dtype = DType::Float32) {
  Tensor t(TensorType(dtype, dims));
  for (int64_t i = 0; i < t.getNumElements(); ++i) {
    if (dtype == DType::Int64)
      t.getMutableData<int64_t>()[size_t(i)] = i;
    else
      t.getMutableData<float>()[size_t(i)] = float(i);
  }
  return t;
}

/// Elements as int64 (float data holds small integers in these tests).
Ints values(const Tensor &t) { return t.toInts(); }

void requireOk(llvm::Error err) {
  if (err) FAIL(takeMessage(std::move(err)));
}

} // namespace

TEST_CASE("Transpose default and explicit perm", "[ops][datamovement]") {
  Tensor x = iota({2, 3});
  Tensor t = runOpOrFail({"Transpose", {x}})[0];
  CHECK(t.getType().str() == "f32[3,2]");
  CHECK(values(t) == Ints{0, 3, 1, 4, 2, 5});

  Tensor x3 = iota({2, 3, 4}, DType::Int64);
  Tensor y = runOpOrFail({"Transpose", {x3}, {{"perm", std::vector<int64_t>{1, 2, 0}}}})[0];
  REQUIRE(y.getType().str() == "i64[3,4,2]");
  // y[i][j][k] = x[k][i][j] = k*12 + i*4 + j.
  CHECK(values(y).front() == 0);
  CHECK(values(y)[1] == 12);                 // y[0][0][1] = x[1][0][0]
  CHECK(values(y)[2] == 1);                  // y[0][1][0] = x[0][0][1]
  CHECK(values(y)[1 * 8 + 2 * 2 + 1] == 18); // y[1][2][1] = x[1][1][2]
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t k = 0; k < 2; ++k) REQUIRE(y.getAsInt(i * 8 + j * 2 + k) == k * 12 + i * 4 + j);

  Tensor b = Tensor::fromBools({2, 1}, {true, false});
  CHECK(values(runOpOrFail({"Transpose", {b}})[0]) == Ints{1, 0});
  CHECK(runOpOrFail({"Transpose", {i64({}, {5})}})[0].toInts() == Ints{5});
}

TEST_CASE("Transpose rejects a perm that is not a permutation", "[ops][datamovement]") {
  Tensor x = iota({2, 3, 4});
  CHECK_THAT(runOpError({"Transpose", {x}, {{"perm", std::vector<int64_t>{0, 0, 1}}}}),
             Catch::Contains("perm [0,0,1] is not a permutation"));
  CHECK_THAT(runOpError({"Transpose", {x}, {{"perm", std::vector<int64_t>{1, 0}}}}),
             Catch::Contains("not a permutation"));
  CHECK_THAT(runOpError({"Transpose", {x}, {{"perm", std::vector<int64_t>{0, 1, 3}}}}),
             Catch::Contains("not a permutation"));
}

TEST_CASE("Concat along positive and negative axes", "[ops][datamovement]") {
  Tensor a = i64({2, 1}, {1, 2}), b = i64({2, 2}, {3, 4, 5, 6});
  Tensor y = runOpOrFail({"Concat", {a, b}, {{"axis", int64_t(-1)}}})[0];
  CHECK(y.getType().str() == "i64[2,3]");
  CHECK(y.toInts() == Ints{1, 3, 4, 2, 5, 6});
  Tensor rows = runOpOrFail({"Concat", {b, i64({1, 2}, {7, 8})}, {{"axis", int64_t(0)}}})[0];
  CHECK(rows.toInts() == Ints{3, 4, 5, 6, 7, 8});
  Tensor f =
      runOpOrFail({"Concat",
                   {Tensor::fromVector<float>({1}, {0.5f}), Tensor(TensorType(DType::Float32, {0})),
                    Tensor::fromVector<float>({2}, {1.5f, 2.5f})},
                   {{"axis", int64_t(0)}}})[0];
  requireClose(f, Tensor::fromVector<float>({3}, {0.5f, 1.5f, 2.5f}));
  Tensor bools = runOpOrFail({"Concat",
                              {Tensor::fromBools({1}, {true}), Tensor::fromBools({1}, {false})},
                              {{"axis", int64_t(0)}}})[0];
  CHECK(bools.getType().str() == "bool[2]");
  CHECK(bools.toInts() == Ints{1, 0});

  CHECK_THAT(runOpError({"Concat", {a, i64({3, 1}, {0, 0, 0})}, {{"axis", int64_t(1)}}}),
             Catch::Contains("does not fit input 0"));
  CHECK_THAT(runOpError({"Concat", {a, iota({2, 1})}, {{"axis", int64_t(1)}}}),
             Catch::Contains("f32[2,1] does not fit"));
  CHECK_THAT(runOpError({"Concat", {a, b}}), Catch::Contains("'axis' is required"));
  CHECK_THAT(runOpError({"Concat", {a, b}, {{"axis", int64_t(2)}}}),
             Catch::Contains("out of range"));
}

TEST_CASE("Split into equal parts and explicit sizes", "[ops][datamovement]") {
  TensorList equal = runOpOrFail({"Split", {iota({6}, DType::Int64)}, {}, 3});
  REQUIRE(equal.size() == 3);
  CHECK(equal[0].toInts() == Ints{0, 1});
  CHECK(equal[1].toInts() == Ints{2, 3});
  CHECK(equal[2].toInts() == Ints{4, 5});

  Tensor x = iota({2, 3});
  TensorList parts = runOpOrFail({"Split", {x, vec({1, 2})}, {{"axis", int64_t(-1)}}, 2});
  CHECK(parts[0].getType().str() == "f32[2,1]");
  CHECK(values(parts[0]) == Ints{0, 3});
  CHECK(parts[1].getType().str() == "f32[2,2]");
  CHECK(values(parts[1]) == Ints{1, 2, 4, 5});
  TensorList withEmpty = runOpOrFail({"Split", {x, vec({0, 2})}, {}, 2});
  CHECK(withEmpty[0].getType().str() == "f32[0,3]");
  CHECK(values(withEmpty[1]) == Ints{0, 1, 2, 3, 4, 5});

  CHECK_THAT(runOpError({"Split", {iota({5})}, {}, 2}),
             Catch::Contains("does not split into 2 equal parts"));
  CHECK_THAT(runOpError({"Split", {x, vec({1, 1})}, {{"axis", int64_t(1)}}, 2}),
             Catch::Contains("split [1,1] does not divide dim 1"));
  CHECK_THAT(runOpError({"Split", {x, vec({1, 2})}, {{"axis", int64_t(1)}}, 3}),
             Catch::Contains("into 3 parts"));
  CHECK_THAT(runOpError({"Split", {x, vec({1, 2})}, {{"axis", int64_t(1)}}, 2, {true, false}}),
             Catch::Contains("split (input 1) must be known at compile time"));
}

TEST_CASE("Split of opset 11 moves split into an input", "[ops][datamovement]") {
  Graph graph;
  Value *x = graph.addInput("x", TensorType(DType::Float32, {5, 2}));
  Node *node = graph.addNode("s", "Split", lookupOpSchema("Split"), {x}, {"a", "b"});
  node->setAttribute("split", std::vector<int64_t>{3, 2});
  graph.addOutput("a", node->getOutput(0));
  graph.addOutput("b", node->getOutput(1));
  requireOk(node->getSchema().upgrade(*node, 11, graph));
  CHECK_FALSE(node->hasAttribute("split"));
  REQUIRE(node->getNumInputs() == 2);
  REQUIRE(node->getInput(1)->isConstant());
  CHECK(node->getInput(1)->getConstant().bitwiseEqual(vec({3, 2})));
  requireOk(inferGraphTypes(graph, TypeInferenceMode::Assign));
  CHECK(node->getOutput(0)->getType().str() == "f32[3,2]");
  CHECK(node->getOutput(1)->getType().str() == "f32[2,2]");
  auto outs = interpretGraph(graph, {{"x", iota({5, 2})}});
  if (!outs) FAIL(takeMessage(outs.takeError()));
  CHECK(values((*outs)[1]) == Ints{6, 7, 8, 9});
}

TEST_CASE("Slice with axes, steps, negative indices and clamping", "[ops][datamovement]") {
  Tensor x = iota({3, 4});
  Tensor cols = runOpOrFail({"Slice", {x, vec({1}), vec({3}), vec({1})}})[0];
  CHECK(cols.getType().str() == "f32[3,2]");
  CHECK(values(cols) == Ints{1, 2, 5, 6, 9, 10});
  Tensor corner = runOpOrFail({"Slice", {x, vec({-2, -1}), vec({int64Max, int64Max})}})[0];
  CHECK(corner.getType().str() == "f32[2,1]");
  CHECK(values(corner) == Ints{7, 11});
  Tensor stepped =
      runOpOrFail({"Slice", {x, vec({0, 0}), vec({3, 4}), vec({0, 1}), vec({2, 3})}})[0];
  CHECK(stepped.getType().str() == "f32[2,2]");
  CHECK(values(stepped) == Ints{0, 3, 8, 11});
  Tensor clampedStart = runOpOrFail({"Slice", {x, vec({-100}), vec({1})}})[0];
  CHECK(values(clampedStart) == Ints{0, 1, 2, 3});
  Tensor empty = runOpOrFail({"Slice", {x, vec({3}), vec({1}), vec({1})}})[0];
  CHECK(empty.getType().str() == "f32[3,0]");

  Tensor i32 = runOpOrFail({"Slice",
                            {iota({5}, DType::Int64), Tensor::fromVector<int32_t>({1}, {1}),
                             Tensor::fromVector<int32_t>({1}, {-1})}})[0];
  CHECK(i32.toInts() == Ints{1, 2, 3});
}

TEST_CASE("Slice with negative steps and huge ends", "[ops][datamovement]") {
  Tensor x = iota({10}, DType::Int64);
  auto slice = [&](int64_t start, int64_t end, int64_t step) {
    return runOpOrFail({"Slice", {x, vec({start}), vec({end}), vec({0}), vec({step})}})[0].toInts();
  };
  CHECK(slice(-1, int64Min, -1) == Ints{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(slice(int64Max, int64Min, -1) == Ints{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(slice(8, 1, -3) == Ints{8, 5, 2});
  CHECK(slice(8, 2, -3) == Ints{8, 5});
  CHECK(slice(-3, -8, -2) == Ints{7, 5, 3});
  CHECK(slice(1, 8, -1).empty());
  CHECK(slice(0, int64Max, 4) == Ints{0, 4, 8});
  CHECK(slice(2, int64Max, int64Max) == Ints{2});
  CHECK(slice(5, int64Min, int64Min) == Ints{5});
  CHECK(slice(int64Min, 2, 1) == Ints{0, 1});

  Tensor m = iota({2, 3});
  Tensor flipped = runOpOrFail(
      {"Slice", {m, vec({-1, -1}), vec({int64Min, int64Min}), vec({0, 1}), vec({-1, -1})}})[0];
  CHECK(values(flipped) == Ints{5, 4, 3, 2, 1, 0});
}

TEST_CASE("Slice errors", "[ops][datamovement]") {
  Tensor x = iota({4});
  CHECK_THAT(runOpError({"Slice", {x, vec({0}), vec({2}), vec({0}), vec({0})}}),
             Catch::Contains("steps must be nonzero"));
  CHECK_THAT(runOpError({"Slice", {x, vec({0}), vec({2, 3})}}),
             Catch::Contains("ends has 2 values but starts has 1"));
  CHECK_THAT(runOpError({"Slice", {x, vec({0}), vec({2}), vec({1})}}),
             Catch::Contains("out of range"));
  CHECK_THAT(runOpError({"Slice", {iota({2, 2}), vec({0, 0}), vec({1, 1}), vec({0, -2})}}),
             Catch::Contains("repeated"));
  CHECK_THAT(runOpError({"Slice", {x, vec({0}), vec({2})}, {}, 1, {true, false, true}}),
             Catch::Contains("starts (input 1) must be known at compile time"));
}

TEST_CASE("Gather along axes with negative and int32 indices", "[ops][datamovement]") {
  Tensor x = iota({3, 2});
  Tensor rows = runOpOrFail({"Gather", {x, vec({2, -3})}})[0];
  CHECK(rows.getType().str() == "f32[2,2]");
  CHECK(values(rows) == Ints{4, 5, 0, 1});
  Tensor cols =
      runOpOrFail({"Gather", {x, i64({2, 2}, {1, 0, -1, 1})}, {{"axis", int64_t(-1)}}})[0];
  CHECK(cols.getType().str() == "f32[3,2,2]");
  CHECK(values(cols) == Ints{1, 0, 1, 1, 3, 2, 3, 3, 5, 4, 5, 5});
  Tensor scalar = runOpOrFail({"Gather", {vec({7, 8, 9}), i64({}, {1})}})[0];
  CHECK(scalar.getType().str() == "i64[]");
  CHECK(scalar.toInts() == Ints{8});
  Tensor i32 =
      runOpOrFail({"Gather", {vec({7, 8, 9}), Tensor::fromVector<int32_t>({2}, {-1, 0})}})[0];
  CHECK(i32.toInts() == Ints{9, 7});
  Tensor b = runOpOrFail({"Gather", {Tensor::fromBools({2}, {true, false}), vec({1, 1, 0})}})[0];
  CHECK(b.toInts() == Ints{0, 0, 1});
}

TEST_CASE("Gather reports out-of-range indices", "[ops][datamovement]") {
  Tensor x = iota({3, 2});
  // Known indices fail in the shape rule, runtime ones in the evaluation.
  CHECK_THAT(runOpError({"Gather", {x, vec({3})}}),
             Catch::Contains("index 3 is out of range for an axis of size 3"));
  CHECK_THAT(runOpError({"Gather", {x, vec({0, -4})}, {}, 1, {true, false}}),
             Catch::Contains("index -4 is out of range"));
  CHECK_THAT(runOpError({"Gather", {x, vec({2})}, {{"axis", int64_t(1)}}, 1, {true, false}}),
             Catch::Contains("index 2 is out of range for an axis of size 2"));
  CHECK_THAT(runOpError({"Gather", {x, iota({1})}}), Catch::Contains("element type f32"));
  CHECK_THAT(runOpError({"Gather", {x, vec({0})}, {{"axis", int64_t(2)}}}),
             Catch::Contains("out of range for rank 2"));
}

TEST_CASE("Pad in constant, reflect and edge modes", "[ops][datamovement]") {
  Tensor x = Tensor::fromVector<float>({3}, {1, 2, 3});
  auto pad = [&](const std::string &mode, int64_t begin, int64_t end) {
    return values(runOpOrFail({"Pad", {x, vec({begin, end})}, {{"mode", mode}}})[0]);
  };
  CHECK(pad("constant", 2, 1) == Ints{0, 0, 1, 2, 3, 0});
  CHECK(pad("reflect", 2, 2) == Ints{3, 2, 1, 2, 3, 2, 1});
  CHECK(pad("edge", 2, 2) == Ints{1, 1, 1, 2, 3, 3, 3});
  CHECK(pad("constant", -1, 1) == Ints{2, 3, 0});
  CHECK(pad("reflect", -1, 1) == Ints{2, 3, 2});

  Tensor m = iota({2, 2}, DType::Int64);
  Tensor c = runOpOrFail({"Pad", {m, vec({1, 0, 0, 1}), i64({}, {9})}})[0];
  CHECK(c.getType().str() == "i64[3,3]");
  CHECK(c.toInts() == Ints{9, 9, 9, 0, 1, 9, 2, 3, 9});
  Tensor r = runOpOrFail(
      {"Pad", {iota({2, 3}), vec({1, 1, 0, 1})}, {{"mode", std::string("reflect")}}})[0];
  CHECK(r.getType().str() == "f32[3,5]");
  CHECK(values(r) == Ints{4, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4});
  Tensor e = runOpOrFail({"Pad", {m, vec({0, 1, 1, 0})}, {{"mode", std::string("edge")}}})[0];
  CHECK(e.toInts() == Ints{0, 0, 1, 2, 2, 3, 2, 2, 3});
  Tensor b = runOpOrFail(
      {"Pad", {Tensor::fromBools({1}, {true}), vec({1, 0}), Tensor::fromBools({}, {false})}})[0];
  CHECK(b.toInts() == Ints{0, 1});
}

TEST_CASE("Pad errors", "[ops][datamovement]") {
  Tensor x = iota({3});
  CHECK_THAT(runOpError({"Pad", {x, vec({1, 1})}, {{"mode", std::string("wrap")}}}),
             Catch::Contains("mode \"wrap\" is not supported"));
  CHECK_THAT(runOpError({"Pad", {x, vec({1})}}), Catch::Contains("2 * rank = 2"));
  CHECK_THAT(runOpError({"Pad", {x, vec({3, 0})}, {{"mode", std::string("reflect")}}}),
             Catch::Contains("reflect padding of 3"));
  CHECK_THAT(runOpError({"Pad", {x, vec({-2, -2})}}), Catch::Contains("remove more than all"));
  CHECK_THAT(runOpError({"Pad", {x, vec({1, 1}), i64({}, {0})}}),
             Catch::Contains("constant_value must be a scalar"));
  CHECK_THAT(runOpError({"Pad", {x, vec({1, 1})}, {}, 1, {true, false}}),
             Catch::Contains("pads (input 1) must be known at compile time"));
}
