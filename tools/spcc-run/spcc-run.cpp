//===- spcc-run.cpp - Run a model once -----------------------------------===//
//
// spcc-run MODEL.onnx|MODEL.so [--shape NAME=DIMS]... -i NAME=FILE... [-o DIR] [--random-inputs]
//          [--batch B]
//
// Evaluates an .onnx model with spcc's reference evaluator (after the compiler's pass pipeline),
// or runs a model compiled by `spcc -o MODEL.so` through the runtime's C API (spcc.h), on inputs
// read from .npy or ONNX TensorProto .pb files; prints a line per output, and writes one .npy
// per output into DIR, named after the output. For a .so, --shape flags must match the shapes
// it was compiled for. A run-time batch (--shape NAME=Nx..., or a .so compiled with one) takes
// its size from --batch, else from the first batched input given with -i, else 1.
//
//===----------------------------------------------------------------------===//
#include "compiler/eval/Interpreter.h"
#include "compiler/frontend/OnnxImporter.h"
#include "compiler/frontend/TensorProtoReader.h"
#include "compiler/support/Error.h"
#include "compiler/support/NpyFile.h"
#include "passes/PassPipeline.h"
#include "tools/common/CommandLine.h"

#include "spcc/spcc.h"

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

/// One input or output of a model, whichever way it runs.
struct ModelTensor {
  std::string name;
  TensorType type;
};

/// Whether dim 0 of \p type is the run-time batch (-1).
bool isBatched(const TensorType &type) { return type.getRank() > 0 && type.getDim(0) < 0; }

/// \p type with a run-time batch dim set to \p batch.
TensorType withBatch(const TensorType &type, int64_t batch) {
  if (!isBatched(type)) return type;
  llvm::SmallVector<int64_t, 4> dims(type.getDims().begin(), type.getDims().end());
  dims[0] = batch;
  return TensorType(type.getDType(), dims);
}

/// The error code of a C API status.
ErrorCode errorCodeOf(spcc_status status) {
  switch (status) {
  case SPCC_ERR_INVALID_ARGUMENT: return ErrorCode::InvalidArgument;
  case SPCC_ERR_IO: return ErrorCode::IO;
  case SPCC_ERR_BAD_MODEL:
  case SPCC_ERR_ABI_MISMATCH: return ErrorCode::BadModel;
  case SPCC_ERR_SHAPE: return ErrorCode::Shape;
  case SPCC_ERR_UNSUPPORTED:
  case SPCC_ERR_DEVICE: return ErrorCode::Unsupported; // this machine cannot run the model
  default: return ErrorCode::Internal;
  }
}

llvm::Error apiError(spcc_status status) {
  return makeError(errorCodeOf(status), spcc_last_error());
}

std::optional<DType> dtypeOf(spcc_dtype dtype) {
  switch (dtype) {
  case SPCC_FLOAT32: return DType::Float32;
  case SPCC_INT64: return DType::Int64;
  case SPCC_INT32: return DType::Int32;
  case SPCC_BOOL: return DType::Bool;
  case SPCC_FLOAT16: return DType::Float16;
  case SPCC_INT8: return DType::Int8;
  case SPCC_UINT8: return DType::UInt8;
  }
  return std::nullopt;
}

/// A model .so loaded through the C API, with one context.
class CompiledModel {
public:
  CompiledModel() = default;
  CompiledModel(const CompiledModel &) = delete;
  CompiledModel &operator=(const CompiledModel &) = delete;
  ~CompiledModel() {
    spcc_context_free(context);
    spcc_model_free(model);
  }

  llvm::Error load(const std::string &path) {
    if (spcc_status status = spcc_model_load(path.c_str(), &model)) return apiError(status);
    if (spcc_status status = spcc_context_create(model, 0, &context)) return apiError(status);
    for (int i = 0; i < spcc_model_num_inputs(model); ++i) {
      spcc_tensor_info info;
      if (spcc_status status = spcc_model_input(model, i, &info)) return apiError(status);
      auto tensor = describe(info);
      if (!tensor) return tensor.takeError();
      inputs.push_back(*tensor);
    }
    for (int i = 0; i < spcc_model_num_outputs(model); ++i) {
      spcc_tensor_info info;
      if (spcc_status status = spcc_model_output(model, i, &info)) return apiError(status);
      auto tensor = describe(info);
      if (!tensor) return tensor.takeError();
      outputs.push_back(*tensor);
    }
    return llvm::Error::success();
  }

  /// Runs the model on \p feeds (in input order, of the inputs' types at \p batch).
  llvm::Expected<std::vector<Tensor>> run(const std::vector<Tensor> &feeds, int64_t batch) {
    std::vector<const void *> in;
    for (const Tensor &t : feeds) in.push_back(t.getBytes().data());
    std::vector<Tensor> results;
    std::vector<void *> out;
    for (const ModelTensor &o : outputs) {
      results.emplace_back(withBatch(o.type, batch));
      out.push_back(results.back().getMutableBytes().data());
    }
    if (spcc_status status = spcc_run_batch(context, batch, in.data(), out.data()))
      return apiError(status);
    return results;
  }

  std::vector<ModelTensor> inputs;
  std::vector<ModelTensor> outputs;

private:
  static llvm::Expected<ModelTensor> describe(const spcc_tensor_info &info) {
    std::optional<DType> dtype = dtypeOf(info.dtype);
    if (!dtype)
      return makeError(ErrorCode::BadModel, llvm::Twine("tensor '") + info.name +
                                                "' has an unknown dtype " +
                                                llvm::Twine(int(info.dtype)));
    return ModelTensor{info.name, TensorType(*dtype, llvm::ArrayRef(info.dims, info.rank))};
  }

  spcc_model *model = nullptr;
  spcc_context *context = nullptr;
};

/// The command line. Options are members, so they exist only while main runs.
struct RunOptions {
  llvm::cl::OptionCategory category{"spcc-run options"};
  llvm::cl::opt<std::string> modelPath{llvm::cl::Positional,
                                       llvm::cl::desc("<model.onnx|model.so>"), llvm::cl::Required,
                                       llvm::cl::cat(category)};
  llvm::cl::list<std::string> shapes{"shape", llvm::cl::desc("Fix the dims of a graph input"),
                                     llvm::cl::value_desc("NAME=DIMS"), llvm::cl::cat(category)};
  llvm::cl::list<std::string> inputs{"i", llvm::cl::desc("Input data: .npy or TensorProto .pb"),
                                     llvm::cl::value_desc("NAME=FILE"), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> outputDir{"o", llvm::cl::desc("Write one NAME.npy per output here"),
                                       llvm::cl::value_desc("DIR"), llvm::cl::cat(category)};
  llvm::cl::opt<bool> randomInputs{"random-inputs",
                                   llvm::cl::desc("Fill inputs not given with -i with random data"),
                                   llvm::cl::cat(category)};
  llvm::cl::opt<unsigned> seed{"seed", llvm::cl::desc("Seed for --random-inputs"),
                               llvm::cl::init(0), llvm::cl::cat(category)};
  llvm::cl::opt<int> printCount{"print", llvm::cl::desc("Values shown per output"),
                                llvm::cl::init(8), llvm::cl::cat(category)};
  llvm::cl::opt<unsigned> batchFlag{
      "batch",
      llvm::cl::desc("Samples to run through a run-time batch (default: as many as the first "
                     "batched -i input holds, else 1)"),
      llvm::cl::value_desc("B"), llvm::cl::init(0), llvm::cl::cat(category)};
};

/// One run of a model, compiled (.so, through the C API) or by the reference evaluator (.onnx);
/// run() calls the stages in order.
class ModelRun {
public:
  explicit ModelRun(const RunOptions &options)
      : options(options), modelPath(options.modelPath),
        compiled(llvm::StringRef(modelPath).ends_with(".so")) {}

  llvm::Error run() {
    if (!compiled && !llvm::StringRef(modelPath).ends_with(".onnx"))
      return makeError(ErrorCode::InvalidArgument, modelPath + ": expected an .onnx or .so model");
    auto shapes = importOptionsFromShapeFlags(options.shapes);
    if (!shapes) return shapes.takeError();
    importOptions = std::move(*shapes);
    for (auto stage : {&ModelRun::readFeeds, &ModelRun::open, &ModelRun::fillMissingInputs,
                       &ModelRun::compute, &ModelRun::writeOutputs})
      if (llvm::Error err = (this->*stage)()) return err;
    return llvm::Error::success();
  }

private:
  /// The tensors of every -i NAME=FILE.
  llvm::Error readFeeds() {
    for (const std::string &flag : options.inputs) {
      auto [name, path] = llvm::StringRef(flag).split('=');
      if (name.empty() || path.empty())
        return makeError(ErrorCode::InvalidArgument, "-i expects NAME=FILE, got '" + flag + "'");
      auto tensor = readTensorFile(path);
      if (!tensor) return tensor.takeError();
      feeds[name.str()] = std::move(*tensor);
    }
    return llvm::Error::success();
  }

  /// The run-time batch: --batch, else dim 0 of the first of \p batchedInputs given, else 1.
  int64_t batchOf(llvm::ArrayRef<std::string> batchedInputs) const {
    if (options.batchFlag > 0) return options.batchFlag;
    for (const std::string &name : batchedInputs) {
      auto feed = feeds.find(name);
      if (feed != feeds.end() && feed->second.getType().getRank() > 0)
        return feed->second.getType().getDim(0);
    }
    return 1;
  }

  llvm::Error open() { return compiled ? openLibrary() : openReference(); }

  /// Loads the .so; --shape may only restate the shapes it was compiled for.
  llvm::Error openLibrary() {
    // The loader's messages name the file.
    if (llvm::Error err = library.load(modelPath)) return err;
    modelInputs = library.inputs;
    modelOutputs = library.outputs;
    for (const auto &[name, dims] : importOptions.inputShapes) {
      auto it = llvm::find_if(modelInputs, [&](const ModelTensor &t) { return t.name == name; });
      if (it == modelInputs.end())
        return makeError(ErrorCode::InvalidArgument,
                         "--shape: the model has no input '" + name + "'");
      if (llvm::ArrayRef(dims) != it->type.getDims())
        return makeError(ErrorCode::Shape, "--shape " + name + "=" + dimsToString(dims) + ": " +
                                               modelPath + " was compiled for " + it->type.str());
    }
    std::vector<std::string> batchedInputs;
    for (const ModelTensor &t : modelInputs)
      if (isBatched(t.type)) batchedInputs.push_back(t.name);
    batch = batchOf(batchedInputs);
    for (ModelTensor &t : modelInputs) t.type = withBatch(t.type, batch);
    for (ModelTensor &t : modelOutputs) t.type = withBatch(t.type, batch);
    return llvm::Error::success();
  }

  /// Imports the .onnx and runs the pass pipeline; the reference evaluation runs the whole batch
  /// at once, so N becomes its size.
  llvm::Error openReference() {
    std::vector<std::string> batchedInputs;
    for (const auto &[name, dims] : importOptions.inputShapes)
      if (!dims.empty() && dims[0] == kRuntimeBatchDim) batchedInputs.push_back(name);
    batch = batchOf(batchedInputs);
    for (const std::string &name : batchedInputs) importOptions.inputShapes[name][0] = batch;
    auto imported = importOnnxFile(modelPath, importOptions);
    if (!imported) return imported.takeError();
    graph = std::move(*imported);
    if (llvm::Error err = runDefaultPipeline(*graph, PipelineOptions()))
      return addContext(std::move(err), modelPath);
    for (const Value *in : graph->getInputs())
      modelInputs.push_back({in->getName(), in->getType()});
    for (const GraphOutput &out : graph->getOutputs())
      modelOutputs.push_back({out.name, out.value->getType()});
    return llvm::Error::success();
  }

  /// Random data for inputs without -i, where --random-inputs allows it.
  llvm::Error fillMissingInputs() {
    std::mt19937 rng(options.seed);
    for (const ModelTensor &in : modelInputs) {
      if (feeds.count(in.name)) continue;
      if (!options.randomInputs)
        return makeError(ErrorCode::InvalidArgument, "no data for input '" + in.name + "' (" +
                                                         in.type.str() + "); pass -i " + in.name +
                                                         "=FILE or --random-inputs");
      feeds[in.name] = randomInput(in.type, rng);
    }
    return llvm::Error::success();
  }

  llvm::Error compute() {
    llvm::Expected<std::vector<Tensor>> outputs = std::vector<Tensor>();
    if (compiled) {
      std::vector<Tensor> ordered;
      for (const ModelTensor &in : modelInputs) {
        const Tensor &feed = feeds[in.name];
        if (feed.getType() != in.type)
          return makeError(ErrorCode::Shape, "input '" + in.name + "': expected " + in.type.str() +
                                                 ", got " + feed.getType().str());
        ordered.push_back(feed);
      }
      outputs = library.run(ordered, batch);
    } else {
      outputs = interpretGraph(*graph, feeds);
    }
    if (!outputs) return addContext(outputs.takeError(), modelPath);
    results = std::move(*outputs);
    return llvm::Error::success();
  }

  /// Prints each output's summary; with -o, writes it as DIR/NAME.npy.
  llvm::Error writeOutputs() {
    const std::string &outputDir = options.outputDir;
    if (!outputDir.empty())
      if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
        return makeError(ErrorCode::IO, outputDir + ": cannot create: " + ec.message());
    for (size_t i = 0; i < modelOutputs.size(); ++i) {
      const Tensor &t = results[i];
      llvm::outs() << modelOutputs[i].name << ": " << t.getType().str() << "  "
                   << describeValues(t, options.printCount) << "\n";
      if (outputDir.empty()) continue;
      llvm::SmallString<256> path(outputDir);
      llvm::sys::path::append(path, tensorFileStem(modelOutputs[i].name) + ".npy");
      if (llvm::Error err = writeNpyFile(path, t)) return err;
    }
    return llvm::Error::success();
  }

  const RunOptions &options;
  std::string modelPath;
  bool compiled;
  ImportOptions importOptions;
  std::map<std::string, Tensor> feeds;
  // The model's inputs and outputs, and how to run it.
  std::vector<ModelTensor> modelInputs, modelOutputs;
  std::unique_ptr<Graph> graph;
  CompiledModel library;
  int64_t batch = 1;
  std::vector<Tensor> results;
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  reserveOptionNames({"shape", "i", "o", "random-inputs", "seed", "print", "batch"});
  RunOptions options;
  llvm::cl::HideUnrelatedOptions(options.category);
  llvm::cl::ParseCommandLineOptions(argc, argv, "spcc-run: run a model once\n");
  if (llvm::Error err = ModelRun(options).run()) return reportError("spcc-run", std::move(err));
  return 0;
}
