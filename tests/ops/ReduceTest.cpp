#include "tests/ops/OpTestUtil.h"

#include "compiler/eval/TypeInference.h"

#include <array>

using namespace spcc;
using namespace spcc::test;

using Dims = llvm::SmallVector<int64_t, 4>;

namespace {

/// Sum (or mean) of x [2,3,4] over the axes flagged in \p reduce, keeping them as 1s.
Tensor referenceReduce(const Tensor &x, std::array<bool, 3> reduce, bool mean) {
  Dims dims(x.getDims());
  Dims outDims;
  for (size_t a = 0; a < 3; ++a) outDims.push_back(reduce[a] ? 1 : dims[a]);
  Tensor out(TensorType(DType::Float32, outDims));
  auto dst = out.getMutableData<float>();
  int64_t count = 1;
  for (size_t a = 0; a < 3; ++a) count *= reduce[a] ? dims[a] : 1;
  for (int64_t i = 0; i < dims[0]; ++i)
    for (int64_t j = 0; j < dims[1]; ++j)
      for (int64_t k = 0; k < dims[2]; ++k) {
        int64_t oi = reduce[0] ? 0 : i, oj = reduce[1] ? 0 : j, ok = reduce[2] ? 0 : k;
        dst[size_t((oi * outDims[1] + oj) * outDims[2] + ok)] +=
            x.getData<float>()[size_t((i * dims[1] + j) * dims[2] + k)];
      }
  if (mean)
    for (float &v : dst) v /= float(count);
  return out;
}

void requireSuccess(llvm::Error err) {
  if (err) FAIL(takeMessage(std::move(err)));
}

} // namespace

TEST_CASE("ReduceMean over attribute axes, with and without keepdims", "[ops][reduce]") {
  std::mt19937 rng(31);
  Tensor x = randomTensor({2, 3, 4}, rng);
  requireClose(runOpOrFail({"ReduceMean", {x}, {{"axes", std::vector<int64_t>{1}}}})[0],
               referenceReduce(x, {false, true, false}, true));
  requireClose(runOpOrFail({"ReduceMean", {x}, {{"axes", std::vector<int64_t>{-1, 0}}}})[0],
               referenceReduce(x, {true, false, true}, true));
  // keepdims = 0 drops the reduced axes; the values are the same.
  Tensor dropped = runOpOrFail(
      {"ReduceMean", {x}, {{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t(0)}}})[0];
  requireClose(dropped, referenceReduce(x, {false, false, true}, true).reshaped({2, 3}));
  // No axes: everything.
  requireClose(runOpOrFail({"ReduceMean", {x}})[0], referenceReduce(x, {true, true, true}, true));
  CHECK(runOpOrFail({"ReduceMean", {x}, {{"keepdims", int64_t(0)}}})[0].getType().str() == "f32[]");
}

TEST_CASE("ReduceMean accepts axes as input 1 (opset 18 form)", "[ops][reduce]") {
  std::mt19937 rng(32);
  Tensor x = randomTensor({2, 3, 4}, rng);
  requireClose(runOpOrFail({"ReduceMean", {x, Tensor::fromVector<int64_t>({2}, {0, 2})}})[0],
               referenceReduce(x, {true, false, true}, true));
  CHECK_THAT(runOpError({"ReduceMean",
                         {x, Tensor::fromVector<int64_t>({1}, {0})},
                         {{"axes", std::vector<int64_t>{1}}}}),
             Catch::Contains("both as an attribute and as input 1"));
}

TEST_CASE("ReduceSum with axes input, noop_with_empty_axes and int64", "[ops][reduce]") {
  std::mt19937 rng(33);
  Tensor x = randomTensor({2, 3, 4}, rng);
  requireClose(runOpOrFail({"ReduceSum", {x, Tensor::fromVector<int64_t>({1}, {1})}})[0],
               referenceReduce(x, {false, true, false}, false));
  // Empty axes reduce everything, unless noop_with_empty_axes.
  Tensor noAxes(TensorType(DType::Int64, {0}));
  requireClose(runOpOrFail({"ReduceSum", {x, noAxes}})[0],
               referenceReduce(x, {true, true, true}, false));
  requireClose(runOpOrFail({"ReduceSum", {x}})[0], referenceReduce(x, {true, true, true}, false));
  requireClose(runOpOrFail({"ReduceSum", {x, noAxes}, {{"noop_with_empty_axes", int64_t(1)}}})[0],
               x);
  requireClose(runOpOrFail({"ReduceSum", {x}, {{"noop_with_empty_axes", int64_t(1)}}})[0], x);

  Tensor shape = Tensor::fromVector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor sum = runOpOrFail(
      {"ReduceSum", {shape, Tensor::fromVector<int64_t>({1}, {0})}, {{"keepdims", int64_t(0)}}})[0];
  CHECK(sum.getType().str() == "i64[3]");
  CHECK(sum.toInts() == llvm::SmallVector<int64_t>{5, 7, 9});
}

TEST_CASE("ReduceSum needs its axes at compile time", "[ops][reduce]") {
  std::mt19937 rng(34);
  OpCall call{"ReduceSum", {randomTensor({2, 3}, rng), Tensor::fromVector<int64_t>({1}, {1})}};
  call.constantInputs = {true, false};
  CHECK_THAT(runOpError(call), Catch::Contains("axes (input 1) must be known at compile time"));
}

TEST_CASE("Reductions reject bad axes, keepdims and types", "[ops][reduce]") {
  std::mt19937 rng(35);
  Tensor x = randomTensor({2, 3}, rng);
  CHECK_THAT(runOpError({"ReduceMean", {x}, {{"axes", std::vector<int64_t>{1, -1}}}}),
             Catch::Contains("axis -1 appears twice"));
  CHECK_THAT(runOpError({"ReduceMean", {x}, {{"axes", std::vector<int64_t>{2}}}}),
             Catch::Contains("reduction axis 2 is out of range for rank 2"));
  CHECK_THAT(runOpError({"ReduceSum", {x, Tensor::fromVector<int64_t>({1}, {-3})}}),
             Catch::Contains("out of range"));
  CHECK_THAT(runOpError({"ReduceMean", {x}, {{"keepdims", int64_t(2)}}}),
             Catch::Contains("'keepdims' must be 0 or 1, got 2"));
  CHECK_THAT(runOpError({"ReduceSum", {x}, {{"axes", std::vector<int64_t>{0}}}}),
             Catch::Contains("takes axes as input 1 from opset 13"));
  CHECK_THAT(runOpError({"ReduceSum", {x, Tensor::fromVector<int32_t>({1}, {0})}}),
             Catch::Contains("input 1 ('in1') has element type i32"));
  Tensor ints = Tensor::fromVector<int64_t>({2}, {1, 2});
  CHECK_THAT(runOpError({"ReduceMean", {ints}}), Catch::Contains("element type i64"));
}

TEST_CASE("ReduceSum upgrade moves opset-11 axes into an input", "[ops][reduce]") {
  std::mt19937 rng(36);
  Tensor data = randomTensor({2, 3, 4}, rng);
  Graph graph;
  Value *x = graph.addInput("x", data.getType());
  const OpSchema *schema = lookupOpSchema("ReduceSum");
  REQUIRE(schema);
  Node *node = graph.addNode("sum", "ReduceSum", schema, {x}, {"y"});
  node->setAttribute("axes", std::vector<int64_t>{0, -1});
  node->setAttribute("keepdims", int64_t(1));

  requireSuccess(schema->upgrade(*node, 11, graph));
  CHECK_FALSE(node->hasAttribute("axes"));
  REQUIRE(node->getNumInputs() == 2);
  Value *axes = node->getInput(1);
  REQUIRE(axes->isConstant());
  CHECK(axes->getConstant().getType().str() == "i64[2]");
  CHECK(axes->getConstant().toInts() == llvm::SmallVector<int64_t>{0, -1});

  std::vector<const Tensor *> known{nullptr, &axes->getConstant()};
  auto types = inferNodeTypes(*node, known);
  if (!types) FAIL(takeMessage(types.takeError()));
  CHECK((*types)[0].str() == "f32[1,3,1]");
  node->getOutput(0)->setType((*types)[0]);
  auto outs = schema->evaluate(*node, {data, axes->getConstant()});
  if (!outs) FAIL(takeMessage(outs.takeError()));
  requireClose((*outs)[0], referenceReduce(data, {true, false, true}, false));

  // From opset 13 on the node is already canonical.
  Node *newer = graph.addNode("sum13", "ReduceSum", schema, {x}, {"z"});
  requireSuccess(schema->upgrade(*newer, 13, graph));
  CHECK(newer->getNumInputs() == 1);
}

TEST_CASE("TopK: largest and smallest, ties by index, NaN beyond every number", "[ops][reduce]") {
  Tensor x = Tensor::fromVector<float>({2, 4}, {3, 1, 3, 2, 0, NAN, -1, 5});
  Tensor k = Tensor::fromVector<int64_t>({1}, {3});
  TensorList largest = runOpOrFail({"TopK", {x, k}, {{"axis", int64_t(1)}}, 2});
  CHECK(largest[1].getData<int64_t>().vec() == std::vector<int64_t>{0, 2, 3, 1, 3, 0});
  auto values = largest[0].getData<float>();
  CHECK(values[0] == 3);
  CHECK(values[2] == 2);
  CHECK(std::isnan(values[3]));
  CHECK(values[4] == 5);
  TensorList smallest =
      runOpOrFail({"TopK", {x, k}, {{"axis", int64_t(-1)}, {"largest", int64_t(0)}}, 2});
  CHECK(smallest[1].getData<int64_t>().vec() == std::vector<int64_t>{1, 3, 0, 2, 0, 3});
  CHECK(smallest[0].getData<float>().vec() == std::vector<float>{1, 2, 3, -1, 0, 5});

  CHECK_THAT(runOpError({"TopK", {x, Tensor::fromVector<int64_t>({1}, {5})}, {}, 2}),
             Catch::Matchers::Contains("k = 5 is outside [0, 4]"));
  CHECK_THAT(runOpError({"TopK", {x, k}, {}, 2, {true, false}}),
             Catch::Matchers::Contains("k must be known at compile time"));
}
