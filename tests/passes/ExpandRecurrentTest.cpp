// The expand-recurrent pass against the recurrent ops' reference evaluation, over the variants
// the ONNX node tests leave out: bidirectional, layout 1, initial states, peepholes, clip,
// linear_before_reset, Relu activations, sequences shorter than T.
#include "tests/frontend/ModelBuilder.h"
#include "tests/ops/OpTestUtil.h"

#include "compiler/frontend/OnnxImporter.h"
#include "tests/passes/PassTestUtil.h"

#include <random>

using namespace spcc;
using namespace spcc::test;

namespace {

struct RecurrentCase {
  std::string op;
  int gates;
  std::string direction = "forward";
  int64_t layout = 0;
  bool initialStates = false, peepholes = false, clip = false, linearBeforeReset = false;
  std::vector<std::string> activations = {};
  std::vector<int32_t> lengths = {}; ///< sequence_lens, one per batch entry (none: full)
};

std::vector<float> randomValues(std::mt19937 &rng, int64_t n, float scale) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v) x = normal(rng);
  return v;
}

void checkExpansion(const RecurrentCase &c) {
  const int64_t T = 5, B = 2, I = 3, H = 4, D = c.direction == "bidirectional" ? 2 : 1;
  std::mt19937 rng(7);
  ModelBuilder b;
  std::vector<int64_t> xDims =
      c.layout ? std::vector<int64_t>{B, T, I} : std::vector<int64_t>{T, B, I};
  std::vector<int64_t> stateDims =
      c.layout ? std::vector<int64_t>{B, D, H} : std::vector<int64_t>{D, B, H};
  b.input("x", xDims);
  b.initializer("W", {D, c.gates * H, I}, randomValues(rng, D * c.gates * H * I, 0.5f));
  b.initializer("R", {D, c.gates * H, H}, randomValues(rng, D * c.gates * H * H, 0.5f));
  b.initializer("B", {D, 2 * c.gates * H}, randomValues(rng, D * 2 * c.gates * H, 0.2f));
  std::vector<std::string> inputs = {"x", "W", "R", "B", ""};
  if (!c.lengths.empty()) {
    onnx::TensorProto *lens = b.proto().mutable_graph()->add_initializer();
    lens->set_name("lens");
    lens->set_data_type(onnx::TensorProto::INT32);
    lens->add_dims(int64_t(c.lengths.size()));
    for (int32_t length : c.lengths) lens->add_int32_data(length);
    inputs[4] = "lens";
  }
  std::map<std::string, Tensor> feeds = {
      {"x", Tensor::fromVector<float>(xDims, randomValues(rng, T * B * I, 1.0f))}};
  if (c.initialStates) {
    b.input("h0", stateDims);
    feeds["h0"] = Tensor::fromVector<float>(stateDims, randomValues(rng, D * B * H, 0.5f));
    inputs.push_back("h0");
    if (c.op == "LSTM") {
      b.input("c0", stateDims);
      feeds["c0"] = Tensor::fromVector<float>(stateDims, randomValues(rng, D * B * H, 0.5f));
      inputs.push_back("c0");
    }
  }
  if (c.peepholes) {
    while (inputs.size() < 7) inputs.push_back("");
    b.initializer("P", {D, 3 * H}, randomValues(rng, D * 3 * H, 0.5f));
    inputs.push_back("P");
  }
  std::vector<std::string> outputs = {"y", "y_h"};
  if (c.op == "LSTM") outputs.push_back("y_c");
  for (const std::string &out : outputs) b.output(out);
  onnx::NodeProto &node = b.node(c.op, inputs, outputs, "cell");
  setInt(node, "hidden_size", H);
  setInt(node, "layout", c.layout);
  auto *direction = node.add_attribute();
  direction->set_name("direction");
  direction->set_type(onnx::AttributeProto::STRING);
  direction->set_s(c.direction);
  if (c.clip) {
    auto *clip = node.add_attribute();
    clip->set_name("clip");
    clip->set_type(onnx::AttributeProto::FLOAT);
    clip->set_f(0.7f);
  }
  if (c.linearBeforeReset) setInt(node, "linear_before_reset", 1);
  if (!c.activations.empty()) {
    auto *acts = node.add_attribute();
    acts->set_name("activations");
    acts->set_type(onnx::AttributeProto::STRINGS);
    for (const std::string &a : c.activations) acts->add_strings(a);
  }
  b.proto().mutable_opset_import(0)->set_version(14); // layout needs 14

  // Outputs are 0.05 or more somewhere: not a degenerate comparison.
  CHECK(checkPipelineMatchesReference(b.bytes(), feeds, c.op) > 0.05f);
}

} // namespace

TEST_CASE("expand-recurrent matches the LSTM reference evaluation", "[passes]") {
  checkExpansion({"LSTM", 4});
  checkExpansion({"LSTM", 4, "bidirectional", 1, true, true});
  checkExpansion({"LSTM", 4, "reverse", 0, true, false, true});
  checkExpansion({"LSTM", 4, "bidirectional", 0, true, true, false, false, {}, {3, 5}});
}

TEST_CASE("expand-recurrent matches the GRU reference evaluation", "[passes]") {
  checkExpansion({"GRU", 3});
  checkExpansion({"GRU", 3, "bidirectional", 1, true, false, false, true});
  checkExpansion({"GRU", 3, "reverse", 0, false, false, true, false});
  checkExpansion({"GRU", 3, "reverse", 1, true, false, false, false, {}, {2, 0}});
}

TEST_CASE("expand-recurrent matches the RNN reference evaluation", "[passes]") {
  checkExpansion({"RNN", 1});
  checkExpansion({"RNN", 1, "bidirectional", 0, true, false, false, false, {"Relu", "Tanh"}});
  checkExpansion({"RNN", 1, "forward", 0, false, false, false, false, {}, {5, 1}});
}

TEST_CASE("recurrent ops refuse what they do not support by name", "[passes]") {
  ModelBuilder b;
  b.input("x", {3, 1, 2}).output("y");
  b.initializer("W", {1, 4, 2}, std::vector<float>(8, 0.1f));
  b.initializer("R", {1, 4, 4}, std::vector<float>(16, 0.1f));
  onnx::NodeProto &node = b.node("RNN", {"x", "W", "R"}, {"y"}, "rnn");
  auto *acts = node.add_attribute();
  acts->set_name("activations");
  acts->set_type(onnx::AttributeProto::STRINGS);
  acts->add_strings("ScaledTanh");
  std::string bytes = b.bytes();
  auto graph = importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()},
                                "model.onnx", {});
  REQUIRE(!graph);
  ErrorCode code;
  CHECK_THAT(takeMessage(graph.takeError(), &code),
             Catch::Matchers::Contains("node 'rnn' (RNN): activation 'ScaledTanh' is not "
                                       "supported in a recurrent cell"));
  CHECK(code == ErrorCode::Unsupported);
}
