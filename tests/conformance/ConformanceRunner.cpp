//===- ConformanceRunner.cpp - ONNX node tests against the evaluator -----===//
//
// spcc-conformance TESTS_DIR (--list FILE | --discover [--write-list FILE]) [--compiled DIR]
//                  [--shard I/N]
//
// Runs ONNX's node conformance tests (TESTS_DIR/node/test_*/: model.onnx, and
// test_data_set_N/input_K.pb, output_K.pb) through spcc's importer, pass pipeline and reference
// evaluator, comparing every output as ONNX's own runner does: |actual - expected| <=
// atol + rtol * |expected| with rtol 1e-3, atol 1e-7; integer and bool outputs exactly.
// With --compiled DIR, each test is instead compiled to DIR/<test>.so for the default target
// (--tune=none) and run through the C API on two threads.
//
// --list runs the named tests, each of which must pass. --discover runs every test whose
// operators spcc supports and reports the failures (to grow the list). --shard I/N runs the
// I-th of N interleaved parts of the tests (ctest runs the parts in parallel).
//
//===----------------------------------------------------------------------===//
#include "backends/Target.h"
#include "backends/common/CompileOptions.h"
#include "backends/common/CompileReport.h"
#include "compiler/eval/Interpreter.h"
#include "compiler/frontend/OnnxImporter.h"
#include "compiler/frontend/TensorProtoReader.h"
#include "compiler/support/Error.h"
#include "passes/PassPipeline.h"
#include "tools/common/CommandLine.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "spcc/spcc.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <set>

using namespace spcc;

namespace {

constexpr double kRelativeTolerance = 1e-3;
constexpr double kAbsoluteTolerance = 1e-7;

enum class Outcome { Passed, Failed, Unsupported };

/// Where compiled tests go; empty: tests run on the reference evaluator.
std::string compiledDir;

struct Result {
  Outcome outcome;
  std::string detail;
};

llvm::Error compareTensors(const Tensor &actual, const Tensor &expected, const std::string &label) {
  if (actual.getType() != expected.getType())
    return makeError(ErrorCode::Shape, label + ": got " + actual.getType().str() + ", expected " +
                                           expected.getType().str());
  bool exact = expected.getDType() != DType::Float32 && expected.getDType() != DType::Float16;
  for (int64_t i = 0; i < expected.getNumElements(); ++i) {
    double a = actual.getAsDouble(i), e = expected.getAsDouble(i);
    bool ok = exact
                  ? a == e
                  : (std::isnan(a) && std::isnan(e)) || a == e ||
                        std::fabs(a - e) <= kAbsoluteTolerance + kRelativeTolerance * std::fabs(e);
    if (!ok)
      return makeError(ErrorCode::Internal, label + ": element " + llvm::Twine(i) + " is " +
                                                std::to_string(a) + ", expected " +
                                                std::to_string(e));
  }
  return llvm::Error::success();
}

/// Compiles \p graph to DIR/<label>.so and runs it on \p feeds through the C API.
llvm::Expected<std::vector<Tensor>> runCompiled(const Graph &graph,
                                                const std::map<std::string, Tensor> &feeds,
                                                const std::string &label) {
  llvm::SmallString<256> library(compiledDir);
  llvm::sys::path::append(library, label + ".so");
  CompileOptions options;
  options.target = TargetRegistry::get().defaultTargetName();
  options.outputPath = library.str().str();
  options.tune = TuneLevel::None;
  CompileReport report;
  auto target = TargetRegistry::get().lookup(options.target);
  if (!target) return target.takeError();
  if (llvm::Error err = target->compile(graph, options, report))
    return addContext(std::move(err), "compiling");
  spcc_model *model = nullptr;
  auto runtimeError = [&](const char *what) {
    return makeError(ErrorCode::Internal, llvm::Twine(what) + ": " + spcc_last_error());
  };
  if (spcc_model_load(options.outputPath.c_str(), &model) != SPCC_OK)
    return runtimeError("spcc_model_load");
  // Empty tensors still get a pointer: the C API refuses NULL.
  static uint64_t empty = 0;
  std::vector<const void *> inputs;
  for (const Value *in : graph.getInputs()) {
    const Tensor &t = feeds.at(in->getName());
    inputs.push_back(t.getNumElements() > 0 ? static_cast<const void *>(t.getBytes().data())
                                            : &empty);
  }
  std::vector<Tensor> outputs;
  std::vector<void *> outputPtrs;
  for (const GraphOutput &out : graph.getOutputs()) {
    outputs.push_back(Tensor(out.value->getType()));
    outputPtrs.push_back(outputs.back().getNumElements() > 0
                             ? outputs.back().getMutableBytes().data()
                             : static_cast<void *>(&empty));
  }
  spcc_context *context = nullptr;
  spcc_status status = spcc_context_create(model, 2, &context);
  if (status == SPCC_OK) status = spcc_run(context, inputs.data(), outputPtrs.data());
  llvm::Error err = status == SPCC_OK ? llvm::Error::success() : runtimeError("spcc_run");
  spcc_context_free(context);
  spcc_model_free(model);
  if (err) return std::move(err);
  return outputs;
}

std::vector<std::string> dataSets(llvm::StringRef testDir) {
  std::vector<std::string> sets;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(testDir, ec), end; it != end && !ec; it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with("test_data_set_"))
      sets.push_back(it->path());
  std::sort(sets.begin(), sets.end());
  return sets;
}

llvm::Expected<std::map<std::string, Tensor>> readInputs(const onnx::ModelProto &model,
                                                         const std::string &set) {
  // input_K.pb belongs to the K-th graph input that is not an initializer.
  std::set<std::string> initializers;
  for (const auto &init : model.graph().initializer()) initializers.insert(init.name());
  std::map<std::string, Tensor> inputs;
  int k = 0;
  for (const auto &input : model.graph().input()) {
    if (initializers.count(input.name())) continue;
    auto t = readTensorProtoFile(set + "/input_" + std::to_string(k++) + ".pb");
    if (!t) return t.takeError();
    inputs[input.name()] = std::move(*t);
  }
  return inputs;
}

/// Runs one data set. spcc needs shape parameters (Reshape targets, Slice bounds, axes, Resize
/// scales, ...) at compile time; tests that feed them as graph inputs are compiled with their
/// integer and scalar inputs, and every input after the first (the data), bound to the data
/// set's values, as an ahead-of-time compiler would specialize them.
Result runDataSet(llvm::StringRef modelPath, const std::map<std::string, Tensor> &inputs,
                  const std::string &firstInput, const std::string &set, const std::string &label) {
  // Import and the pass pipeline (which wants recurrent weights as constants).
  auto compile = [&](const ImportOptions &options) -> llvm::Expected<std::unique_ptr<Graph>> {
    auto graph = importOnnxFile(modelPath, options);
    if (!graph) return graph.takeError();
    if (llvm::Error err = runDefaultPipeline(**graph, PipelineOptions())) return std::move(err);
    return graph;
  };
  ImportOptions options;
  auto graph = compile(options);
  if (!graph) {
    ErrorCode code;
    std::string message = takeMessage(graph.takeError(), &code);
    if (message.find("must be known at compile time") == std::string::npos)
      return {code == ErrorCode::Unsupported ? Outcome::Unsupported : Outcome::Failed, message};
    for (const auto &[name, tensor] : inputs)
      if (tensor.getDType() != DType::Float32 || tensor.getRank() == 0 || name != firstInput)
        options.boundInputs[name] = tensor;
    graph = compile(options);
    if (!graph) {
      message = takeMessage(graph.takeError(), &code);
      return {code == ErrorCode::Unsupported ? Outcome::Unsupported : Outcome::Failed, message};
    }
  }
  std::map<std::string, Tensor> feeds;
  for (const Value *in : (*graph)->getInputs()) feeds[in->getName()] = inputs.at(in->getName());
  auto outputs =
      compiledDir.empty() ? interpretGraph(**graph, feeds) : runCompiled(**graph, feeds, label);
  if (!outputs) return {Outcome::Failed, takeMessage(outputs.takeError())};
  for (size_t i = 0; i < outputs->size(); ++i) {
    auto expected = readTensorProtoFile(set + "/output_" + std::to_string(i) + ".pb");
    if (!expected) return {Outcome::Failed, takeMessage(expected.takeError())};
    std::string label = llvm::sys::path::filename(set).str() + " output " + std::to_string(i);
    if (llvm::Error err = compareTensors((*outputs)[i], *expected, label))
      return {Outcome::Failed, takeMessage(std::move(err))};
  }
  return {Outcome::Passed, ""};
}

Result runTest(llvm::StringRef testDir) {
  llvm::SmallString<256> modelPath(testDir);
  llvm::sys::path::append(modelPath, "model.onnx");
  auto buffer = llvm::MemoryBuffer::getFile(modelPath);
  onnx::ModelProto model;
  if (!buffer ||
      !model.ParseFromArray((*buffer)->getBufferStart(), int((*buffer)->getBufferSize())))
    return {Outcome::Failed, "cannot read " + modelPath.str().str()};
  std::vector<std::string> sets = dataSets(testDir);
  if (sets.empty()) return {Outcome::Failed, "no test data sets"};
  for (const std::string &set : sets) {
    auto inputs = readInputs(model, set);
    // Sequence and optional inputs do not read as tensors; spcc supports tensors only.
    if (!inputs) return {Outcome::Unsupported, takeMessage(inputs.takeError())};
    std::string firstInput;
    for (const auto &input : model.graph().input())
      if (inputs->count(input.name())) {
        firstInput = input.name();
        break;
      }
    std::string label =
        (llvm::sys::path::filename(testDir) + "-" + llvm::sys::path::filename(set)).str();
    Result result = runDataSet(modelPath, *inputs, firstInput, set, label);
    if (result.outcome != Outcome::Passed) return result;
  }
  return {Outcome::Passed, ""};
}

std::vector<std::string> readList(llvm::StringRef path) {
  std::vector<std::string> names;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) return names;
  llvm::SmallVector<llvm::StringRef, 256> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    line = line.split('#').first.trim();
    if (!line.empty()) names.push_back(line.str());
  }
  return names;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  reserveOptionNames({"list", "discover", "write-list", "compiled", "shard"});
  llvm::cl::OptionCategory category("spcc-conformance options");
  llvm::cl::opt<std::string> testsDir(llvm::cl::Positional, llvm::cl::desc("<generated tests dir>"),
                                      llvm::cl::Required, llvm::cl::cat(category));
  llvm::cl::opt<std::string> listPath("list", llvm::cl::desc("Run the tests named in this file"),
                                      llvm::cl::cat(category));
  llvm::cl::opt<bool> discover("discover", llvm::cl::desc("Run every test with supported ops"),
                               llvm::cl::cat(category));
  llvm::cl::opt<bool> showSkipped(
      "show-skipped", llvm::cl::desc("With --discover, print why each skipped test is skipped"),
      llvm::cl::cat(category));
  llvm::cl::opt<std::string> writeList(
      "write-list", llvm::cl::desc("With --discover, write the passing tests here"),
      llvm::cl::cat(category));
  llvm::cl::opt<std::string> compiled(
      "compiled", llvm::cl::desc("Compile each test into this folder and run the .so"),
      llvm::cl::cat(category));
  llvm::cl::opt<std::string> shard("shard", llvm::cl::desc("Run part I of N (I/N)"),
                                   llvm::cl::cat(category));
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(argc, argv, "spcc-conformance: ONNX node tests\n");

  compiledDir = compiled;
  if (!compiledDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(compiledDir)) {
      llvm::errs() << "spcc-conformance: error: " << compiledDir << ": " << ec.message() << "\n";
      return 3;
    }
  }
  unsigned shardIndex = 0, shardCount = 1;
  if (!shard.empty()) {
    auto [index, count] = llvm::StringRef(shard).split('/');
    if (index.getAsInteger(10, shardIndex) || count.getAsInteger(10, shardCount) ||
        shardCount == 0 || shardIndex >= shardCount) {
      llvm::errs() << "spcc-conformance: error: --shard expects I/N with I < N\n";
      return 2;
    }
  }
  llvm::SmallString<256> nodeDir(testsDir);
  llvm::sys::path::append(nodeDir, "node");
  std::vector<std::string> names;
  if (discover) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(nodeDir, ec), end; it != end && !ec; it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
  } else {
    if (listPath.empty()) {
      llvm::errs() << "spcc-conformance: pass --list FILE or --discover\n";
      return 2;
    }
    names = readList(listPath);
    if (names.empty()) {
      llvm::errs() << "spcc-conformance: error: " << listPath << " lists no tests\n";
      return 2;
    }
  }

  int passed = 0, attempted = 0, unsupported = 0;
  std::vector<std::string> passing;
  for (size_t n = 0; n < names.size(); ++n) {
    if (n % shardCount != shardIndex) continue;
    const std::string &name = names[n];
    llvm::SmallString<256> dir(nodeDir);
    llvm::sys::path::append(dir, name);
    if (!llvm::sys::fs::is_directory(dir)) {
      llvm::outs() << "FAIL " << name << ": not found in " << nodeDir << "\n";
      ++attempted;
      continue;
    }
    Result result = runTest(dir);
    if (result.outcome == Outcome::Unsupported && discover) {
      ++unsupported;
      if (showSkipped) llvm::outs() << "SKIP " << name << ": " << result.detail << "\n";
      continue;
    }
    ++attempted;
    if (result.outcome == Outcome::Passed) {
      ++passed;
      passing.push_back(name);
    } else {
      llvm::outs() << "FAIL " << name << ": " << result.detail << "\n";
    }
  }
  llvm::outs() << "conformance: " << passed << " passed / " << attempted << " attempted";
  if (discover) llvm::outs() << " (" << unsupported << " skipped: unsupported op or type)";
  llvm::outs() << "\n";
  if (!writeList.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(writeList, ec);
    if (ec) {
      llvm::errs() << "spcc-conformance: error: " << writeList << ": " << ec.message() << "\n";
      return 3;
    }
    os << "# ONNX node conformance tests spcc runs (tests/conformance/README.md).\n";
    for (const std::string &name : passing) os << name << "\n";
  }
  return passed == attempted ? 0 : 1;
}
