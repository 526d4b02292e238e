//===- CompiledModelTest.cpp - Models compiled to .so against the evaluator ===//
//
// Each case compiles a small graph (text IR) through the whole x86 path (memory planning,
// lowering, LLVM emission, linking), loads the .so through the public C API and compares every
// output with spcc's reference evaluator.
//
//===----------------------------------------------------------------------===//
#include "backends/Target.h"
#include "backends/common/CompileReport.h"
#include "backends/x86/ModelEmitter.h"
#include "backends/x86/ObjectEmitter.h"
#include "compiler/eval/Interpreter.h"
#include "compiler/ir/IRParser.h"
#include "compiler/support/Error.h"
#include "passes/PassPipeline.h"
#include "runtime/ModelAbi.h"

#include "spcc/spcc.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using namespace spcc;

namespace {

std::unique_ptr<Graph> plannedGraph(const std::string &text) {
  auto graph = parseGraph(text, "<test>");
  if (!graph) FAIL(takeMessage(graph.takeError()));
  if (llvm::Error err = runDefaultPipeline(**graph, PipelineOptions()))
    FAIL(takeMessage(std::move(err)));
  return std::move(*graph);
}

/// A temporary .so path, removed at scope exit.
struct TempLibrary {
  TempLibrary() {
    REQUIRE(!llvm::sys::fs::createTemporaryFile("spcc-backend-test", "so", path));
    remover.setFile(path);
  }
  llvm::SmallString<128> path;
  llvm::FileRemover remover;
};

/// Compiles \p graph through the target registered for \p target, as the driver does.
void compileTo(const Graph &graph, llvm::StringRef path, const std::string &target = "x86-64-v3",
               CompileOptions options = {}, CompileReport *report = nullptr) {
  options.outputPath = path.str();
  options.target = target;
  auto registered = TargetRegistry::get().lookup(target);
  if (!registered) FAIL(takeMessage(registered.takeError()));
  CompileReport discarded;
  if (llvm::Error err = registered->compile(graph, options, report ? *report : discarded))
    FAIL(takeMessage(std::move(err)));
}

Tensor randomTensor(const TensorType &type, std::mt19937 &rng) {
  Tensor t(type);
  std::normal_distribution<float> normal;
  if (type.getDType() == DType::Float32)
    for (float &x : t.getMutableData<float>()) x = normal(rng);
  else
    for (uint8_t &x : t.getMutableBytes()) x = uint8_t(rng() % 2);
  return t;
}

/// Compiles \p text with \p options, runs the .so on random inputs with \p threads threads, and
/// compares each output with the reference evaluator (rtol 1e-4, atol 1e-5).
void checkAgainstEvaluator(const std::string &text, int threads = 1,
                           const CompileOptions &options = {}, CompileReport *report = nullptr) {
  std::unique_ptr<Graph> graph = plannedGraph(text);
  TempLibrary library;
  compileTo(*graph, library.path, "x86-64-v3", options, report);

  std::mt19937 rng(7);
  std::map<std::string, Tensor> feeds;
  std::vector<const void *> inputs;
  for (const Value *in : graph->getInputs()) {
    feeds[in->getName()] = randomTensor(in->getType(), rng);
    inputs.push_back(feeds[in->getName()].getBytes().data());
  }
  auto expected = interpretGraph(*graph, feeds);
  if (!expected) FAIL(takeMessage(expected.takeError()));

  spcc_model *model = nullptr;
  REQUIRE(spcc_model_load(library.path.c_str(), &model) == SPCC_OK);
  REQUIRE(spcc_model_num_inputs(model) == int(graph->getInputs().size()));
  REQUIRE(spcc_model_num_outputs(model) == int(graph->getOutputs().size()));
  std::vector<Tensor> actual;
  std::vector<void *> outputs;
  for (size_t i = 0; i < graph->getOutputs().size(); ++i) {
    spcc_tensor_info info;
    REQUIRE(spcc_model_output(model, int(i), &info) == SPCC_OK);
    CHECK(info.name == graph->getOutputs()[i].name);
    const TensorType &type = graph->getOutputs()[i].value->getType();
    CHECK(llvm::ArrayRef(info.dims, info.rank) == type.getDims());
    // Poisoned, so that an output the model forgets to write shows up.
    Tensor t(type);
    std::fill(t.getMutableBytes().begin(), t.getMutableBytes().end(), uint8_t(0xA5));
    outputs.push_back(t.getMutableBytes().data());
    actual.push_back(std::move(t));
  }
  spcc_context *context = nullptr;
  REQUIRE(spcc_context_create(model, threads, &context) == SPCC_OK);
  REQUIRE(spcc_run(context, inputs.data(), outputs.data()) == SPCC_OK);
  // A second run on the same context (reused arena) gives the same results.
  REQUIRE(spcc_run(context, inputs.data(), outputs.data()) == SPCC_OK);
  spcc_context_free(context);
  spcc_model_free(model);

  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("output " << graph->getOutputs()[i].name);
    const Tensor &want = (*expected)[i], &got = actual[i];
    REQUIRE(want.getType() == got.getType());
    for (int64_t e = 0; e < want.getNumElements(); ++e) {
      double w = want.getAsDouble(e), g = got.getAsDouble(e);
      if (!(std::abs(w - g) <= 1e-5 + 1e-4 * std::abs(w))) {
        INFO("element " << e << ": expected " << w << ", got " << g);
        CHECK(false);
        break;
      }
    }
  }
}

} // namespace

TEST_CASE("compiled: one Relu", "[backend]") {
  checkAgainstEvaluator(R"(graph @main(%x: f32[2,8]) {
  %y: f32[2,8] = Relu(%x) @"relu"
  return %y as "y"
}
)");
}

TEST_CASE("compiled: outputs that are inputs, constants, views and duplicates", "[backend]") {
  checkAgainstEvaluator(R"(graph @main(%x: f32[16]) {
  %shape: i64[2] = constant [4, 4]
  %w: f32[4] = constant [1.0, -2.0, 3.0, -4.0]
  %a: f32[16] = Relu(%x) @"relu"
  %v: f32[4,4] = Reshape(%a, %shape) @"view"
  %xv: f32[4,4] = Reshape(%x, %shape) @"input_view"
  %m: f32[4,4] = Mul(%v, %w) @"mul"
  return %m as "m", %v as "v", %a as "a", %a as "a_again", %xv as "xv", %w as "w"
}
)");
}

TEST_CASE("compiled: reused arena slots, views, multiple outputs and a workspace", "[backend]") {
  std::string weights = "[";
  for (int i = 0; i < 4 * 3 * 3 * 3; ++i)
    weights += (i ? ", " : "") + std::to_string(((i * 37) % 17 - 8) / 20.0);
  weights += "]";
  checkAgainstEvaluator(R"(graph @main(%x: f32[1,3,8,8]) {
  %w: f32[4,3,3,3] = constant )" +
                        weights + R"(
  %b: f32[4] = constant [0.5, -0.5, 0.25, 0.0]
  %split: i64[2] = constant [2, 2]
  %flat: i64[2] = constant [1, -1]
  %c: f32[1,4,8,8] = Conv(%x, %w, %b) {pads = [1, 1, 1, 1], kernel_shape = [3, 3]} @"conv"
  %r: f32[1,4,8,8] = Relu(%c) @"relu"
  %s0: f32[1,2,8,8], %s1: f32[1,2,8,8] = Split(%r, %split) {axis = 1} @"split"
  %t0: f32[1,2,8,8] = Sigmoid(%s0) @"sig"
  %t1: f32[1,2,8,8] = Tanh(%s1) @"tanh"
  %cat: f32[1,4,8,8] = Concat(%t1, %t0) {axis = 1} @"concat"
  %f: f32[1,256] = Reshape(%cat, %flat) @"flatten"
  %g: f32[1,256] = Relu(%f) @"relu2"
  %h: f32[1,256] = Add(%g, %f) @"add"
  return %h as "h", %t0 as "t0"
}
)");
}

TEST_CASE("compiled: OpenMP threads give the evaluator's results", "[backend]") {
  checkAgainstEvaluator(R"(graph @main(%a: f32[64,96], %b: f32[96,80]) {
  %c: f32[64,80] = MatMul(%a, %b) @"matmul"
  %d: f32[64,80] = Relu(%c) @"relu"
  %e: f32[64,80] = Softmax(%d) {axis = -1} @"softmax"
  return %e as "e"
}
)",
                        2);
}

/// An IR constant of weights of \p dims, 90% of them zero (a pruned layer).
std::string prunedConstant(const std::string &name, const std::vector<int64_t> &dims,
                           uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::string shape;
  int64_t count = 1;
  for (int64_t d : dims) {
    shape += (shape.empty() ? "" : ",") + std::to_string(d);
    count *= d;
  }
  std::string text = "  %" + name + ": f32[" + shape + "] = constant [";
  for (int64_t i = 0; i < count; ++i) {
    float w = uniform(rng);
    text += (i ? ", " : "") + std::to_string(rng() % 10 == 0 ? w : 0.0f);
  }
  return text + "]\n";
}

/// Compiles \p text with every layer sparse (the cost model at 90%), with or without layout
/// selection, checks it against the evaluator on two threads and returns the compile report.
CompileReport checkWithLayouts(const std::string &text, bool selectLayouts) {
  CompileReport report;
  CompileOptions options;
  options.tune = TuneLevel::None;
  options.selectLayouts = selectLayouts;
  checkAgainstEvaluator(text, 2, options, &report);
  return report;
}

TEST_CASE("compiled: activations between sparse MatMuls stay feature-major", "[backend]") {
  // h feeds two sparse MatMuls only: it stays feature-major. y2 is also read as a residual and
  // y3 is an output: both go back to token-major.
  std::string text = "graph @main(%x: f32[24,32]) {\n" + prunedConstant("w1", {32, 48}, 1) +
                     prunedConstant("w2", {48, 32}, 2) + prunedConstant("w3", {48, 32}, 3) +
                     prunedConstant("w4", {32, 32}, 4) +
                     R"(  %h: f32[24,48] = MatMul(%x, %w1) @"mm1"
  %g: f32[24,48] = Relu(%h) @"relu"
  %y2: f32[24,32] = MatMul(%g, %w2) @"mm2"
  %y3: f32[24,32] = MatMul(%g, %w3) @"mm3"
  %y4: f32[24,32] = MatMul(%y2, %w4) @"mm4"
  %z: f32[24,32] = Add(%y4, %y2) @"residual"
  return %z as "z", %y3 as "y3"
}
)";
  for (bool select : {true, false}) {
    INFO("layout selection " << select);
    CompileReport report = checkWithLayouts(text, select);
    std::map<std::string, std::pair<bool, bool>> layouts;
    for (const LayerReport &layer : report.layers) {
      CHECK(layer.sparse);
      layouts[layer.name] = {layer.featureMajorInput, layer.featureMajorOutput};
    }
    using Flags = std::pair<bool, bool>; // input, output feature-major
    CHECK(layouts["mm1"] == Flags{false, select});
    CHECK(layouts["mm2"] == Flags{select, false});
    CHECK(layouts["mm3"] == Flags{select, false});
    CHECK(layouts["mm4"] == Flags{false, false});
  }
}

/// Compiles \p text as the cost model alone decides (--tune=none), checks it against the
/// evaluator on one thread and on two, and returns both compile reports.
std::vector<CompileReport> checkUntunedOnOneAndTwoThreads(const std::string &text) {
  std::vector<CompileReport> reports;
  for (int threads : {1, 2}) {
    INFO(threads << " threads");
    CompileOptions options;
    options.tune = TuneLevel::None;
    checkAgainstEvaluator(text, threads, options, &reports.emplace_back());
  }
  return reports;
}

TEST_CASE("compiled: sparse convolutions over a batch of images", "[backend]") {
  // Three images: each runs the generated code of one image (phase planes for the 3x3
  // stride-2 convolution, B read in place for the 1x1 one, whose epilogue adds a residual).
  std::string text = "graph @main(%x: f32[3,8,13,11]) {\n" +
                     prunedConstant("w1", {16, 8, 3, 3}, 5) +
                     prunedConstant("w2", {16, 16, 1, 1}, 6) + R"(  %b1: f32[16] = constant [)";
  for (int i = 0; i < 16; ++i) text += (i ? ", " : "") + std::to_string(0.1 * (i - 8));
  text += R"(]
  %c: f32[3,16,7,6] = Conv(%x, %w1, %b1) {pads = [1, 1, 1, 1], strides = [2, 2], kernel_shape = [3, 3]} @"conv3x3"
  %r: f32[3,16,7,6] = Relu(%c) @"relu"
  %p: f32[3,16,7,6] = Conv(%r, %w2) {kernel_shape = [1, 1]} @"conv1x1"
  %y: f32[3,16,7,6] = Add(%p, %r) @"residual"
  return %y as "y"
}
)";
  for (const CompileReport &report : checkUntunedOnOneAndTwoThreads(text)) {
    REQUIRE(report.layers.size() == 2);
    for (const LayerReport &layer : report.layers) {
      CHECK(layer.sparse);
      CHECK(layer.n >= 3 * 7 * 6); // the positions of all three images
    }
  }
}

TEST_CASE("compiled: straight-line tiles in reduction blocks give the evaluator's results",
          "[backend]") {
  // 128 input channels: a step of the 3x3 convolution reads ~48 KiB of B, so its straight-line
  // tiles run in reduction blocks, their partial sums in each thread's scratch; a ReLU after it
  // is fused into the last block's stores.
  std::string text =
      "graph @main(%x: f32[1,128,28,28]) {\n" + prunedConstant("w", {64, 128, 3, 3}, 7) +
      R"(  %c: f32[1,64,28,28] = Conv(%x, %w) {pads = [1, 1, 1, 1], kernel_shape = [3, 3]} @"conv"
  %y: f32[1,64,28,28] = Relu(%c) @"relu"
  return %y as "y"
}
)";
  for (const CompileReport &report : checkUntunedOnOneAndTwoThreads(text)) {
    REQUIRE(report.layers.size() == 1);
    INFO(report.layers[0].tiling);
    CHECK(report.layers[0].tiling.find("unrolled-") == 0);
    CHECK(report.layers[0].tiling.find("-kb") != std::string::npos);
  }
}

/// An IR constant of \p count values in [0.5, 1.5) (layer norm scales and biases).
std::string denseConstant(const std::string &name, int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.5f, 1.5f);
  std::string text = "  %" + name + ": f32[" + std::to_string(count) + "] = constant [";
  for (int64_t i = 0; i < count; ++i) text += (i ? ", " : "") + std::to_string(uniform(rng));
  return text + "]\n";
}

TEST_CASE("compiled: a transformer layer stays feature-major from the first layer norm to the "
          "last",
          "[backend]") {
  // Every value between ln0 and ln2 is read and written by sparse products, layer norms,
  // attention and reshapes only: all of it stays feature-major, the residuals included.
  std::string text = "graph @main(%x: f32[1,16,32], %mask: f32[1,1,1,16]) {\n" +
                     prunedConstant("wq", {32, 32}, 11) + prunedConstant("wk", {32, 32}, 12) +
                     prunedConstant("wv", {32, 32}, 13) + prunedConstant("wo", {32, 32}, 14) +
                     prunedConstant("w1", {32, 64}, 15) + prunedConstant("w2", {64, 32}, 16);
  for (int i = 0; i < 3; ++i)
    text += denseConstant("s" + std::to_string(i), 32, 20 + i) +
            denseConstant("b" + std::to_string(i), 32, 30 + i);
  text += R"(  %heads: i64[4] = constant [1, 16, 4, 8]
  %merged: i64[3] = constant [1, 16, 32]
  %h0: f32[1,16,32] = LayerNormalization(%x, %s0, %b0) {axis = -1, epsilon = 1e-5} @"ln0"
  %q: f32[1,16,32] = MatMul(%h0, %wq) @"q"
  %k: f32[1,16,32] = MatMul(%h0, %wk) @"k"
  %v: f32[1,16,32] = MatMul(%h0, %wv) @"v"
  %q4: f32[1,16,4,8] = Reshape(%q, %heads) @"q_heads"
  %k4: f32[1,16,4,8] = Reshape(%k, %heads) @"k_heads"
  %v4: f32[1,16,4,8] = Reshape(%v, %heads) @"v_heads"
  %a4: f32[1,16,4,8] = FusedAttention(%q4, %k4, %v4, %mask) {scale = 0.35} @"attention"
  %a: f32[1,16,32] = Reshape(%a4, %merged) @"merge_heads"
  %o: f32[1,16,32] = MatMul(%a, %wo) @"o"
  %r1: f32[1,16,32] = Add(%o, %h0) @"residual1"
  %h1: f32[1,16,32] = LayerNormalization(%r1, %s1, %b1) {axis = -1, epsilon = 1e-5} @"ln1"
  %f1: f32[1,16,64] = MatMul(%h1, %w1) @"ffn1"
  %g: f32[1,16,64] = Relu(%f1) @"relu"
  %f2: f32[1,16,32] = MatMul(%g, %w2) @"ffn2"
  %r2: f32[1,16,32] = Add(%f2, %h1) @"residual2"
  %y: f32[1,16,32] = LayerNormalization(%r2, %s2, %b2) {axis = -1, epsilon = 1e-5} @"ln2"
  return %y as "y"
}
)";
  for (bool select : {true, false}) {
    INFO("layout selection " << select);
    CompileReport report = checkWithLayouts(text, select);
    REQUIRE(report.layers.size() == 6);
    for (const LayerReport &layer : report.layers) {
      INFO(layer.name);
      CHECK(layer.sparse);
      CHECK(layer.featureMajorInput == select);
      CHECK(layer.featureMajorOutput == select);
    }
  }
}

TEST_CASE("compiled: the same graph gives byte-identical libraries", "[backend]") {
  const char *text = R"(graph @main(%x: f32[4,4]) {
  %w: f32[4,4] = constant [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
  %y: f32[4,4] = MatMul(%x, %w) @"mm"
  %z: f32[4,4] = Relu(%y) @"relu"
  return %z as "z"
}
)";
  TempLibrary first, second;
  compileTo(*plannedGraph(text), first.path, "x86-64-v4");
  compileTo(*plannedGraph(text), second.path, "x86-64-v4");
  auto a = llvm::MemoryBuffer::getFile(first.path);
  auto b = llvm::MemoryBuffer::getFile(second.path);
  REQUIRE(a);
  REQUIRE(b);
  CHECK((*a)->getBuffer() == (*b)->getBuffer());
}

TEST_CASE("an interface the runtime would refuse is refused when compiling", "[backend]") {
  std::string dims = "1";
  for (int d = 1; d < 17; ++d) dims += ",1";
  std::unique_ptr<Graph> graph =
      plannedGraph("graph @main(%x: f32[" + dims + "]) {\n  %y: f32[" + dims +
                   "] = Relu(%x) @\"r\"\n  return %y as \"y\"\n}\n");
  TempLibrary library;
  CompileOptions options;
  options.outputPath = library.path.str().str();
  options.target = "x86-64-v3";
  CompileReport report;
  llvm::Error err = TargetRegistry::get().lookup("x86-64-v3")->compile(*graph, options, report);
  REQUIRE(static_cast<bool>(err));
  ErrorCode code;
  CHECK_THAT(takeMessage(std::move(err), &code),
             Catch::Contains("input 'x' has rank 17; the runtime takes 16 at most"));
  CHECK(code == ErrorCode::Unsupported);
}

TEST_CASE("an unknown target name fails with one line listing the targets", "[backend]") {
  auto target = TargetRegistry::get().lookup("pentium");
  REQUIRE_FALSE(bool(target));
  std::string message = takeMessage(target.takeError());
  CHECK_THAT(message, Catch::Contains("unknown target 'pentium'"));
  for (const char *name : {"x86-64-v3", "x86-64-v4", "host"})
    CHECK_THAT(message, Catch::Contains(name));
}

TEST_CASE("the x86 target registers its three names, each described", "[backend]") {
  auto target = TargetRegistry::get().lookup("x86-64-v4");
  REQUIRE(bool(target));
  CHECK(target->name() == "x86");
  size_t named = 0;
  for (const auto &[name, owner] : TargetRegistry::get().names()) {
    CHECK_FALSE(name.description.empty());
    named += owner == &*target;
  }
  CHECK(named == 3);
  // A compilation that names no target runs at the speed of the machine that compiled it.
  CHECK(TargetRegistry::get().defaultTargetName() == "host");
}

TEST_CASE("emitted module: aligned read-only weights, the descriptor and profile exported",
          "[backend]") {
  std::unique_ptr<Graph> graph = plannedGraph(R"(graph @main(%x: f32[2,4]) {
  %w: f32[4,4] = constant [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
  %y: f32[2,4] = MatMul(%x, %w) @"mm"
  %z: f32[2,4] = Tanh(%y) @"tanh"
  %o: f32[2,4] = Sigmoid(%z) @"sig"
  return %o as "o"
}
)");
  std::vector<KernelCall> calls;
  for (const Node *node : graph->getNodes()) {
    auto call = lowerToKernelCall(*node);
    if (!call) FAIL(takeMessage(call.takeError()));
    calls.push_back(std::move(*call));
  }
  llvm::LLVMContext context;
  auto module = x86::emitModelModule(*graph, calls, "x86-64-v3", context);
  if (!module) FAIL(takeMessage(module.takeError()));
  const llvm::GlobalVariable *weight = (*module)->getNamedGlobal("weight.0");
  REQUIRE(weight);
  CHECK(weight->isConstant());
  CHECK(weight->hasPrivateLinkage());
  CHECK(weight->getAlign().valueOrOne().value() == 64);
  std::vector<std::string> exported;
  for (const llvm::GlobalValue &g : (*module)->global_values())
    if (!g.isDeclaration() && !g.hasLocalLinkage()) exported.push_back(g.getName().str());
  std::sort(exported.begin(), exported.end());
  CHECK(exported == std::vector<std::string>{SPCC_MODEL_ENTRY_SYMBOL, SPCC_MODEL_PROFILE_SYMBOL});
  // y and z (32 bytes, one 64-byte slot each) are both live while tanh runs: two slots.
  CHECK(graph->getArenaBytes() == 128);

  auto isa = x86::selectTargetIsa("x86-64-v4");
  REQUIRE(bool(isa));
  auto machine = x86::createTargetMachine(*isa);
  if (!machine) FAIL(takeMessage(machine.takeError()));
  auto object = x86::emitObject(**module, **machine);
  if (!object) FAIL(takeMessage(object.takeError()));
  REQUIRE(object->size() > 4);
  CHECK(llvm::StringRef(object->data(), 4) == "\x7f"
                                              "ELF");
}

TEST_CASE("emission without memory planning fails instead of miscompiling", "[backend]") {
  auto graph = parseGraph(R"(graph @main(%x: f32[4]) {
  %a: f32[4] = Relu(%x) @"r1"
  %b: f32[4] = Relu(%a) @"r2"
  return %b as "b"
}
)",
                          "<test>");
  REQUIRE(bool(graph));
  std::vector<KernelCall> calls;
  for (const Node *node : (*graph)->getNodes())
    calls.push_back(llvm::cantFail(lowerToKernelCall(*node)));
  llvm::LLVMContext context;
  auto module = x86::emitModelModule(**graph, calls, "x86-64-v3", context);
  REQUIRE(!module);
  CHECK_THAT(takeMessage(module.takeError()), Catch::Contains("memory planning has not run"));
}
