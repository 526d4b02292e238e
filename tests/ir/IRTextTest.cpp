//===- IRTextTest.cpp - Printing and parsing the text form of the IR ------===//
#include "compiler/eval/TypeInference.h"
#include "compiler/ir/IRParser.h"
#include "compiler/ir/IRPrinter.h"
#include "compiler/ops/OpSchema.h"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>

using namespace spcc;

namespace {

std::unique_ptr<Graph> parseOrFail(llvm::StringRef text) {
  auto graph = parseGraph(text);
  if (!graph) FAIL(takeMessage(graph.takeError()));
  return std::move(*graph);
}

/// The message of parseGraph's error; fails the test if parsing succeeds.
std::string parseError(llvm::StringRef text, ErrorCode *code = nullptr,
                       llvm::StringRef bufferName = "<ir>") {
  auto graph = parseGraph(text, bufferName);
  if (graph) FAIL("parsing succeeded:\n" << graphToString(**graph));
  return takeMessage(graph.takeError(), code);
}

/// Parses \p text, prints it again and checks that the text comes back unchanged.
std::unique_ptr<Graph> requireRoundTrip(const std::string &text) {
  std::unique_ptr<Graph> graph = parseOrFail(text);
  CHECK(graphToString(*graph, {-1}) == text);
  return graph;
}

void inferOrFail(Graph &g) {
  if (llvm::Error err = inferGraphTypes(g, TypeInferenceMode::Assign))
    FAIL(takeMessage(std::move(err)));
}

Node *addNode(Graph &g, const std::string &name, const std::string &op,
              llvm::ArrayRef<Value *> inputs, llvm::ArrayRef<std::string> outputs) {
  const OpSchema *schema = lookupOpSchema(op);
  REQUIRE(schema);
  return g.addNode(name, op, schema, inputs, outputs);
}

const Attribute &attributeOf(const Graph &g, llvm::StringRef nodeName, const std::string &key) {
  for (const Node *n : g.getNodes())
    if (n->getName() == nodeName) {
      auto it = n->getAttributes().find(key);
      REQUIRE(it != n->getAttributes().end());
      return it->second;
    }
  FAIL("no node " << nodeName.str());
  std::abort();
}

} // namespace

TEST_CASE("a built graph prints as documented and parses back", "[ir][irtext]") {
  Graph g;
  g.setName("net");
  Value *x = g.addInput("x", TensorType(DType::Float32, {1, 4}));
  Value *max = g.addConstant("onnx::Clip_max", Tensor::scalar(6.0f));
  Node *clip = addNode(g, "clip/0", "Clip", {x, nullptr, max}, {"y"});
  Node *drop = addNode(g, "drop", "Dropout", {clip->getOutput(0)}, {"z", "mask"});
  Node *relu = addNode(g, "", "Relu", {drop->getOutput(0)}, {"r"});
  relu->setAttribute("alpha", 0.5f);
  relu->setAttribute("perm", std::vector<int64_t>{1, 0});
  g.addOutput("output", relu->getOutput(0));
  g.addOutput("mask", drop->getOutput(1));
  inferOrFail(g);

  const std::string expected = R"(graph @net(%x: f32[1,4]) {
  %"onnx::Clip_max": f32[] = constant [6.0]
  %y: f32[1,4] = Clip(%x, _, %"onnx::Clip_max") @"clip/0"
  %z: f32[1,4], %mask: bool[1,4] = Dropout(%y) @"drop"
  %r: f32[1,4] = Relu(%z) {alpha = 0.5, perm = [1, 0]}
  return %r as "output", %mask as "mask"
}
)";
  CHECK(graphToString(g) == expected);
  std::string viaStream;
  llvm::raw_string_ostream os(viaStream);
  printGraph(g, os);
  CHECK(viaStream == expected);

  std::unique_ptr<Graph> parsed = requireRoundTrip(expected);
  CHECK(parsed->getName() == "net");
  CHECK(parsed->getNumNodes() == 3);
  Node *parsedClip = parsed->getNodes()[0];
  CHECK(parsedClip->getNumInputs() == 3);
  CHECK(parsedClip->getInput(1) == nullptr);
  CHECK(parsedClip->getInput(2) == parsed->findValue("onnx::Clip_max"));
  CHECK(parsed->getNodes()[2]->getName().empty());
  REQUIRE(parsed->getOutputs().size() == 2);
  CHECK(parsed->getOutputs()[1].name == "mask");
  CHECK(parsed->getOutputs()[1].value == parsed->findValue("mask"));
}

TEST_CASE("text with every attribute kind, dtype and name form round-trips", "[ir][irtext]") {
  const std::string text = R"(graph @"my model"(%x: f32[2,3], %"input:1": f32[], %"": i64[0]) {
  %f32: f32[2,3] = constant [0.5, -1.0, 0.0, -0.0, 1e+10, 0.1]
  %f16: f16[6] = constant [1.0, -2.5, 65504.0, 5.9604645e-08, -inf, 0.099975586]
  %i64: i64[2] = constant [-9223372036854775808, 9223372036854775807]
  %i32: i32[2] = constant [-2147483648, 2147483647]
  %i8: i8[3] = constant [-128, 0, 127]
  %u8: u8[2] = constant [0, 255]
  %flags: bool[3] = constant [true, false, true]
  %scalar: f32[] = constant [2.5]
  %empty: f32[0,3] = constant []
  %"onnx::Clip_1": f32[2,3] = Clip(%x, _, %scalar) @"clip"
  %r: f32[2,3] = Relu(%"onnx::Clip_1") {empty = [], f = 1.5, floats = [0.25, -inf, inf, nan, 3.0], i = -3, ints = [1, 0], s = "a \"quoted\"\n\tstring \\ \x01", strings = ["a", "b c"], t = tensor<i64[2] [1, 2]>, tf = tensor<f32[] [0.0]>, "weird key" = 2.0} @"relu/0"
  %d: f32[2,3], %mask: bool[2,3] = Dropout(%r) @"onnx::Dropout_3"
  %c: i64[2,3] = Cast(%d) {to = 7}
  %s: f32[] = Sigmoid(%"input:1") @""
  %with.dots_1: f32[] = Relu(%s)
  return %d as "out", %mask as "the \"mask\"", %c as "c", %with.dots_1 as "s", %f16 as "h", %"" as "passthrough"
}
)";
  // `@""` is an empty node name, which prints as no name at all.
  std::unique_ptr<Graph> g = parseOrFail(text);
  std::string printed = graphToString(*g, {-1});
  std::string withoutEmptyName = text;
  withoutEmptyName.replace(withoutEmptyName.find(" @\"\""), 4, "");
  CHECK(printed == withoutEmptyName);
  CHECK(graphToString(*parseOrFail(printed), {-1}) == printed);

  CHECK(g->getName() == "my model");
  CHECK(g->findValue("input:1")->getType() == TensorType(DType::Float32, {}));
  CHECK(g->findValue("")->getType() == TensorType(DType::Int64, {0}));

  SECTION("attribute kinds") {
    CHECK(std::get<float>(attributeOf(*g, "relu/0", "f")) == 1.5f);
    CHECK(std::get<float>(attributeOf(*g, "relu/0", "weird key")) == 2.0f);
    CHECK(std::get<int64_t>(attributeOf(*g, "relu/0", "i")) == -3);
    CHECK(std::get<std::vector<int64_t>>(attributeOf(*g, "relu/0", "ints")) ==
          std::vector<int64_t>{1, 0});
    CHECK(std::get<std::vector<int64_t>>(attributeOf(*g, "relu/0", "empty")).empty());
    auto floats = std::get<std::vector<float>>(attributeOf(*g, "relu/0", "floats"));
    REQUIRE(floats.size() == 5);
    CHECK(floats[1] == -std::numeric_limits<float>::infinity());
    CHECK(floats[2] == std::numeric_limits<float>::infinity());
    CHECK(std::isnan(floats[3]));
    CHECK(std::get<std::string>(attributeOf(*g, "relu/0", "s")) ==
          std::string("a \"quoted\"\n\tstring \\ \x01"));
    CHECK(std::get<std::vector<std::string>>(attributeOf(*g, "relu/0", "strings")) ==
          std::vector<std::string>{"a", "b c"});
    const Tensor &t = std::get<Tensor>(attributeOf(*g, "relu/0", "t"));
    CHECK(t.bitwiseEqual(Tensor::fromVector<int64_t>({2}, {1, 2})));
    CHECK(std::get<Tensor>(attributeOf(*g, "relu/0", "tf")).bitwiseEqual(Tensor::scalar(0.0f)));
    CHECK(std::get<int64_t>(attributeOf(*g, "", "to")) == 7);
  }

  SECTION("constant data of each dtype") {
    auto f32 = g->findValue("f32")->getConstant().getData<float>();
    CHECK(f32[4] == 1e10f);
    CHECK(f32[5] == 0.1f);
    CHECK(std::signbit(f32[3]));
    const Tensor &f16 = g->findValue("f16")->getConstant();
    auto halfBits = [&](int64_t i) {
      return uint16_t(f16.getBytes()[size_t(2 * i)] | f16.getBytes()[size_t(2 * i + 1)] << 8);
    };
    CHECK(halfBits(0) == 0x3c00);
    CHECK(halfBits(1) == 0xc100);
    CHECK(halfBits(2) == 0x7bff); // largest half
    CHECK(halfBits(3) == 0x0001); // smallest subnormal half
    CHECK(halfBits(4) == 0xfc00);
    CHECK(halfBits(5) == 0x2e66); // the half nearest 0.1
    CHECK(g->findValue("i64")->getConstant().toInts() ==
          llvm::SmallVector<int64_t>{std::numeric_limits<int64_t>::min(),
                                     std::numeric_limits<int64_t>::max()});
    CHECK(g->findValue("i32")->getConstant().getData<int32_t>()[0] ==
          std::numeric_limits<int32_t>::min());
    CHECK(g->findValue("i8")->getConstant().toInts() == llvm::SmallVector<int64_t>{-128, 0, 127});
    CHECK(g->findValue("u8")->getConstant().toInts() == llvm::SmallVector<int64_t>{0, 255});
    CHECK(g->findValue("flags")->getConstant().getDType() == DType::Bool);
    CHECK(g->findValue("flags")->getConstant().toInts() == llvm::SmallVector<int64_t>{1, 0, 1});
    CHECK(g->findValue("scalar")->getConstant().getRank() == 0);
    CHECK(g->findValue("empty")->getConstant().getNumElements() == 0);
  }

  SECTION("multi-output nodes, omitted inputs, names") {
    std::vector<Node *> nodes = g->getNodes();
    REQUIRE(nodes.size() == 6);
    CHECK(nodes[0]->getInput(1) == nullptr);
    CHECK(nodes[2]->getOpType() == "Dropout");
    CHECK(nodes[2]->getName() == "onnx::Dropout_3");
    CHECK(nodes[2]->getNumOutputs() == 2);
    CHECK(nodes[2]->getOutput(1)->getType() == TensorType(DType::Bool, {2, 3}));
    CHECK(g->getOutputs()[1].name == "the \"mask\"");
    CHECK(g->getOutputs()[5].value == g->findValue(""));
  }
}

TEST_CASE("floats print in their shortest form and read back bit for bit", "[ir][irtext]") {
  const float values[] = {0.1f,
                          1.0f / 3.0f,
                          -2.0f,
                          100.0f,
                          123456792.0f,
                          1e-7f,
                          std::numeric_limits<float>::min(),
                          std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::lowest(),
                          -0.0f};
  Graph g;
  Value *x = g.addInput("x", TensorType(DType::Float32, {11}));
  Node *relu = addNode(g, "relu", "Relu", {x}, {"y"});
  relu->setAttribute("values", std::vector<float>(std::begin(values), std::end(values)));
  relu->setAttribute("one", 1.0f);
  g.addConstant("w", Tensor::fromVector<float>({11}, values));
  g.addOutput("y", relu->getOutput(0));
  inferOrFail(g);

  std::string text = graphToString(g);
  CHECK_THAT(text, Catch::Contains("one = 1.0,"));
  CHECK_THAT(text, Catch::Contains("[0.1, 0.33333334, -2.0, 100.0, 123456792.0, 1e-07,"));
  CHECK_THAT(text, Catch::Contains("-0.0]"));
  std::unique_ptr<Graph> parsed = requireRoundTrip(text);
  auto attr = std::get<std::vector<float>>(attributeOf(*parsed, "relu", "values"));
  auto data = parsed->findValue("w")->getConstant().getData<float>();
  REQUIRE(attr.size() == std::size(values));
  for (size_t i = 0; i < attr.size(); ++i) {
    INFO("element " << i << " = " << values[i]);
    CHECK(std::bit_cast<uint32_t>(attr[i]) == std::bit_cast<uint32_t>(values[i]));
    CHECK(std::bit_cast<uint32_t>(data[i]) == std::bit_cast<uint32_t>(values[i]));
  }
  CHECK(std::holds_alternative<float>(attributeOf(*parsed, "relu", "one")));
}

TEST_CASE("the parser accepts hand-written variations of the format", "[ir][irtext]") {
  std::unique_ptr<Graph> g = parseOrFail(R"(
    // A comment, then the graph on few lines.
    graph @main(%x: f32[ 2 ]) {
      %w: f32[2] = constant [1, -2]   // ints in float data
      %b: bool[2] = constant [0, 1]
      %y: f32[2] = Relu(%x) {fs = [1, 2.5], name = "n", i = 2, e = 1e-5, n = -nan}
      return %y as "y"
    })");
  CHECK(g->findValue("w")->getConstant().bitwiseEqual(Tensor::fromVector<float>({2}, {1, -2})));
  CHECK(g->findValue("b")->getConstant().toInts() == llvm::SmallVector<int64_t>{0, 1});
  CHECK(std::get<std::vector<float>>(attributeOf(*g, "", "fs")) == std::vector<float>{1, 2.5f});
  CHECK(std::get<float>(attributeOf(*g, "", "e")) == 1e-5f);
  CHECK(std::isnan(std::get<float>(attributeOf(*g, "", "n"))));
  CHECK(std::holds_alternative<int64_t>(attributeOf(*g, "", "i")));
}

TEST_CASE("large constants print as a summary with their nonzero count", "[ir][irtext]") {
  Graph g;
  Value *x = g.addInput("x", TensorType(DType::Float32, {4, 8}));
  std::vector<float> data(32, 0.0f);
  data[0] = 1;
  data[5] = -2;
  data[31] = 0.5f;
  g.addConstant("w", Tensor::fromVector<float>({4, 8}, data));
  g.addConstant("small", Tensor::fromVector<int64_t>({16}, std::vector<int64_t>(16, 3)));
  Node *relu = addNode(g, "relu", "Relu", {x}, {"y"});
  relu->setAttribute("t", Tensor::fromVector<float>({4, 8}, data));
  g.addOutput("y", relu->getOutput(0));
  inferOrFail(g);

  std::string elided = graphToString(g);
  CHECK_THAT(elided, Catch::Contains("  %w: f32[4,8] = constant elided<nnz=3>\n"));
  CHECK_THAT(elided, Catch::Contains("%small: i64[16] = constant [3, 3, 3,"));
  CHECK_THAT(elided, Catch::Contains("{t = tensor<f32[4,8] elided<nnz=3>>}"));
  CHECK_THAT(graphToString(g, {8}), Catch::Contains("%small: i64[16] = constant elided<nnz=16>"));

  std::string message = parseError(elided);
  CHECK_THAT(message, Catch::StartsWith("<ir>:2:"));
  CHECK_THAT(message, Catch::Contains("elided when the text was printed"));
  CHECK_THAT(message, Catch::Contains("elideConstantsAbove = -1"));

  std::string full = graphToString(g, {-1});
  CHECK_THAT(full, Catch::Contains("%w: f32[4,8] = constant [1.0, 0.0, 0.0, 0.0, 0.0, -2.0,"));
  requireRoundTrip(full);
}

TEST_CASE("parse errors name the place and the problem", "[ir][irtext]") {
  ErrorCode code = ErrorCode::Internal;
  SECTION("unknown op") {
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Frobnicate(%x)\n"
                     "  return %y as \"y\"\n}",
                     &code) == "<ir>:2:16: unknown op 'Frobnicate'");
    CHECK(code == ErrorCode::BadModel);
  }
  SECTION("undefined value, also when defined later") {
    CHECK_THAT(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%z)\n"
                          "  return %y as \"y\"\n}"),
               Catch::StartsWith("<ir>:2:21: undefined value %z"));
    CHECK_THAT(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%z)\n"
                          "  %z: f32[2] = Relu(%x)\n  return %y as \"y\"\n}"),
               Catch::StartsWith("<ir>:2:21: undefined value %z"));
    CHECK_THAT(parseError("graph @g(%x: f32[2]) {\n  return %\"a b\" as \"y\"\n}"),
               Catch::StartsWith("<ir>:2:10: undefined value %\"a b\""));
  }
  SECTION("declared type disagreeing with the shape rule") {
    std::string message = parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x) @\"r\"\n"
                                     "  %z: f32[3] = Relu(%y) @\"r\"\n  return %z as \"z\"\n}",
                                     &code, "model.ir");
    CHECK(message == "model.ir:3:3: node 'r' (Relu): output 'z' has type f32[3] but the shape rule "
                     "gives f32[2]");
    CHECK(code == ErrorCode::Shape);
    CHECK_THAT(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Cast(%x) {to = 8}\n"
                          "  return %y as \"y\"\n}"),
               Catch::Matches("<ir>:2:3: node '' \\(Cast\\): cast to STRING .*"));
    CHECK_THAT(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x, %x)\n"
                          "  return %y as \"y\"\n}"),
               Catch::StartsWith("<ir>:2:3: node '' (Relu): has 2 inputs, expected 1 to 1"));
  }
  SECTION("bad tokens") {
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x) $\n}") ==
          "<ir>:2:25: unexpected character '$'");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %w: f32[1] = constant [1.2.3]\n}") ==
          "<ir>:2:26: malformed number '1.2.3'");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  return %x as \"y\n}") ==
          "<ir>:2:16: unterminated string");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  return %x as \"\\q\"\n}") ==
          "<ir>:2:16: unknown escape '\\q' in a string");
    CHECK(parseError("graph @g(%: f32[2]) {") == "<ir>:1:10: expected a name after '%'");
  }
  SECTION("syntax") {
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] Relu(%x)\n}") ==
          "<ir>:2:14: expected ',' or '=', found 'Relu'");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x)\n}") ==
          "<ir>:3:1: expected 'return' before the end of the graph, found '}'");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  return %x as \"y\"\n") ==
          "<ir>:3:1: expected ',' or '}', found end of input");
    CHECK(parseError("graph @g(%x: q32[2]) {") ==
          "<ir>:1:14: unknown element type 'q32' (expected f32, f16, i64, i32, i8, u8 or bool)");
    CHECK(parseError("graph @g(%x: f32[-1]) {") == "<ir>:1:18: a dim must not be negative");
    CHECK(parseError("graph @g(%x: f32[2], %x: f32[2]) {") ==
          "<ir>:1:22: value %x is already defined");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2], %y: bool[2] = Dropout(%x)\n}") ==
          "<ir>:2:15: value %y is already defined");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x) {a = 1, a = 2}\n}") ==
          "<ir>:2:33: attribute 'a' is given twice");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x) {a = [1, \"s\"]}\n}") ==
          "<ir>:2:31: a list mixes strings and numbers");
    CHECK(parseError("graph @g(%x: f32[2]) {\n"
                     "  %y: f32[2] = Relu(%x) {a = 99999999999999999999}\n}") ==
          "<ir>:2:30: integer 99999999999999999999 is out of range");
    CHECK(parseError("graph @g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x) {a = 1e39}\n}") ==
          "<ir>:2:30: float 1e39 is out of range");
    CHECK(parseError("graph @g() {\n  return\n} extra") ==
          "<ir>:3:3: expected end of input after the graph, found 'extra'");
  }
  SECTION("constant data") {
    CHECK(parseError("graph @g() {\n  %w: f32[2,2] = constant [1, 2, 3]\n}") ==
          "<ir>:2:27: f32[2,2] has 4 elements, but 3 are given");
    CHECK(parseError("graph @g() {\n  %w: f32[1] = constant [1, 2, 3]\n}") ==
          "<ir>:2:29: too many elements for f32[1], which has 1");
    CHECK(parseError("graph @g() {\n  %w: u8[2] = constant [1, 256]\n}") ==
          "<ir>:2:28: 256 does not fit in u8");
    CHECK(parseError("graph @g() {\n  %w: i64[1] = constant [1.5]\n}") ==
          "<ir>:2:26: expected an integer, found '1.5'");
    CHECK(parseError("graph @g() {\n  %w: bool[1] = constant [2]\n}") ==
          "<ir>:2:27: expected true or false, found '2'");
    CHECK(parseError("graph @g() {\n  %a: f32[1], %b: f32[1] = constant [1]\n}") ==
          "<ir>:2:28: a constant defines exactly one value");
  }
}
