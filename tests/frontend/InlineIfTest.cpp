#include "tests/frontend/ModelBuilder.h"
#include "tests/ops/OpTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "compiler/frontend/OnnxImporter.h"

using namespace spcc;
using namespace spcc::test;

namespace {

llvm::Expected<std::unique_ptr<Graph>> importWithLength(const ModelBuilder &b, int64_t length) {
  std::string bytes = b.bytes();
  ImportOptions options;
  options.inputShapes["x"] = {1, length};
  return importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()},
                          "model.onnx", options);
}

/// A branch graph: its nodes are added by the caller; \p outputs are its results.
onnx::GraphProto branch(const std::string &name, std::vector<std::string> outputs) {
  onnx::GraphProto g;
  g.set_name(name);
  for (const std::string &out : outputs) g.add_output()->set_name(out);
  return g;
}

onnx::NodeProto &addNode(onnx::GraphProto &g, const std::string &op,
                         std::vector<std::string> inputs, std::vector<std::string> outputs) {
  onnx::NodeProto &node = *g.add_node();
  node.set_op_type(op);
  node.set_name(outputs.front());
  for (const std::string &in : inputs) node.add_input(in);
  for (const std::string &out : outputs) node.add_output(out);
  return node;
}

void setBranches(onnx::NodeProto &node, onnx::GraphProto thenBranch, onnx::GraphProto elseBranch) {
  for (auto [name, graph] : {std::pair{"then_branch", &thenBranch}, {"else_branch", &elseBranch}}) {
    auto *attr = node.add_attribute();
    attr->set_name(name);
    attr->set_type(onnx::AttributeProto::GRAPH);
    *attr->mutable_g() = *graph;
  }
}

/// y = If(x.shape[1] > 4, then: Relu(x) * 2 (a branch initializer), else: Neg(x)). The then
/// branch names a value `t`, as the outer graph does: the inlining must rename it.
ModelBuilder lengthBranchModel() {
  ModelBuilder b;
  b.input("x", {1, -1}).output("y");
  b.initializerInts("index", {1});
  b.initializerInts("limit", {4});
  b.node("Shape", {"x"}, {"shape"}, "shape");
  b.node("Gather", {"shape", "index"}, {"length"}, "gather");
  b.node("Greater", {"length", "limit"}, {"longer"}, "greater");
  b.node("Squeeze", {"longer"}, {"cond"}, "squeeze");
  b.node("Abs", {"x"}, {"t"}, "abs");
  onnx::GraphProto then = branch("then", {"doubled"});
  addNode(then, "Relu", {"x"}, {"t"});
  auto *two = then.add_initializer();
  two->set_name("two");
  two->set_data_type(onnx::TensorProto::FLOAT);
  two->add_float_data(2.0f);
  addNode(then, "Mul", {"t", "two"}, {"doubled"});
  onnx::GraphProto otherwise = branch("else", {"negated"});
  addNode(otherwise, "Neg", {"x"}, {"negated"});
  setBranches(b.node("If", {"cond"}, {"branched"}, "if"), then, otherwise);
  b.node("Add", {"branched", "t"}, {"y"}, "add");
  return b;
}

std::vector<float> run(const Graph &graph, std::vector<float> x) {
  int64_t n = int64_t(x.size());
  auto out = interpretGraph(graph, {{"x", Tensor::fromVector<float>({1, n}, x)}});
  if (!out) FAIL(takeMessage(out.takeError()));
  return (*out)[0].getData<float>().vec();
}

} // namespace

TEST_CASE("an If on the input's length is inlined, each branch", "[frontend]") {
  ModelBuilder b = lengthBranchModel();
  auto longer = importWithLength(b, 6);
  if (!longer) FAIL(takeMessage(longer.takeError()));
  // then: relu(x) * 2 + |x|
  CHECK(run(**longer, {-1, 2, -3, 4, 0.5f, -6}) == std::vector<float>{1, 6, 3, 12, 1.5f, 6});
  for (Node *node : (*longer)->getNodes()) CHECK(node->getOpType() != "Neg");

  auto shorter = importWithLength(b, 3);
  if (!shorter) FAIL(takeMessage(shorter.takeError()));
  // else: -x + |x|
  CHECK(run(**shorter, {-1, 2, -3}) == std::vector<float>{2, 0, 6});
  for (Node *node : (*shorter)->getNodes()) CHECK(node->getOpType() != "Relu");
}

TEST_CASE("an If inside a taken branch is inlined too", "[frontend]") {
  ModelBuilder b;
  b.input("x", {1, -1}).output("y");
  b.initializerInts("index", {1});
  b.initializerInts("limit", {4});
  b.initializerInts("small", {2});
  b.node("Shape", {"x"}, {"shape"}, "shape");
  b.node("Gather", {"shape", "index"}, {"length"}, "gather");
  b.node("Greater", {"length", "small"}, {"over2"}, "greater2");
  b.node("Squeeze", {"over2"}, {"cond"}, "squeeze");
  // then: If(length > 4, Relu, Neg); else: Identity.
  onnx::GraphProto then = branch("then", {"inner"});
  addNode(then, "Greater", {"length", "limit"}, {"over4"});
  addNode(then, "Squeeze", {"over4"}, {"cond4"});
  onnx::GraphProto innerThen = branch("inner_then", {"r"});
  addNode(innerThen, "Relu", {"x"}, {"r"});
  onnx::GraphProto innerElse = branch("inner_else", {"n"});
  addNode(innerElse, "Neg", {"x"}, {"n"});
  setBranches(addNode(then, "If", {"cond4"}, {"inner"}), innerThen, innerElse);
  onnx::GraphProto otherwise = branch("else", {"same"});
  addNode(otherwise, "Identity", {"x"}, {"same"});
  setBranches(b.node("If", {"cond"}, {"y"}, "if"), then, otherwise);

  for (auto [length, expected] : {std::pair<int64_t, std::vector<float>>{5, {0, 2, 0, 4, 5}},
                                  {3, {1, -2, 3}},
                                  {2, {-1, 2}}}) {
    auto graph = importWithLength(b, length);
    if (!graph) FAIL(takeMessage(graph.takeError()));
    std::vector<float> x = {-1, 2, -3, 4, 5};
    x.resize(size_t(length));
    CHECK(run(**graph, x) == expected);
  }
}

TEST_CASE("an If whose condition depends on the data is refused by name", "[frontend]") {
  ModelBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("ReduceSum", {"x"}, {"sum"}, "sum");
  b.initializer("zero", {}, {0.0f});
  b.node("Greater", {"sum", "zero"}, {"positive"}, "greater");
  onnx::GraphProto then = branch("then", {"r"});
  addNode(then, "Relu", {"x"}, {"r"});
  onnx::GraphProto otherwise = branch("else", {"n"});
  addNode(otherwise, "Neg", {"x"}, {"n"});
  setBranches(b.node("If", {"positive"}, {"y"}, "choose"), then, otherwise);
  std::string bytes = b.bytes();
  auto graph =
      importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()}, "m", {});
  REQUIRE(!graph);
  ErrorCode code;
  std::string message = takeMessage(graph.takeError(), &code);
  CHECK(code == ErrorCode::Unsupported);
  CHECK_THAT(message, Catch::Matchers::Contains("node 'choose' (If): its condition 'positive' "
                                                "depends on the input data"));
}
