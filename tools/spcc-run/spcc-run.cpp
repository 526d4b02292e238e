//===- spcc-run.cpp - Run a model once -----------------------------------===//
//
// spcc-run MODEL.onnx [--shape NAME=DIMS]... -i NAME=FILE... [-o DIR] [--random-inputs]
//
// Evaluates the model with spcc's reference evaluator (after the compiler's pass pipeline) on
// inputs read from .npy or ONNX TensorProto .pb files, prints a line per output, and writes one
// .npy per output into DIR, named after the output.
//
//===----------------------------------------------------------------------===//
#include "compiler/eval/Interpreter.h"
#include "compiler/frontend/OnnxImporter.h"
#include "compiler/frontend/TensorProtoReader.h"
#include "compiler/support/CommandLine.h"
#include "compiler/support/Error.h"
#include "compiler/support/NpyFile.h"
#include "passes/PassPipeline.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <random>

using namespace spcc;

namespace {

llvm::Expected<Tensor> readTensorFile(llvm::StringRef path) {
  if (path.ends_with(".pb")) return readTensorProtoFile(path);
  return readNpyFile(path);
}

/// Random data for input \p type: floats from N(0, 1); integers 0 or 1 (valid as indices and
/// as masks); bools alternating.
Tensor randomInput(const TensorType &type, std::mt19937 &rng) {
  Tensor t(type);
  std::normal_distribution<float> normal;
  switch (type.getDType()) {
  case DType::Float32:
    for (float &x : t.getMutableData<float>()) x = normal(rng);
    break;
  case DType::Int64:
    for (int64_t &x : t.getMutableData<int64_t>()) x = int64_t(rng() % 2);
    break;
  case DType::Int32:
    for (int32_t &x : t.getMutableData<int32_t>()) x = int32_t(rng() % 2);
    break;
  default:
    for (uint8_t &x : t.getMutableBytes()) x = uint8_t(rng() % 2);
    break;
  }
  return t;
}

/// "min -1.2 max 3.4 mean 0.01  [0.5, -0.2, ...]".
std::string describeValues(const Tensor &t, int count) {
  std::string text;
  llvm::raw_string_ostream os(text);
  int64_t n = t.getNumElements();
  if (n > 0) {
    double lo = t.getAsDouble(0), hi = lo, sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      double v = t.getAsDouble(i);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    os << llvm::format("min %.6g max %.6g mean %.6g  [", lo, hi, sum / double(n));
    for (int64_t i = 0; i < std::min<int64_t>(n, count); ++i)
      os << (i ? ", " : "") << llvm::format("%.6g", t.getAsDouble(i));
    os << (n > count ? ", ...]" : "]");
  }
  return text;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  reserveOptionNames({"shape", "i", "o", "random-inputs", "seed", "print"});
  llvm::cl::OptionCategory category("spcc-run options");
  llvm::cl::opt<std::string> modelPath(llvm::cl::Positional, llvm::cl::desc("<model.onnx>"),
                                       llvm::cl::Required, llvm::cl::cat(category));
  llvm::cl::list<std::string> shapes("shape", llvm::cl::desc("Fix the dims of a graph input"),
                                     llvm::cl::value_desc("NAME=DIMS"), llvm::cl::cat(category));
  llvm::cl::list<std::string> inputs("i", llvm::cl::desc("Input data: .npy or TensorProto .pb"),
                                     llvm::cl::value_desc("NAME=FILE"), llvm::cl::cat(category));
  llvm::cl::opt<std::string> outputDir("o", llvm::cl::desc("Write one NAME.npy per output here"),
                                       llvm::cl::value_desc("DIR"), llvm::cl::cat(category));
  llvm::cl::opt<bool> randomInputs("random-inputs",
                                   llvm::cl::desc("Fill inputs not given with -i with random data"),
                                   llvm::cl::cat(category));
  llvm::cl::opt<unsigned> seed("seed", llvm::cl::desc("Seed for --random-inputs"),
                               llvm::cl::init(0), llvm::cl::cat(category));
  llvm::cl::opt<int> printCount("print", llvm::cl::desc("Values shown per output"),
                                llvm::cl::init(8), llvm::cl::cat(category));
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(argc, argv, "spcc-run: run a model once\n");

  if (!llvm::StringRef(modelPath).ends_with(".onnx"))
    return reportError("spcc-run", makeError(ErrorCode::InvalidArgument,
                                             modelPath + ": expected an .onnx model"));
  auto importOptions = importOptionsFromShapeFlags(shapes);
  if (!importOptions) return reportError("spcc-run", importOptions.takeError());
  auto graph = importOnnxFile(modelPath, *importOptions);
  if (!graph) return reportError("spcc-run", graph.takeError());
  if (llvm::Error err = runDefaultPipeline(**graph, PipelineOptions()))
    return reportError("spcc-run", addContext(std::move(err), modelPath));

  std::map<std::string, Tensor> feeds;
  for (const std::string &flag : inputs) {
    auto [name, path] = llvm::StringRef(flag).split('=');
    if (name.empty() || path.empty())
      return reportError("spcc-run", makeError(ErrorCode::InvalidArgument,
                                               "-i expects NAME=FILE, got '" + flag + "'"));
    auto tensor = readTensorFile(path);
    if (!tensor) return reportError("spcc-run", tensor.takeError());
    feeds[name.str()] = std::move(*tensor);
  }
  std::mt19937 rng(seed);
  for (const Value *in : (*graph)->getInputs()) {
    if (feeds.count(in->getName())) continue;
    if (!randomInputs)
      return reportError("spcc-run", makeError(ErrorCode::InvalidArgument,
                                               "no data for input '" + in->getName() + "' (" +
                                                   in->getType().str() +
                                                   "); pass -i " + in->getName() +
                                                   "=FILE or --random-inputs"));
    feeds[in->getName()] = randomInput(in->getType(), rng);
  }

  auto results = interpretGraph(**graph, feeds);
  if (!results) return reportError("spcc-run", addContext(results.takeError(), modelPath));

  if (!outputDir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return reportError("spcc-run", makeError(ErrorCode::IO, outputDir + ": cannot create: " +
                                                                  ec.message()));
  llvm::ArrayRef<GraphOutput> outputs = (*graph)->getOutputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &t = (*results)[i];
    llvm::outs() << outputs[i].name << ": " << t.getType().str() << "  "
                 << describeValues(t, printCount) << "\n";
    if (outputDir.empty()) continue;
    llvm::SmallString<256> path(outputDir);
    llvm::sys::path::append(path, tensorFileStem(outputs[i].name) + ".npy");
    if (llvm::Error err = writeNpyFile(path, t)) return reportError("spcc-run", std::move(err));
  }
  return 0;
}
