//===- GraphTest.cpp - The Graph class and SparseTensor ------------------===//
#include "compiler/eval/TypeInference.h"
#include "compiler/ir/SparseTensor.h"
#include "compiler/ops/OpSchema.h"

#include <catch2/catch.hpp>

using namespace spcc;

namespace {

Node *addNode(Graph &g, const std::string &name, const std::string &op,
              llvm::ArrayRef<Value *> inputs, llvm::ArrayRef<std::string> outputs) {
  const OpSchema *schema = lookupOpSchema(op);
  REQUIRE(schema);
  return g.addNode(name, op, schema, inputs, outputs);
}

void requireOk(llvm::Error err) {
  if (err) FAIL(takeMessage(std::move(err)));
}

std::vector<std::string> nodeNames(const Graph &g) {
  std::vector<std::string> names;
  for (const Node *n : g.getNodes()) names.push_back(n->getName());
  return names;
}

const TensorType f32x2(DType::Float32, {2});

} // namespace

TEST_CASE("sortTopologically puts producers first and keeps the order otherwise", "[ir][graph]") {
  Graph g;
  Value *x = g.addInput("x", f32x2);
  Node *a = addNode(g, "a", "Relu", {x}, {"a_out"});
  addNode(g, "b", "Sigmoid", {a->getOutput(0)}, {"b_out"});
  Node *c = addNode(g, "c", "Relu", {x}, {"c_out"});
  addNode(g, "d", "Relu", {x}, {"d_out"});
  a->setInput(0, c->getOutput(0)); // a now reads c, which comes after it
  REQUIRE(nodeNames(g) == std::vector<std::string>{"a", "b", "c", "d"});

  requireOk(g.sortTopologically());
  CHECK(nodeNames(g) == std::vector<std::string>{"c", "a", "b", "d"});
  // Already sorted: unchanged.
  requireOk(g.sortTopologically());
  CHECK(nodeNames(g) == std::vector<std::string>{"c", "a", "b", "d"});
}

TEST_CASE("sortTopologically reports a cycle naming a node on it", "[ir][graph]") {
  Graph g;
  Value *x = g.addInput("x", f32x2);
  Node *free = addNode(g, "free", "Relu", {x}, {"f"});
  Node *p = addNode(g, "p", "Relu", {x}, {"p_out"});
  Node *q = addNode(g, "q", "Sigmoid", {p->getOutput(0)}, {"q_out"});
  p->setInput(0, q->getOutput(0));
  g.addOutput("f", free->getOutput(0));

  ErrorCode code = ErrorCode::Internal;
  std::string message = takeMessage(g.sortTopologically(), &code);
  CHECK(code == ErrorCode::BadModel);
  CHECK_THAT(message, Catch::Contains("cycle"));
  CHECK_THAT(message, Catch::Contains("node 'p' (Relu)") || Catch::Contains("node 'q' (Sigmoid)"));
  CHECK(g.getNumNodes() == 3);
}

TEST_CASE("replaceAllUsesWith redirects node inputs and graph outputs", "[ir][graph]") {
  Graph g;
  Value *x = g.addInput("x", f32x2);
  Node *a = addNode(g, "a", "Relu", {x}, {"a_out"});
  Value *old = a->getOutput(0);
  Node *b = addNode(g, "b", "Sigmoid", {old}, {"b_out"});
  Node *c = addNode(g, "c", "Dropout", {old}, {"c_out"});
  Node *replacement = addNode(g, "r", "Sigmoid", {x}, {"r_out"});
  Value *fresh = replacement->getOutput(0);
  g.addOutput("first", old);
  g.addOutput("second", b->getOutput(0));

  CHECK(g.getUsers(old).size() == 2);
  CHECK(g.isGraphOutput(old));
  g.replaceAllUsesWith(old, fresh);
  CHECK(g.getUsers(old).empty());
  CHECK(g.getUsers(fresh) == std::vector<Node *>{b, c});
  CHECK(b->getInput(0) == fresh);
  CHECK(c->getInput(0) == fresh);
  CHECK(!g.isGraphOutput(old));
  REQUIRE(g.getOutputs().size() == 2);
  CHECK(g.getOutputs()[0].name == "first"); // the output keeps its name
  CHECK(g.getOutputs()[0].value == fresh);
  CHECK(g.getOutputs()[1].value == b->getOutput(0));
  CHECK(a->getInput(0) == x); // the producer of the old value is untouched
}

TEST_CASE("foldToConstant detaches outputs and erases a producer left without any", "[ir][graph]") {
  Graph g;
  Value *x = g.addInput("x", f32x2);
  Node *drop = addNode(g, "drop", "Dropout", {x}, {"y", "mask"});
  Node *user = addNode(g, "user", "Relu", {drop->getOutput(0)}, {"z"});
  g.addOutput("z", user->getOutput(0));
  g.addOutput("mask", drop->getOutput(1));
  requireOk(inferGraphTypes(g, TypeInferenceMode::Assign));

  Value *y = drop->getOutput(0), *mask = drop->getOutput(1);
  g.foldToConstant(y, Tensor::fromVector<float>({2}, {1, 2}));
  CHECK(y->isConstant());
  CHECK(y->getProducer() == nullptr);
  CHECK(y->getConstant().bitwiseEqual(Tensor::fromVector<float>({2}, {1, 2})));
  CHECK(g.getNumNodes() == 2); // Dropout still produces the mask
  CHECK(mask->getProducer() == drop);
  CHECK(user->getInput(0) == y);

  g.foldToConstant(mask, Tensor::fromBools({2}, {true, true}));
  CHECK(g.getNumNodes() == 1);
  CHECK(g.getNodes()[0] == user);
  CHECK(mask->isConstant());
  CHECK(mask->getType() == TensorType(DType::Bool, {2}));
  requireOk(inferGraphTypes(g, TypeInferenceMode::Check));
}

TEST_CASE("an erased node leaves the graph but stays readable for a walk in progress",
          "[ir][graph]") {
  Graph g;
  Value *x = g.addInput("x", f32x2);
  Node *first = addNode(g, "first", "Relu", {x}, {"a"});
  Node *second = addNode(g, "second", "Relu", {first->getOutput(0)}, {"b"});
  g.addOutput("b", second->getOutput(0));
  requireOk(inferGraphTypes(g, TypeInferenceMode::Assign));

  std::vector<Node *> walk = g.getNodes();
  g.eraseNode(second);
  CHECK(nodeNames(g) == std::vector<std::string>{"first"});
  // A pass walking the earlier snapshot reaches the erased node: it is marked, not freed.
  REQUIRE(walk[1] == second);
  CHECK(second->isErased());
  CHECK(second->getOpType() == "Relu");
  CHECK(second->getOutput(0)->getProducer() == nullptr);
  CHECK_FALSE(first->isErased());
  // Erasing it again (two rewrites claiming one node) changes nothing.
  g.eraseNode(second);
  CHECK(g.getNumNodes() == 1);
}

TEST_CASE("removeUnusedValues keeps inputs, outputs and what nodes touch", "[ir][graph]") {
  Graph g;
  Value *x = g.addInput("x", f32x2);
  g.addInput("unused_input", f32x2);
  g.addConstant("unused_constant", Tensor::scalar(1.0f));
  Value *w = g.addConstant("w", Tensor::scalar(0.0f));
  Node *clip = addNode(g, "clip", "Clip", {x, w}, {"y"});
  Node *dead = addNode(g, "dead", "Relu", {x}, {"dead_out"});
  g.addOutput("y", clip->getOutput(0));
  g.addOutput("direct", g.addConstant("direct", Tensor::scalar(2.0f)));

  g.eraseNode(dead);
  CHECK(g.findValue("dead_out") != nullptr); // erased nodes leave their outputs behind
  CHECK(g.findValue("dead_out")->getProducer() == nullptr);
  g.removeUnusedValues();
  CHECK(g.findValue("dead_out") == nullptr);
  CHECK(g.findValue("unused_constant") == nullptr);
  for (const char *name : {"x", "unused_input", "w", "y", "direct"}) {
    INFO(name);
    CHECK(g.findValue(name) != nullptr);
  }
  CHECK(g.getValues().size() == 5);
  CHECK(g.getInputs().size() == 2);
}

TEST_CASE("makeUniqueName appends the first free suffix", "[ir][graph]") {
  Graph g;
  CHECK(g.makeUniqueName("w") == "w");
  g.addInput("w", f32x2);
  CHECK(g.makeUniqueName("w") == "w_1");
  g.addConstant("w_1", Tensor::scalar(1.0f));
  CHECK(g.makeUniqueName("w") == "w_2");
  CHECK(g.makeUniqueName("conv/axes") == "conv/axes");
}

TEST_CASE("SparseTensor compresses a matrix to CSR and back", "[ir][sparse]") {
  // Row 1 is all zero.
  Tensor dense = Tensor::fromVector<float>({3, 4}, {1.5f, 0, 0, -2, //
                                                    0, 0, 0, 0,     //
                                                    0, 3, 0, 0});
  SparseTensor s = SparseTensor::fromDense(dense);
  CHECK(s.getRows() == 3);
  CHECK(s.getCols() == 4);
  CHECK(s.getDims() == llvm::ArrayRef<int64_t>{3, 4});
  CHECK(s.getNumNonZeros() == 3);
  CHECK(s.getSparsity() == Approx(0.75));
  CHECK(s.getRowStart() == llvm::ArrayRef<int64_t>{0, 2, 2, 3});
  CHECK(s.getColIndex() == llvm::ArrayRef<int32_t>{0, 3, 1});
  CHECK(s.getValues() == llvm::ArrayRef<float>{1.5f, -2, 3});
  CHECK(s.getCsrBytes() == 3 * 8 + 4 * 4);
  CHECK(s.toDense().bitwiseEqual(dense));
}

TEST_CASE("SparseTensor views a conv weight as output channels by the rest", "[ir][sparse]") {
  Tensor dense = Tensor::fromVector<float>({2, 1, 2, 2}, {0, 0, 0, 0, 0, 7, 0, 8});
  SparseTensor s = SparseTensor::fromDense(dense);
  CHECK(s.getRows() == 2);
  CHECK(s.getCols() == 4);
  CHECK(s.getRowStart() == llvm::ArrayRef<int64_t>{0, 0, 2});
  CHECK(s.getColIndex() == llvm::ArrayRef<int32_t>{1, 3});
  CHECK(s.getSparsity() == Approx(0.75));
  Tensor back = s.toDense();
  CHECK(back.getDims() == llvm::ArrayRef<int64_t>{2, 1, 2, 2});
  CHECK(back.bitwiseEqual(dense));
}

TEST_CASE("SparseTensor of an all-zero matrix", "[ir][sparse]") {
  Tensor dense(TensorType(DType::Float32, {2, 3}));
  SparseTensor s = SparseTensor::fromDense(dense);
  CHECK(s.getNumNonZeros() == 0);
  CHECK(s.getSparsity() == 1.0);
  CHECK(s.getRowStart() == llvm::ArrayRef<int64_t>{0, 0, 0});
  CHECK(s.getColIndex().empty());
  CHECK(s.getValues().empty());
  CHECK(s.getCsrBytes() == 3 * 4);
  CHECK(s.toDense().bitwiseEqual(dense));
}

TEST_CASE("SparseTensor of a dense vector", "[ir][sparse]") {
  Tensor dense = Tensor::fromVector<float>({3}, {1, 2, 3});
  SparseTensor s = SparseTensor::fromDense(dense);
  CHECK(s.getRows() == 3);
  CHECK(s.getCols() == 1);
  CHECK(s.getNumNonZeros() == 3);
  CHECK(s.getSparsity() == 0.0);
  CHECK(s.toDense().bitwiseEqual(dense));
}
