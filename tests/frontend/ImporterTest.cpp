#include "tests/frontend/ModelBuilder.h"
#include "tests/ops/OpTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "compiler/frontend/OnnxImporter.h"
#include "tools/common/CommandLine.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <random>

#include <sys/stat.h>

using namespace spcc;
using namespace spcc::test;

namespace {

llvm::ArrayRef<uint8_t> asBytes(const std::string &s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

llvm::Expected<std::unique_ptr<Graph>> import(const std::string &bytes,
                                              ImportOptions options = {}) {
  return importOnnxBuffer(asBytes(bytes), "model.onnx", options);
}

/// The error of importing \p bytes, with its code; fails the test if the import succeeds.
std::string importError(const std::string &bytes, ErrorCode *code = nullptr,
                        ImportOptions options = {}) {
  auto graph = import(bytes, options);
  if (graph) FAIL("the import was expected to fail");
  return takeMessage(graph.takeError(), code);
}

ModelBuilder reluModel() {
  ModelBuilder b;
  b.input("x", {2, 3}).output("y");
  b.node("Relu", {"x"}, {"y"}, "relu");
  return b;
}

/// A temporary folder removed at the end of the test.
struct TempDir {
  TempDir() {
    llvm::SmallString<128> dir;
    REQUIRE(!llvm::sys::fs::createUniqueDirectory("spcc-import-test", dir));
    path = dir.str().str();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string write(const std::string &name, const std::string &bytes) const {
    std::string file = path + "/" + name;
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    REQUIRE(!ec);
    os << bytes;
    return file;
  }
  std::string path;
};

/// A model whose weight w (f32[2,3]) is external data in "model.data" at \p offset (and, when
/// given, of \p length bytes).
std::string externalDataModel(const std::string &offset, const std::string &length = "") {
  ModelBuilder b;
  b.input("x", {1, 2}).output("y");
  auto *w = b.proto().mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(3);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto addEntry = [&](const char *key, const std::string &value) {
    auto *e = w->add_external_data();
    e->set_key(key);
    e->set_value(value);
  };
  addEntry("location", "model.data");
  addEntry("offset", offset);
  if (!length.empty()) addEntry("length", length);
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");
  return b.bytes();
}

/// The message of an import expected to fail.
std::string importFailure(llvm::Expected<std::unique_ptr<Graph>> graph, ErrorCode *code) {
  if (graph) FAIL("the import was expected to fail");
  return takeMessage(graph.takeError(), code);
}

} // namespace

TEST_CASE("a valid model imports with types, constants and named outputs", "[frontend]") {
  ModelBuilder b;
  b.input("x", {1, 4}).output("y");
  b.initializer("w", {4, 2}, {1, 0, 0, 1, 2, 0, 0, 3});
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");
  auto graph = import(b.bytes());
  REQUIRE(static_cast<bool>(graph));
  REQUIRE((*graph)->getOutputs().size() == 1);
  CHECK((*graph)->getOutputs()[0].name == "y");
  CHECK((*graph)->getOutputs()[0].value->getType().str() == "f32[1,2]");
  CHECK((*graph)->findValue("w")->isConstant());
}

TEST_CASE("Constant nodes and sparse initializers become constants", "[frontend]") {
  ModelBuilder b;
  b.input("x", {2, 2}).output("y");
  auto *sparse = b.proto().mutable_graph()->add_sparse_initializer();
  sparse->add_dims(2);
  sparse->add_dims(2);
  sparse->mutable_values()->set_name("s");
  sparse->mutable_values()->set_data_type(onnx::TensorProto::FLOAT);
  sparse->mutable_values()->add_dims(2);
  sparse->mutable_values()->add_float_data(5);
  sparse->mutable_values()->add_float_data(7);
  sparse->mutable_indices()->set_data_type(onnx::TensorProto::INT64);
  sparse->mutable_indices()->add_dims(2);
  sparse->mutable_indices()->add_int64_data(1); // (0, 1)
  sparse->mutable_indices()->add_int64_data(2); // (1, 0)
  auto &constant = b.node("Constant", {}, {"c"}, "const");
  auto *attr = constant.add_attribute();
  attr->set_name("value_float");
  attr->set_type(onnx::AttributeProto::FLOAT);
  attr->set_f(2.0f);
  b.node("Mul", {"s", "c"}, {"sc"}, "mul");
  b.node("Add", {"x", "sc"}, {"y"}, "add");
  auto graph = import(b.bytes());
  if (!graph) FAIL(takeMessage(graph.takeError()));
  const Tensor &s = (*graph)->findValue("s")->getConstant();
  CHECK(s.getData<float>().vec() == std::vector<float>{0, 5, 7, 0});
  auto out = interpretGraph(**graph, {{"x", Tensor::fromVector<float>({2, 2}, {1, 1, 1, 1})}});
  REQUIRE(static_cast<bool>(out));
  CHECK((*out)[0].getData<float>().vec() == std::vector<float>{1, 11, 15, 1});
}

TEST_CASE("external data is read from the model's folder", "[frontend]") {
  TempDir dir;
  std::vector<float> weights = {1, 2, 3, 4, 5, 6};
  std::string data(8, '\0'); // the tensor starts at offset 8
  data.append(reinterpret_cast<const char *>(weights.data()), weights.size() * 4);
  dir.write("model.data", data);
  std::string modelPath = dir.write("model.onnx", externalDataModel("8", "24"));

  auto graph = importOnnxFile(modelPath, {});
  REQUIRE(static_cast<bool>(graph));
  CHECK((*graph)->findValue("w")->getConstant().getData<float>().vec() == weights);

  SECTION("a missing external-data file is an i/o error naming it") {
    llvm::sys::fs::remove(dir.path + "/model.data");
    auto missing = importOnnxFile(modelPath, {});
    REQUIRE(!static_cast<bool>(missing));
    ErrorCode code;
    std::string message = takeMessage(missing.takeError(), &code);
    CHECK(code == ErrorCode::IO);
    CHECK_THAT(message, Catch::Contains("model.onnx") && Catch::Contains("model.data") &&
                            Catch::Contains("tensor 'w'"));
  }
}

TEST_CASE("dynamic dims must be fixed, in the caller's words", "[frontend]") {
  ModelBuilder b;
  b.input("x", {-1, 3}).output("y");
  b.node("Relu", {"x"}, {"y"}, "relu");
  ErrorCode code;
  std::string message = importError(b.bytes(), &code);
  CHECK(code == ErrorCode::Shape);
  CHECK_THAT(message, Catch::Contains("input 'x' dim 0 ('N') is dynamic") &&
                          Catch::Contains("(x=Nx3:") && !Catch::Contains("--shape"));
  // The tools name their flag.
  auto fromFlags = importOptionsFromShapeFlags({});
  REQUIRE(static_cast<bool>(fromFlags));
  CHECK_THAT(importError(b.bytes(), nullptr, *fromFlags), Catch::Contains("(--shape x=Nx3:"));

  ImportOptions options;
  options.inputShapes["x"] = {5, 3};
  auto graph = import(b.bytes(), options);
  REQUIRE(static_cast<bool>(graph));
  CHECK((*graph)->getOutputs()[0].value->getType().str() == "f32[5,3]");

  options.inputShapes["x"] = {5, 4};
  CHECK_THAT(importError(b.bytes(), nullptr, options), Catch::Contains("fixes it to 3"));
  options.inputShapes = {{"nope", {1}}};
  CHECK_THAT(importError(b.bytes(), nullptr, options),
             Catch::Contains("'nope', which is not an input") && Catch::Contains("inputs: x"));
}

TEST_CASE("shape flags parse", "[frontend]") {
  auto parsed = parseShapeFlag("input_ids=1x128");
  REQUIRE(static_cast<bool>(parsed));
  CHECK(parsed->first == "input_ids");
  CHECK(parsed->second == std::vector<int64_t>{1, 128});
  for (const char *bad : {"x", "x=", "=1x2", "x=1xx2", "x=-1", "x=a"}) {
    auto result = parseShapeFlag(bad);
    CHECK(!static_cast<bool>(result));
    if (!result) llvm::consumeError(result.takeError());
  }
}

TEST_CASE("bad input: truncated, random and non-ONNX bytes fail cleanly", "[frontend][bad-input]") {
  std::string good = reluModel().bytes();
  for (size_t cut : {size_t(1), good.size() / 3, good.size() / 2, good.size() - 1}) {
    auto graph = import(good.substr(0, cut));
    if (graph) continue; // a prefix can itself be a valid (smaller) message; it must not crash
    CHECK_THAT(takeMessage(graph.takeError()), Catch::StartsWith("model.onnx: "));
  }
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::string noise(size_t(rng() % 512), '\0');
    for (char &c : noise) c = char(rng());
    auto graph = import(noise);
    if (!graph) llvm::consumeError(graph.takeError());
  }
  ErrorCode code;
  std::string message = importError("this is a text file, not a model\n", &code);
  CHECK(code == ErrorCode::BadModel);
  CHECK_THAT(message, Catch::Contains("model.onnx: not"));
}

TEST_CASE("bad input: every unsupported op is listed at once", "[frontend][bad-input]") {
  ModelBuilder b;
  b.input("x", {2}).output("z");
  b.node("FancyOp", {"x"}, {"y"}, "first");
  b.node("OtherOp", {"y"}, {"z"}, "second");
  ErrorCode code;
  std::string message = importError(b.bytes(), &code);
  CHECK(code == ErrorCode::Unsupported);
  CHECK_THAT(message, Catch::Contains("2 unsupported nodes") &&
                          Catch::Contains("node 'first' (FancyOp)") &&
                          Catch::Contains("node 'second' (OtherOp)"));
}

TEST_CASE("bad input: a bad attribute value names node and op", "[frontend][bad-input]") {
  ModelBuilder b;
  b.input("x", {2, 3}).output("y");
  setInts(b.node("Transpose", {"x"}, {"y"}, "tr"), "perm", {0, 0});
  CHECK_THAT(importError(b.bytes()),
             Catch::Contains("node 'tr' (Transpose)") && Catch::Contains("perm"));
}

TEST_CASE("bad input: a wrong dtype is reported", "[frontend][bad-input]") {
  ModelBuilder b;
  b.input("x", {2}, onnx::TensorProto::INT64).input("f", {2}).output("y");
  b.node("Add", {"x", "f"}, {"y"}, "add");
  ErrorCode code;
  std::string message = importError(b.bytes(), &code);
  CHECK(code == ErrorCode::Shape);
  CHECK_THAT(message, Catch::Contains("model.onnx"));
}

TEST_CASE("bad input: a missing initializer names the input", "[frontend][bad-input]") {
  ModelBuilder b;
  b.input("x", {1, 4}).output("y");
  b.node("MatMul", {"x", "weights"}, {"y"}, "mm");
  ErrorCode code;
  std::string message = importError(b.bytes(), &code);
  CHECK(code == ErrorCode::BadModel);
  CHECK_THAT(message, Catch::Contains("node 'mm' (MatMul): input 'weights'"));
}

TEST_CASE("bad input: a cycle is reported, not looped on", "[frontend][bad-input]") {
  ModelBuilder b;
  b.input("x", {2}).output("b");
  b.node("Add", {"x", "b"}, {"a"}, "first");
  b.node("Relu", {"a"}, {"b"}, "second");
  ErrorCode code;
  std::string message = importError(b.bytes(), &code);
  CHECK(code == ErrorCode::BadModel);
  CHECK_THAT(message, Catch::Contains("cycle"));
}

TEST_CASE("bad input: a shape mismatch is reported", "[frontend][bad-input]") {
  ModelBuilder b;
  b.input("x", {2, 3}).input("z", {4}).output("y");
  b.node("Add", {"x", "z"}, {"y"}, "add");
  ErrorCode code;
  std::string message = importError(b.bytes(), &code);
  CHECK(code == ErrorCode::Shape);
  CHECK_THAT(message, Catch::StartsWith("model.onnx: "));
}

TEST_CASE("bad input: sizes past the tensor limit are refused, never wrapped",
          "[frontend][bad-input]") {
  ErrorCode code;
  SECTION("a shape rule's result") {
    // x f32[1,1] expanded to [2^32, 2^30]: 2^62 elements, whose bytes overflow int64.
    ModelBuilder b;
    b.input("x", {1, 1}).output("y");
    b.initializerInts("shape", {int64_t(1) << 32, int64_t(1) << 30});
    b.node("Expand", {"x", "shape"}, {"y"}, "expand");
    std::string message = importError(b.bytes(), &code);
    CHECK(code == ErrorCode::Unsupported);
    CHECK_THAT(message, Catch::Contains("node 'expand' (Expand)") &&
                            Catch::Contains("f32[4294967296,1073741824]") &&
                            Catch::Contains("more than the 1099511627776 elements"));
  }
  SECTION("an input shape") {
    ModelBuilder b;
    b.input("x", {-1, -1}).output("y");
    b.node("Relu", {"x"}, {"y"}, "relu");
    ImportOptions options;
    options.inputShapes["x"] = {int64_t(1) << 32, int64_t(1) << 32};
    std::string message = importError(b.bytes(), &code, options);
    CHECK(code == ErrorCode::Shape);
    CHECK_THAT(message, Catch::Contains("input 'x' would be f32[4294967296,4294967296]"));
  }
  SECTION("a window attribute") {
    ModelBuilder b;
    b.input("x", {1, 1, 8, 8}).output("y");
    onnx::NodeProto &pool = b.node("MaxPool", {"x"}, {"y"}, "pool");
    setInts(pool, "kernel_shape", {2, 2});
    setInts(pool, "strides", {int64_t(1) << 62, 1});
    std::string message = importError(b.bytes(), &code);
    CHECK(code == ErrorCode::BadModel);
    CHECK_THAT(message, Catch::Contains("attribute 'strides'") && Catch::Contains("above"));
  }
}

TEST_CASE("bad input: external data past the end of its file, at any offset",
          "[frontend][bad-input]") {
  TempDir dir;
  dir.write("model.data", std::string(64, '\0'));
  for (const char *offset : {"48", "9223372036854775800"}) {
    auto graph = importOnnxFile(dir.write("model.onnx", externalDataModel(offset)), {});
    ErrorCode code;
    std::string message = importFailure(std::move(graph), &code);
    CHECK(code == ErrorCode::BadModel);
    CHECK_THAT(message, Catch::Contains("runs past the end of 'model.data'"));
  }
}

TEST_CASE("bad input: external data must be a regular file inside the model's folder",
          "[frontend][bad-input]") {
  TempDir dir, elsewhere;
  std::string modelPath = dir.write("model.onnx", externalDataModel("0"));
  ErrorCode code;
  SECTION("a symlink out of the folder") {
    std::string secret = elsewhere.write("secret.bin", std::string(64, 'x'));
    REQUIRE(!llvm::sys::fs::create_link(secret, dir.path + "/model.data"));
    std::string message = importFailure(importOnnxFile(modelPath, {}), &code);
    CHECK(code == ErrorCode::BadModel);
    CHECK_THAT(message,
               Catch::Contains("leads out of the model's folder") && Catch::Contains("secret.bin"));
  }
  SECTION("a FIFO, which would block the read forever") {
    REQUIRE(mkfifo((dir.path + "/model.data").c_str(), 0600) == 0);
    std::string message = importFailure(importOnnxFile(modelPath, {}), &code);
    CHECK(code == ErrorCode::IO);
    CHECK_THAT(message, Catch::Contains("model.data: cannot read: a FIFO"));
  }
  SECTION("a directory") {
    REQUIRE(!llvm::sys::fs::create_directory(dir.path + "/model.data"));
    std::string message = importFailure(importOnnxFile(modelPath, {}), &code);
    CHECK(code == ErrorCode::IO);
    CHECK_THAT(message, Catch::Contains("a directory"));
  }
}

TEST_CASE("bad input: the model itself must be a regular file", "[frontend][bad-input]") {
  TempDir dir;
  std::string fifo = dir.path + "/model.onnx";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  ErrorCode code;
  std::string message = importFailure(importOnnxFile(fifo, {}), &code);
  CHECK(code == ErrorCode::IO);
  CHECK_THAT(message, Catch::Contains("model.onnx: cannot read: a FIFO"));
}

TEST_CASE("bad input: opsets outside 7-21 are rejected", "[frontend][bad-input]") {
  for (int opset : {0, 22}) {
    ModelBuilder b(opset);
    b.input("x", {2}).output("y");
    b.node("Relu", {"x"}, {"y"});
    ErrorCode code;
    CHECK_THAT(importError(b.bytes(), &code), Catch::Contains("opset " + std::to_string(opset) +
                                                              "; spcc supports opsets 7 to 21"));
    CHECK(code == ErrorCode::Unsupported);
  }
}

TEST_CASE("an opset below 7 imports when its ops are defined as at opset 7", "[frontend]") {
  ModelBuilder unchanged(6);
  unchanged.input("x", {2}).output("y");
  unchanged.node("Elu", {"x"}, {"y"});
  auto graph = import(unchanged.bytes());
  REQUIRE(static_cast<bool>(graph));
  CHECK((*graph)->getNumNodes() == 1);
  ModelBuilder changed(6);
  changed.input("x", {2}).input("z", {2}).output("y");
  changed.node("Add", {"x", "z"}, {"y"});
  ErrorCode code;
  CHECK_THAT(
      importError(changed.bytes(), &code),
      Catch::Contains("opset 6 and its Add changed by opset 7; spcc supports opsets 7 to 21"));
  CHECK(code == ErrorCode::Unsupported);
}
