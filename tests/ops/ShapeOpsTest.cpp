#include "tests/ops/OpTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "compiler/eval/TypeInference.h"

using namespace spcc;
using namespace spcc::test;

namespace {

using Ints = llvm::SmallVector<int64_t>;

Tensor i64(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<int64_t> values) {
  return Tensor::fromVector<int64_t>(dims, values);
}
Tensor vec(llvm::ArrayRef<int64_t> values) { return i64({int64_t(values.size())}, values); }

/// 0, 1, 2, ... as float32 of \p dims.
Tensor iota(llvm::ArrayRef<int64_t> dims) {
  Tensor t(TensorType(DType::Float32, dims));
  auto data = t.getMutableData<float>();
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i);
  return t;
}

void requireOk(llvm::Error err) {
  if (err) FAIL(takeMessage(std::move(err)));
}

/// Imports one node of opset \p opset with attributes into a graph with input x: runs upgrade,
/// type inference, then the interpreter on \p data.
std::vector<Tensor> runUpgraded(const std::string &opType, const Tensor &data, int opset,
                                const std::map<std::string, Attribute> &attributes,
                                size_t numOutputs, Node **nodeOut, Graph &graph) {
  Value *x = graph.addInput("x", data.getType());
  std::vector<std::string> names;
  for (size_t i = 0; i < numOutputs; ++i) names.push_back("y" + std::to_string(i));
  Node *node = graph.addNode("n", opType, lookupOpSchema(opType), {x}, names);
  for (const auto &[key, value] : attributes) node->setAttribute(key, value);
  for (size_t i = 0; i < numOutputs; ++i) graph.addOutput(names[i], node->getOutput(i));
  *nodeOut = node;
  requireOk(node->getSchema().upgrade(*node, opset, graph));
  requireOk(inferGraphTypes(graph, TypeInferenceMode::Assign));
  auto outs = interpretGraph(graph, {{"x", data}});
  if (!outs) FAIL(takeMessage(outs.takeError()));
  return *outs;
}

} // namespace

TEST_CASE("Shape returns dims, honours start and end, and folds from types", "[ops][shape]") {
  Tensor x(TensorType(DType::Float32, {2, 3, 4}));
  CHECK(runOpOrFail({"Shape", {x}})[0].bitwiseEqual(vec({2, 3, 4})));
  CHECK(runOpOrFail({"Shape", {x}, {{"start", int64_t(1)}}})[0].bitwiseEqual(vec({3, 4})));
  CHECK(runOpOrFail({"Shape", {x}, {{"start", int64_t(-2)}, {"end", int64_t(-1)}}})[0].bitwiseEqual(
      vec({3})));
  CHECK(runOpOrFail({"Shape", {x}, {{"start", int64_t(-9)}, {"end", int64_t(9)}}})[0].bitwiseEqual(
      vec({2, 3, 4})));
  CHECK(runOpOrFail({"Shape", {x}, {{"start", int64_t(2)}, {"end", int64_t(1)}}})[0]
            .getDims()
            .vec() == std::vector<int64_t>{0});
  // Other dtypes; the input need not be known.
  Tensor b = Tensor::fromBools({5}, {true, false, true, true, false});
  CHECK(runOpOrFail({"Shape", {b}, {}, 1, {false}})[0].bitwiseEqual(vec({5})));
  CHECK(runOpOrFail({"Shape", {i64({}, {7})}})[0].getDims().vec() == std::vector<int64_t>{0});

  Graph graph;
  Value *in = graph.addInput("x", TensorType(DType::Int32, {6, 1}));
  Node *node = graph.addNode("s", "Shape", lookupOpSchema("Shape"), {in}, {"y"});
  node->setAttribute("start", int64_t(1));
  std::optional<Tensor> folded = node->getSchema().foldFromTypes(*node);
  REQUIRE(folded);
  CHECK(folded->bitwiseEqual(vec({1})));
}

TEST_CASE("Reshape with 0, -1 and allowzero", "[ops][shape]") {
  Tensor x = iota({2, 3, 4});
  Tensor y = runOpOrFail({"Reshape", {x, vec({0, -1})}})[0];
  CHECK(y.getType().str() == "f32[2,12]");
  CHECK(y.getBytes() == x.getBytes());
  CHECK(runOpOrFail({"Reshape", {x, vec({-1})}})[0].getType().str() == "f32[24]");
  CHECK(runOpOrFail({"Reshape", {x, vec({4, 0, 2})}})[0].getType().str() == "f32[4,3,2]");
  Tensor empty(TensorType(DType::Float32, {0, 3}));
  CHECK(runOpOrFail({"Reshape", {empty, vec({3, 0})}, {{"allowzero", int64_t(1)}}})[0]
            .getType()
            .str() == "f32[3,0]");

  Tensor xi = i64({2, 2}, {5, -6, 7, -8});
  Tensor yi = runOpOrFail({"Reshape", {xi, vec({4})}})[0];
  CHECK(yi.toInts() == Ints{5, -6, 7, -8});
}

TEST_CASE("Reshape errors name the shapes and require a known shape", "[ops][shape]") {
  Tensor x = iota({2, 3, 4});
  std::string msg = runOpError({"Reshape", {x, vec({4, 5})}});
  CHECK_THAT(msg, Catch::Contains("f32[2,3,4]") && Catch::Contains("[4,5]"));
  CHECK_THAT(runOpError({"Reshape", {x, vec({5, -1})}}), Catch::Contains("cannot reshape"));
  CHECK_THAT(runOpError({"Reshape", {x, vec({-1, -1})}}), Catch::Contains("more than one -1"));
  CHECK_THAT(runOpError({"Reshape", {x, vec({2, 0, 0, 0})}}), Catch::Contains("does not have"));
  CHECK_THAT(runOpError({"Reshape", {x, vec({0, -1})}, {{"allowzero", int64_t(1)}}}),
             Catch::Contains("allowzero"));
  CHECK_THAT(runOpError({"Reshape", {x, vec({2, 12})}, {}, 1, {true, false}}),
             Catch::Contains("shape (input 1) must be known at compile time"));
}

TEST_CASE("Flatten at positive, negative and boundary axes", "[ops][shape]") {
  Tensor x = iota({2, 3, 4});
  CHECK(runOpOrFail({"Flatten", {x}})[0].getType().str() == "f32[2,12]");
  CHECK(runOpOrFail({"Flatten", {x}, {{"axis", int64_t(-1)}}})[0].getType().str() == "f32[6,4]");
  CHECK(runOpOrFail({"Flatten", {x}, {{"axis", int64_t(0)}}})[0].getType().str() == "f32[1,24]");
  CHECK(runOpOrFail({"Flatten", {x}, {{"axis", int64_t(3)}}})[0].getType().str() == "f32[24,1]");
  Tensor y = runOpOrFail({"Flatten", {x}, {{"axis", int64_t(2)}}})[0];
  CHECK(y.getBytes() == x.getBytes());
  CHECK_THAT(runOpError({"Flatten", {x}, {{"axis", int64_t(4)}}}),
             Catch::Contains("axis 4 is out of range"));
  CHECK_THAT(runOpError({"Flatten", {x}, {{"axis", int64_t(-4)}}}),
             Catch::Contains("axis -4 is out of range"));
}

TEST_CASE("Squeeze listed axes, all ones, and errors", "[ops][shape]") {
  Tensor x = iota({1, 3, 1});
  CHECK(runOpOrFail({"Squeeze", {x, vec({0, -1})}})[0].getType().str() == "f32[3]");
  CHECK(runOpOrFail({"Squeeze", {x, vec({2})}})[0].getType().str() == "f32[1,3]");
  CHECK(runOpOrFail({"Squeeze", {x}})[0].getType().str() == "f32[3]");
  Tensor xi = i64({1, 2}, {4, 9});
  Tensor yi = runOpOrFail({"Squeeze", {xi, vec({0})}})[0];
  CHECK(yi.getType().str() == "i64[2]");
  CHECK(yi.toInts() == Ints{4, 9});
  CHECK_THAT(runOpError({"Squeeze", {x, vec({1})}}),
             Catch::Contains("cannot squeeze dim 1 of size 3"));
  CHECK_THAT(runOpError({"Squeeze", {x, vec({0, -3})}}), Catch::Contains("repeated"));
  CHECK_THAT(runOpError({"Squeeze", {x, vec({3})}}), Catch::Contains("out of range"));
  CHECK_THAT(runOpError({"Squeeze", {x, vec({0})}, {}, 1, {true, false}}),
             Catch::Contains("must be known at compile time"));
}

TEST_CASE("Unsqueeze axes index the output", "[ops][shape]") {
  Tensor x = iota({3});
  CHECK(runOpOrFail({"Unsqueeze", {x, vec({0, -1})}})[0].getType().str() == "f32[1,3,1]");
  CHECK(runOpOrFail({"Unsqueeze", {iota({2, 3}), vec({1})}})[0].getType().str() == "f32[2,1,3]");
  CHECK(runOpOrFail({"Unsqueeze", {iota({2, 3}), vec({3, 0})}})[0].getType().str() ==
        "f32[1,2,3,1]");
  Tensor s = runOpOrFail({"Unsqueeze", {i64({}, {42}), vec({0})}})[0];
  CHECK(s.getType().str() == "i64[1]");
  CHECK(s.toInts() == Ints{42});
  CHECK_THAT(runOpError({"Unsqueeze", {x, vec({1, 1})}}), Catch::Contains("repeated"));
  CHECK_THAT(runOpError({"Unsqueeze", {x, vec({2})}}), Catch::Contains("out of range"));
  CHECK_THAT(runOpError({"Unsqueeze", {x}}), Catch::Contains("axes"));
}

TEST_CASE("Squeeze and Unsqueeze of opset 11 move axes into an input", "[ops][shape]") {
  {
    Graph graph;
    Node *node;
    auto outs = runUpgraded("Squeeze", iota({1, 2, 1}), 11, {{"axes", std::vector<int64_t>{-1}}}, 1,
                            &node, graph);
    CHECK_FALSE(node->hasAttribute("axes"));
    REQUIRE(node->getNumInputs() == 2);
    REQUIRE(node->getInput(1)->isConstant());
    CHECK(node->getInput(1)->getConstant().bitwiseEqual(vec({-1})));
    CHECK(outs[0].getType().str() == "f32[1,2]");
  }
  {
    Graph graph;
    Node *node;
    auto outs = runUpgraded("Squeeze", iota({1, 2, 1}), 11, {}, 1, &node, graph);
    CHECK(node->getNumInputs() == 1);
    CHECK(outs[0].getType().str() == "f32[2]");
  }
  {
    Graph graph;
    Node *node;
    auto outs = runUpgraded("Unsqueeze", iota({2}), 12, {{"axes", std::vector<int64_t>{0, 2}}}, 1,
                            &node, graph);
    CHECK_FALSE(node->hasAttribute("axes"));
    REQUIRE(node->getNumInputs() == 2);
    CHECK(node->getInput(1)->getConstant().bitwiseEqual(vec({0, 2})));
    CHECK(outs[0].getType().str() == "f32[1,2,1]");
  }
  {
    // Opset 13 keeps the node as it is.
    Graph graph;
    Value *x = graph.addInput("x", TensorType(DType::Float32, {1}));
    Node *node = graph.addNode("n", "Squeeze", lookupOpSchema("Squeeze"), {x}, {"y"});
    node->setAttribute("axes", std::vector<int64_t>{0});
    requireOk(node->getSchema().upgrade(*node, 13, graph));
    CHECK(node->hasAttribute("axes"));
    CHECK(node->getNumInputs() == 1);
  }
}

TEST_CASE("Expand broadcasts both ways", "[ops][shape]") {
  Tensor x = Tensor::fromVector<float>({3, 1}, {1, 2, 3});
  Tensor y = runOpOrFail({"Expand", {x, vec({2, 1, 2})}})[0];
  REQUIRE(y.getType().str() == "f32[2,3,2]");
  requireClose(y, Tensor::fromVector<float>({2, 3, 2}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  // The shape may be smaller than the input.
  CHECK(runOpOrFail({"Expand", {x, vec({1})}})[0].getType().str() == "f32[3,1]");
  Tensor b = Tensor::fromBools({2}, {true, false});
  Tensor yb = runOpOrFail({"Expand", {b, vec({2, 2})}})[0];
  CHECK(yb.getType().str() == "bool[2,2]");
  CHECK(yb.toInts() == Ints{1, 0, 1, 0});
  Tensor yi = runOpOrFail({"Expand", {i64({1}, {-3}), vec({3})}})[0];
  CHECK(yi.toInts() == Ints{-3, -3, -3});
  CHECK_THAT(runOpError({"Expand", {x, vec({2, 4})}}), Catch::Contains("do not broadcast"));
  CHECK_THAT(runOpError({"Expand", {x, vec({3, 1})}, {}, 1, {true, false}}),
             Catch::Contains("must be known at compile time"));
}

TEST_CASE("ConstantOfShape fills with value", "[ops][shape]") {
  Tensor zeros = runOpOrFail({"ConstantOfShape", {vec({2, 3})}})[0];
  CHECK(zeros.getType().str() == "f32[2,3]");
  CHECK(zeros.countNonZeros() == 0);
  Tensor sevens = runOpOrFail({"ConstantOfShape", {vec({4})}, {{"value", i64({1}, {7})}}})[0];
  CHECK(sevens.getType().str() == "i64[4]");
  CHECK(sevens.toInts() == Ints{7, 7, 7, 7});
  Tensor halves =
      runOpOrFail({"ConstantOfShape", {vec({2})}, {{"value", Tensor::scalar(0.5f)}}})[0];
  requireClose(halves, Tensor::fromVector<float>({2}, {0.5f, 0.5f}));
  Tensor scalar = runOpOrFail({"ConstantOfShape", {vec({})}, {{"value", i64({1}, {3})}}})[0];
  CHECK(scalar.getType().str() == "i64[]");
  CHECK_THAT(runOpError({"ConstantOfShape", {vec({2})}, {{"value", i64({2}, {1, 2})}}}),
             Catch::Contains("one element"));
  CHECK_THAT(runOpError({"ConstantOfShape", {vec({-2})}}), Catch::Contains("negative"));
  CHECK_THAT(runOpError({"ConstantOfShape", {vec({2})}, {}, 1, {false}}),
             Catch::Contains("must be known at compile time"));
}

TEST_CASE("Range lengths and values", "[ops][shape]") {
  auto range = [](int64_t s, int64_t l, int64_t d) {
    return runOpOrFail({"Range", {i64({}, {s}), i64({}, {l}), i64({}, {d})}})[0];
  };
  CHECK(range(1, 10, 3).toInts() == Ints{1, 4, 7});
  CHECK(range(1, 11, 5).toInts() == Ints{1, 6});
  CHECK(range(10, 4, -2).toInts() == Ints{10, 8, 6});
  CHECK(range(5, 1, 1).getType().str() == "i64[0]");
  Tensor f =
      runOpOrFail({"Range", {Tensor::scalar(0.0f), Tensor::scalar(1.0f), Tensor::scalar(0.3f)}})[0];
  requireClose(f, Tensor::fromVector<float>({4}, {0, 0.3f, 0.6f, 0.9f}));
  Tensor i32 = runOpOrFail(
      {"Range",
       {Tensor::scalar<int32_t>(-2), Tensor::scalar<int32_t>(1), Tensor::scalar<int32_t>(1)}})[0];
  CHECK(i32.getType().str() == "i32[3]");
  CHECK(i32.toInts() == Ints{-2, -1, 0});
  CHECK_THAT(runOpError({"Range", {i64({}, {0}), i64({}, {3}), i64({}, {0})}}),
             Catch::Contains("delta must be nonzero"));
  CHECK_THAT(runOpError({"Range", {i64({}, {0}), Tensor::scalar(3.0f), i64({}, {1})}}),
             Catch::Contains("limit must be a scalar"));
  CHECK_THAT(
      runOpError({"Range", {i64({}, {0}), i64({}, {3}), i64({}, {1})}, {}, 1, {true, false, true}}),
      Catch::Contains("limit (input 1) must be known at compile time"));
}

TEST_CASE("Shape -> Gather -> Unsqueeze -> Concat -> Reshape flattens a batch", "[ops][shape]") {
  Graph graph;
  Value *x = graph.addInput("x", TensorType(DType::Float32, {2, 3, 4}));
  auto add = [&](const std::string &op, std::vector<Value *> inputs) {
    Node *n = graph.addNode(op, op, lookupOpSchema(op), inputs, {op + "_out"});
    return n;
  };
  Value *shape = add("Shape", {x})->getOutput(0);
  Value *index = graph.addConstant("zero", i64({}, {0}));
  Value *batch = add("Gather", {shape, index})->getOutput(0);
  Value *axes = graph.addConstant("axes", vec({0}));
  Value *batch1 = add("Unsqueeze", {batch, axes})->getOutput(0);
  Value *minusOne = graph.addConstant("minus_one", vec({-1}));
  Node *concat = add("Concat", {batch1, minusOne});
  concat->setAttribute("axis", int64_t(0));
  Node *reshape = add("Reshape", {x, concat->getOutput(0)});
  graph.addOutput("y", reshape->getOutput(0));

  requireOk(inferGraphTypes(graph, TypeInferenceMode::Assign));
  CHECK(concat->getOutput(0)->getType().str() == "i64[2]");
  CHECK(reshape->getOutput(0)->getType().str() == "f32[2,12]");
  Tensor data = iota({2, 3, 4});
  auto outs = interpretGraph(graph, {{"x", data}});
  if (!outs) FAIL(takeMessage(outs.takeError()));
  CHECK((*outs)[0].getType().str() == "f32[2,12]");
  CHECK((*outs)[0].getBytes() == data.getBytes());
}
