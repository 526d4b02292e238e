//===- RuntimeBatchTest.cpp - Proving that samples stay independent ------===//
//
// Models with a symbolic batch dim, imported with --shape NAME=Nx...: accepted where every
// output sample depends on its own input sample only, refused (naming the node) where a node
// would mix samples, and checked numerically: the graph of one sample, run per sample, gives
// the reference evaluation of the whole batch.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/RuntimeBatch.h"

#include "tests/frontend/ModelBuilder.h"
#include "tests/ops/OpTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "tools/common/CommandLine.h"

#include <catch2/catch.hpp>

#include <random>

using namespace spcc;
using namespace spcc::test;

namespace {

llvm::Expected<std::unique_ptr<Graph>> importFixed(const std::string &bytes,
                                                   const ImportOptions &options) {
  return importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()},
                          "model.onnx", options);
}

llvm::Expected<std::unique_ptr<Graph>>
importBatched(const ModelBuilder &b, std::map<std::string, std::vector<int64_t>> shapes) {
  std::string bytes = b.bytes();
  ImportOptions options;
  options.inputShapes = std::move(shapes);
  return importWithRuntimeBatch(
      options, [&](const ImportOptions &fixed) { return importFixed(bytes, fixed); });
}

std::string refusal(const ModelBuilder &b, std::map<std::string, std::vector<int64_t>> shapes) {
  auto graph = importBatched(b, std::move(shapes));
  if (graph) FAIL("the model was expected to be refused");
  ErrorCode code;
  std::string message = takeMessage(graph.takeError(), &code);
  CHECK(code == ErrorCode::Unsupported);
  CHECK_THAT(message, Catch::Contains("run-time batch"));
  return message;
}

Tensor randomFloats(std::vector<int64_t> dims, std::mt19937 &rng) {
  Tensor t(TensorType(DType::Float32, dims));
  std::normal_distribution<float> normal;
  for (float &x : t.getMutableData<float>()) x = normal(rng);
  return t;
}

/// Rows [first, first + count) of dim 0 of \p t.
Tensor samples(const Tensor &t, int64_t first, int64_t count) {
  std::vector<int64_t> dims(t.getDims().begin(), t.getDims().end());
  size_t sampleBytes = t.getBytes().size() / size_t(dims[0]);
  dims[0] = count;
  Tensor out(TensorType(t.getDType(), dims));
  std::copy_n(t.getBytes().begin() + ptrdiff_t(size_t(first) * sampleBytes),
              size_t(count) * sampleBytes, out.getMutableBytes().begin());
  return out;
}

/// Evaluates the one-sample graph of \p b per sample of a random batch of \p batch and the
/// model imported at that batch in one go; every output must agree.
void checkPerSampleMatchesBatch(const ModelBuilder &b, const std::string &input,
                                std::vector<int64_t> sampleDims, int64_t batch) {
  std::vector<int64_t> runtimeDims = sampleDims, batchDims = sampleDims;
  runtimeDims[0] = kRuntimeBatchDim;
  batchDims[0] = batch;
  auto one = importBatched(b, {{input, runtimeDims}});
  if (!one) FAIL(takeMessage(one.takeError()));
  ImportOptions whole;
  whole.inputShapes[input] = batchDims;
  auto full = importFixed(b.bytes(), whole);
  if (!full) FAIL(takeMessage(full.takeError()));

  std::mt19937 rng(5);
  Tensor x = randomFloats(batchDims, rng);
  auto expected = interpretGraph(**full, {{input, x}});
  if (!expected) FAIL(takeMessage(expected.takeError()));
  for (int64_t s = 0; s < batch; ++s) {
    auto got = interpretGraph(**one, {{input, samples(x, s, 1)}});
    if (!got) FAIL(takeMessage(got.takeError()));
    for (size_t o = 0; o < got->size(); ++o) {
      Tensor want = samples((*expected)[o], s, 1);
      REQUIRE(want.getType() == (*got)[o].getType());
      for (int64_t e = 0; e < want.getNumElements(); ++e)
        REQUIRE(std::abs(want.getAsDouble(e) - (*got)[o].getAsDouble(e)) <= 1e-5);
    }
  }
}

/// x[N, 2, 3]: a per-token MatMul, a softmax over features, attention-like products between
/// the sample's own rows, and a Reshape whose target is computed from Shape(x).
ModelBuilder sampleLocalModel() {
  ModelBuilder b;
  b.input("x", {-1, 2, 3}).output("y").output("scores");
  b.initializer("w", {3, 3}, {0.5f, -1, 2, 1, 0.25f, -0.5f, 0, 1, 1});
  b.initializer("bias", {1, 1, 3}, {0.1f, 0.2f, 0.3f});
  b.initializerInts("minus_one", {-1});
  b.initializerInts("zero", {0});
  b.node("MatMul", {"x", "w"}, {"xw"});
  b.node("Add", {"xw", "bias"}, {"xwb"});
  setInt(b.node("Softmax", {"xwb"}, {"p"}), "axis", -1);
  setInts(b.node("Transpose", {"p"}, {"pt"}), "perm", {0, 2, 1});
  b.node("MatMul", {"p", "pt"}, {"scores"}); // [N, 2, 2]: a sample's rows with each other
  b.node("Shape", {"x"}, {"shape"});
  setInt(b.node("Gather", {"shape", "zero"}, {"batch"}), "axis", 0);
  setInt(b.node("Concat", {"batch", "minus_one"}, {"target"}), "axis", 0);
  b.node("Reshape", {"p", "target"}, {"flat"}); // [N, 6]
  setInts(b.node("ReduceMean", {"flat"}, {"y"}), "axes", {1});
  return b;
}

} // namespace

TEST_CASE("run-time batch: a sample-local model compiles for one sample", "[passes][batch]") {
  auto graph = importBatched(sampleLocalModel(), {{"x", {kRuntimeBatchDim, 2, 3}}});
  if (!graph) FAIL(takeMessage(graph.takeError()));
  CHECK((*graph)->getBatchedTensors() == std::set<std::string>{"x", "y", "scores"});
  CHECK((*graph)->getInputs()[0]->getType().str() == "f32[1,2,3]");
  CHECK((*graph)->getOutputs()[0].value->getType().str() == "f32[1,1]");
  checkPerSampleMatchesBatch(sampleLocalModel(), "x", {1, 2, 3}, 3);
}

TEST_CASE("run-time batch: a shared input and a shared output", "[passes][batch]") {
  ModelBuilder b;
  b.input("x", {-1, 4}).input("scale", {1, 4}).output("y").output("s2");
  b.node("Mul", {"x", "scale"}, {"y"});
  b.node("Mul", {"scale", "scale"}, {"s2"});
  auto graph = importBatched(b, {{"x", {kRuntimeBatchDim, 4}}, {"scale", {1, 4}}});
  if (!graph) FAIL(takeMessage(graph.takeError()));
  CHECK((*graph)->getBatchedTensors() == std::set<std::string>{"x", "y"});
}

TEST_CASE("run-time batch: nodes that mix samples are refused by name", "[passes][batch]") {
  SECTION("softmax over the batch axis") {
    ModelBuilder b;
    b.input("x", {-1, 4}).output("y");
    setInt(b.node("Softmax", {"x"}, {"y"}, "batch_softmax"), "axis", 0);
    CHECK_THAT(refusal(b, {{"x", {kRuntimeBatchDim, 4}}}),
               Catch::Contains("batch_softmax") && Catch::Contains("the softmax axis"));
  }
  SECTION("a mean over the batch") {
    ModelBuilder b;
    b.input("x", {-1, 4}).output("y");
    setInts(b.node("ReduceMean", {"x"}, {"y"}, "mean"), "axes", {0});
    CHECK_THAT(refusal(b, {{"x", {kRuntimeBatchDim, 4}}}),
               Catch::Contains("'mean'") && Catch::Contains("reduces over the axis"));
  }
  SECTION("a product between samples") {
    ModelBuilder b;
    b.input("x", {-1, 4}).output("y");
    b.node("Transpose", {"x"}, {"xt"});
    b.node("MatMul", {"x", "xt"}, {"y"}, "gram");
    CHECK_THAT(refusal(b, {{"x", {kRuntimeBatchDim, 4}}}),
               Catch::Contains("'gram'") && Catch::Contains("combine two samples"));
  }
  SECTION("a reshape that interleaves samples") {
    ModelBuilder b;
    b.input("x", {-1, 4}).output("y");
    b.initializerInts("flat", {-1});
    b.node("Transpose", {"x"}, {"xt"}); // [4, N]
    b.node("Reshape", {"xt", "flat"}, {"y"}, "interleave");
    CHECK_THAT(refusal(b, {{"x", {kRuntimeBatchDim, 4}}}),
               Catch::Contains("'interleave'") && Catch::Contains("interleaves"));
  }
  SECTION("arithmetic on the batch size") {
    ModelBuilder b;
    b.input("x", {-1, 4}).output("y");
    b.initializerInts("zero", {0});
    b.node("Shape", {"x"}, {"shape"});
    setInt(b.node("Gather", {"shape", "zero"}, {"n"}), "axis", 0);
    setInt(b.node("Cast", {"n"}, {"nf"}), "to", onnx::TensorProto::FLOAT);
    b.node("Div", {"x", "nf"}, {"y"}, "divide_by_batch");
    CHECK_THAT(refusal(b, {{"x", {kRuntimeBatchDim, 4}}}),
               Catch::Contains("'divide_by_batch'") && Catch::Contains("batch size"));
  }
  SECTION("an output with several rows per sample on dim 0") {
    ModelBuilder b;
    b.input("x", {-1, 4}).output("y");
    b.initializerInts("pairs", {-1, 2});
    b.node("Reshape", {"x", "pairs"}, {"y"}); // [2N, 2]
    CHECK_THAT(refusal(b, {{"x", {kRuntimeBatchDim, 4}}}),
               Catch::Contains("output 'y' holds 2 rows per sample"));
  }
  SECTION("an output that keeps the samples on another axis") {
    ModelBuilder b;
    b.input("x", {-1, 4}).output("y");
    b.node("Transpose", {"x"}, {"y"});
    CHECK_THAT(refusal(b, {{"x", {kRuntimeBatchDim, 4}}}),
               Catch::Contains("output 'y'") && Catch::Contains("only dim 0"));
  }
}

TEST_CASE("run-time batch: N needs a dynamic dim 0 and stays on dim 0", "[passes][batch]") {
  ModelBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("Relu", {"x"}, {"y"});
  auto graph = importBatched(b, {{"x", {kRuntimeBatchDim, 4}}});
  REQUIRE(!graph);
  CHECK_THAT(takeMessage(graph.takeError()),
             Catch::Contains("fixes dim 0 of 'x' to 1") && Catch::Contains("dynamic batch axis"));
  auto parsed = parseShapeFlag("x=Nx4");
  REQUIRE(static_cast<bool>(parsed));
  CHECK(parsed->second == std::vector<int64_t>{kRuntimeBatchDim, 4});
  auto misplaced = parseShapeFlag("x=4xN");
  REQUIRE(!misplaced);
  CHECK_THAT(takeMessage(misplaced.takeError()), Catch::Contains("only dim 0 may be N"));
}
