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
Tensor f32(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<float> values) {
  return Tensor::fromVector<float>(dims, values);
}

/// 0, 1, 2, ... of \p dims as float32.
Tensor iota(llvm::ArrayRef<int64_t> dims) {
  Tensor t(TensorType(DType::Float32, dims));
  for (int64_t i = 0; i < t.getNumElements(); ++i) t.getMutableData<float>()[size_t(i)] = float(i);
  return t;
}

std::vector<float> floats(const Tensor &t) {
  llvm::ArrayRef<float> data = t.getData<float>();
  return {data.begin(), data.end()};
}

void requireOk(llvm::Error err) {
  if (err) FAIL(takeMessage(std::move(err)));
}

/// Attributes with one `reduction`.
std::map<std::string, Attribute> reduction(const char *name) {
  return {{"reduction", std::string(name)}};
}

} // namespace

TEST_CASE("ScatterND replaces slices and elements, negative indices from the end",
          "[ops][indexing]") {
  // Rows of a 4x3 matrix: index tuples of length 1.
  Tensor rows = runOpOrFail(
      {"ScatterND", {iota({4, 3}), i64({2, 1}, {1, -1}), f32({2, 3}, {9, 9, 9, 7, 7, 7})}})[0];
  CHECK(rows.getType().str() == "f32[4,3]");
  CHECK(floats(rows) == std::vector<float>{0, 1, 2, 9, 9, 9, 6, 7, 8, 7, 7, 7});
  // Single elements: tuples of length 2.
  Tensor elements =
      runOpOrFail({"ScatterND", {iota({2, 3}), i64({2, 2}, {0, 2, -1, 0}), f32({2}, {-1, -2})}})[0];
  CHECK(floats(elements) == std::vector<float>{0, 1, -1, -2, 4, 5});
  // int64 data, indices of rank 3.
  Tensor ints = runOpOrFail(
      {"ScatterND", {i64({3}, {1, 2, 3}), i64({1, 2, 1}, {2, 0}), i64({1, 2}, {30, 10})}})[0];
  CHECK(ints.toInts() == Ints{10, 2, 30});
  // Swin's attention mask: a region of a zero image set to a window number.
  Tensor mask = runOpOrFail({"ScatterND",
                             {Tensor(TensorType(DType::Float32, {1, 2, 2})),
                              i64({2, 3}, {0, 0, 0, 0, 1, 1}), f32({2}, {3, 3})}})[0];
  CHECK(floats(mask) == std::vector<float>{3, 0, 0, 3});
}

TEST_CASE("ScatterND reductions and duplicate indices", "[ops][indexing]") {
  Tensor data = f32({3}, {1, 2, 3});
  Tensor dup = i64({3, 1}, {0, 0, 2});
  Tensor updates = f32({3}, {5, 4, 6});
  // reduction none: the last of duplicate indices wins (ONNX leaves it undefined).
  CHECK(floats(runOpOrFail({"ScatterND", {data, dup, updates}})[0]) == std::vector<float>{4, 2, 6});
  CHECK(floats(runOpOrFail({"ScatterND", {data, dup, updates}, reduction("add")})[0]) ==
        std::vector<float>{10, 2, 9});
  CHECK(floats(runOpOrFail({"ScatterND", {data, dup, updates}, reduction("mul")})[0]) ==
        std::vector<float>{20, 2, 18});
  CHECK(floats(runOpOrFail({"ScatterND", {data, dup, updates}, reduction("max")})[0]) ==
        std::vector<float>{5, 2, 6});
  CHECK(floats(runOpOrFail({"ScatterND", {data, dup, updates}, reduction("min")})[0]) ==
        std::vector<float>{1, 2, 3});
  Tensor i32 = Tensor::fromVector<int32_t>({2}, {7, -7});
  CHECK(runOpOrFail({"ScatterND",
                     {i32, i64({2, 1}, {1, 1}), Tensor::fromVector<int32_t>({2}, {2, 3})},
                     reduction("mul")})[0]
            .toInts() == Ints{7, -42});
}

TEST_CASE("ScatterND errors", "[ops][indexing]") {
  Tensor data = iota({2, 3});
  CHECK_THAT(runOpError({"ScatterND", {data, i64({1, 1}, {2}), iota({1, 3})}}),
             Catch::Contains("node 'node' (ScatterND): index 2 is out of range for an axis of "
                             "size 2"));
  CHECK_THAT(runOpError({"ScatterND", {data, i64({1, 1}, {0}), iota({1, 2})}}),
             Catch::Contains("updates f32[1,2] must have dims [1,3]"));
  CHECK_THAT(runOpError({"ScatterND", {data, i64({1, 3}, {0, 0, 0}), iota({1})}}),
             Catch::Contains("must have a last dim of at most the rank of data"));
  CHECK_THAT(runOpError({"ScatterND", {data, i64({1, 1}, {0}), iota({1, 3})}, reduction("sum")}),
             Catch::Contains("reduction \"sum\" is not none, add, mul, max or min"));
  CHECK_THAT(
      runOpError({"ScatterND", {data, Tensor::fromVector<int32_t>({1, 1}, {0}), iota({1, 3})}}),
      Catch::Contains("element type"));
  CHECK_THAT(runOpError({"ScatterND", {data, i64({1, 1}, {0}), i64({1, 3}, {1, 2, 3})}}),
             Catch::Contains("must have the dtype of data"));
  CHECK_THAT(runOpError({"ScatterND",
                         {Tensor::fromBools({2}, {true, false}), i64({1, 1}, {0}),
                          Tensor::fromBools({1}, {true})},
                         reduction("add")}),
             Catch::Contains("element type bool"));
}

TEST_CASE("ScatterND's reduction needs opset 16, max and min opset 18", "[ops][indexing]") {
  for (auto [name, opset, ok] : std::vector<std::tuple<const char *, int, bool>>{
           {"add", 16, true}, {"add", 13, false}, {"max", 18, true}, {"min", 16, false}}) {
    INFO(name << " at opset " << opset);
    Graph graph;
    Value *x = graph.addInput("x", TensorType(DType::Float32, {2}));
    Value *i = graph.addConstant("i", i64({1, 1}, {0}));
    Value *u = graph.addConstant("u", f32({1}, {1}));
    Node *node = graph.addNode("s", "ScatterND", lookupOpSchema("ScatterND"), {x, i, u}, {"y"});
    node->setAttribute("reduction", std::string(name));
    llvm::Error err = node->getSchema().upgrade(*node, opset, graph);
    if (ok)
      requireOk(std::move(err));
    else
      CHECK_THAT(takeMessage(std::move(err)), Catch::Contains("needs opset"));
  }
}

TEST_CASE("ScatterElements along axes, with reductions", "[ops][indexing]") {
  // ONNX's example: axis 0, indices smaller than data.
  Tensor out =
      runOpOrFail({"ScatterElements",
                   {Tensor(TensorType(DType::Float32, {3, 3})), i64({2, 3}, {1, 0, 2, 0, 2, 1}),
                    f32({2, 3}, {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f})}})[0];
  CHECK(floats(out) == std::vector<float>{2.0f, 1.1f, 0, 1.0f, 0, 2.2f, 0, 2.1f, 1.2f});
  Tensor row = f32({1, 5}, {1, 2, 3, 4, 5});
  Tensor negative = runOpOrFail({"ScatterElements",
                                 {row, i64({1, 2}, {1, -3}), f32({1, 2}, {10, 20})},
                                 {{"axis", int64_t(-1)}}})[0];
  CHECK(floats(negative) == std::vector<float>{1, 10, 20, 4, 5});
  Tensor dupIndices = Tensor::fromVector<int32_t>({1, 3}, {1, 1, 1});
  Tensor dupUpdates = f32({1, 3}, {5, 6, 7});
  CHECK(floats(runOpOrFail(
            {"ScatterElements", {row, dupIndices, dupUpdates}, {{"axis", int64_t(1)}}})[0]) ==
        std::vector<float>{1, 7, 3, 4, 5});
  auto with = [&](const char *name) {
    auto attrs = reduction(name);
    attrs["axis"] = int64_t(1);
    return floats(runOpOrFail({"ScatterElements", {row, dupIndices, dupUpdates}, attrs})[0]);
  };
  CHECK(with("add") == std::vector<float>{1, 20, 3, 4, 5});
  CHECK(with("mul") == std::vector<float>{1, 420, 3, 4, 5});
  CHECK(with("max") == std::vector<float>{1, 7, 3, 4, 5});
  CHECK(with("min") == std::vector<float>{1, 2, 3, 4, 5});
}

TEST_CASE("ScatterElements errors", "[ops][indexing]") {
  Tensor data = iota({2, 3});
  CHECK_THAT(
      runOpError(
          {"ScatterElements", {data, i64({1, 1}, {3}), iota({1, 1})}, {{"axis", int64_t(1)}}}),
      Catch::Contains("(ScatterElements): index 3 is out of range for an axis of size 3"));
  CHECK_THAT(runOpError({"ScatterElements", {data, i64({1, 1}, {0}), iota({1, 2})}}),
             Catch::Contains("must have one shape, of the rank of data"));
  CHECK_THAT(runOpError({"ScatterElements", {data, i64({1, 4}, {0, 0, 0, 0}), iota({1, 4})}}),
             Catch::Contains("exceed data f32[2,3] on axis 1"));
  CHECK_THAT(
      runOpError(
          {"ScatterElements", {data, i64({1, 1}, {0}), iota({1, 1})}, {{"axis", int64_t(2)}}}),
      Catch::Contains("out of range for rank 2"));
}

TEST_CASE("Scatter of opset 10 is imported as ScatterElements", "[ops][indexing]") {
  Graph graph;
  Value *x = graph.addInput("x", TensorType(DType::Float32, {1, 5}));
  Value *i = graph.addConstant("i", i64({1, 2}, {1, 3}));
  Value *u = graph.addConstant("u", f32({1, 2}, {1.5f, 2.5f}));
  Node *node = graph.addNode("s", "Scatter", lookupOpSchema("Scatter"), {x, i, u}, {"y"});
  node->setAttribute("axis", int64_t(1));
  graph.addOutput("y", node->getOutput(0));
  requireOk(node->getSchema().upgrade(*node, 10, graph));
  CHECK(node->getOpType() == "ScatterElements");
  requireOk(inferGraphTypes(graph, TypeInferenceMode::Assign));
  auto outs = interpretGraph(graph, {{"x", f32({1, 5}, {1, 2, 3, 4, 5})}});
  if (!outs) FAIL(takeMessage(outs.takeError()));
  CHECK(floats((*outs)[0]) == std::vector<float>{1, 1.5f, 3, 2.5f, 5});
}

TEST_CASE("GatherND with and without batch_dims", "[ops][indexing]") {
  Tensor data = iota({2, 2, 2});
  Tensor slices = runOpOrFail({"GatherND", {data, i64({2, 1, 2}, {0, 1, 1, 0})}})[0];
  CHECK(slices.getType().str() == "f32[2,1,2]");
  CHECK(floats(slices) == std::vector<float>{2, 3, 4, 5});
  Tensor elements = runOpOrFail({"GatherND", {data, i64({2, 3}, {0, 0, 1, -1, -1, -1})}})[0];
  CHECK(elements.getType().str() == "f32[2]");
  CHECK(floats(elements) == std::vector<float>{1, 7});
  Tensor batched =
      runOpOrFail({"GatherND", {data, i64({2, 1}, {1, 0})}, {{"batch_dims", int64_t(1)}}})[0];
  CHECK(batched.getType().str() == "f32[2,2]");
  CHECK(floats(batched) == std::vector<float>{2, 3, 4, 5});
  Tensor batchedElements = runOpOrFail({"GatherND",
                                        {data, i64({2, 2, 2}, {0, 1, 1, 1, 1, 0, 0, 0})},
                                        {{"batch_dims", int64_t(1)}}})[0];
  CHECK(batchedElements.getType().str() == "f32[2,2]");
  CHECK(floats(batchedElements) == std::vector<float>{1, 3, 6, 4});
  Tensor ints =
      runOpOrFail({"GatherND", {i64({2, 2}, {0, 1, 2, 3}), i64({2, 2}, {0, 0, 1, 1})}})[0];
  CHECK(ints.toInts() == Ints{0, 3});
}

TEST_CASE("GatherND errors", "[ops][indexing]") {
  Tensor data = iota({2, 3});
  CHECK_THAT(runOpError({"GatherND", {data, i64({1, 2}, {0, 3})}}),
             Catch::Contains("(GatherND): index 3 is out of range for an axis of size 3"));
  CHECK_THAT(runOpError({"GatherND", {data, i64({1, 3}, {0, 0, 0})}}),
             Catch::Contains("must have a last dim in [1, 2]"));
  CHECK_THAT(runOpError({"GatherND", {data, i64({3, 1}, {0, 0, 0})}, {{"batch_dims", int64_t(1)}}}),
             Catch::Contains("the first 1 dims of indices i64[3,1] and data f32[2,3] must match"));
  CHECK_THAT(runOpError({"GatherND", {data, i64({2, 1}, {0, 0})}, {{"batch_dims", int64_t(2)}}}),
             Catch::Contains("batch_dims 2 must be below the ranks"));
}

TEST_CASE("OneHot along axes, negative and out-of-range indices", "[ops][indexing]") {
  Tensor values = i64({2}, {0, 1});
  Tensor last = runOpOrFail({"OneHot", {i64({3}, {0, -1, 4}), i64({}, {4}), values}})[0];
  CHECK(last.getType().str() == "i64[3,4]");
  CHECK(last.toInts() == Ints{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0});
  Tensor first = runOpOrFail({"OneHot",
                              {f32({2}, {1.7f, -2.0f}), f32({1}, {3.0f}), f32({2}, {-1, 5})},
                              {{"axis", int64_t(0)}}})[0];
  CHECK(first.getType().str() == "f32[3,2]");
  CHECK(floats(first) == std::vector<float>{-1, -1, 5, 5, -1, -1});
  Tensor middle = runOpOrFail(
      {"OneHot", {i64({2, 2}, {1, 0, 2, 1}), i64({}, {3}), values}, {{"axis", int64_t(-2)}}})[0];
  CHECK(middle.getType().str() == "i64[2,3,2]");
  CHECK(middle.toInts() == Ints{0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0});
}

TEST_CASE("OneHot errors", "[ops][indexing]") {
  Tensor indices = i64({2}, {0, 1});
  Tensor values = f32({2}, {0, 1});
  CHECK_THAT(runOpError({"OneHot", {indices, i64({}, {3}), values}, {}, 1, {true, false, true}}),
             Catch::Contains("depth (input 1) must be known at compile time"));
  CHECK_THAT(runOpError({"OneHot", {indices, i64({}, {0}), values}}),
             Catch::Contains("depth must be a positive count, got 0"));
  CHECK_THAT(runOpError({"OneHot", {indices, i64({}, {3}), f32({3}, {0, 1, 2})}}),
             Catch::Contains("must hold two elements: off, on"));
  CHECK_THAT(runOpError({"OneHot", {indices, i64({}, {int64_t(1) << 40}), values}}),
             Catch::Contains("the one-hot tensor would be too large"));
  CHECK_THAT(runOpError({"OneHot", {indices, i64({2}, {3, 3}), values}}),
             Catch::Contains("must be a scalar"));
  CHECK_THAT(runOpError({"OneHot", {indices, i64({}, {3}), values}, {{"axis", int64_t(2)}}}),
             Catch::Contains("out of range for rank 2"));
}
