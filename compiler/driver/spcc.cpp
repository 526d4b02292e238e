//===- spcc.cpp - The spcc compiler driver -------------------------------===//
//
// spcc MODEL.onnx [--shape NAME=DIMS]... [--dump-ir] [--print-after=PASS]... [--summary]
//      [-o OUT.so [--target host|x86-64-v3|x86-64-v4] [--tune none|fast|full]
//       [--tune-threads N] [--tune-cache FILE] [--dense] [--token-major] [--no-permute]
//       [-j N] [--report FILE.json]] [-v]
//
// Imports the model, runs the pass pipeline and reports on the result; with -o, compiles it to a
// standalone shared library loadable through the spcc runtime (spcc.h). Errors are printed as
// one line naming file, node, op and reason; the exit code says what kind of error it was.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/ModelSummary.h"
#include "compiler/frontend/OnnxImporter.h"
#include "compiler/ir/IRPrinter.h"
#include "compiler/support/CommandLine.h"
#include "compiler/support/Error.h"
#include "passes/MemoryPlanning.h"
#include "passes/PassPipeline.h"
#include "passes/RuntimeBatch.h"
#include "backends/x86/ModelCompiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>

using namespace spcc;

namespace {
/// Seconds since \p start, for -v.
double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// "1.5 MiB"-style size for reports.
std::string formatBytes(int64_t bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (bytes < 1024)
    os << bytes << " B";
  else if (bytes < 1024 * 1024)
    os << llvm::format("%.1f KiB", bytes / 1024.0);
  else
    os << llvm::format("%.1f MiB", bytes / (1024.0 * 1024.0));
  return text;
}
/// $XDG_CACHE_HOME/spcc/tune.txt, else ~/.cache/spcc/tune.txt, else none.
std::string defaultTuneCachePath() {
  llvm::SmallString<128> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    path = xdg;
  } else if (const char *home = std::getenv("HOME"); home && *home) {
    path = home;
    llvm::sys::path::append(path, ".cache");
  } else {
    return "";
  }
  llvm::sys::path::append(path, "spcc", "tune.txt");
  return path.str().str();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  reserveOptionNames({"shape", "dump-ir", "dump-constants", "print-after", "disable-pass",
                      "summary", "list-passes", "v", "o", "target", "j", "tune",
                      "tune-threads", "tune-cache", "dense", "token-major", "no-permute",
                      "report"});
  llvm::cl::OptionCategory category("spcc options");
  llvm::cl::opt<std::string> inputPath(llvm::cl::Positional, llvm::cl::desc("<model.onnx>"),
                                       llvm::cl::Required, llvm::cl::cat(category));
  llvm::cl::list<std::string> shapes(
      "shape", llvm::cl::desc("Fix the dims of a graph input, e.g. --shape input_ids=1x128"),
      llvm::cl::value_desc("NAME=DIMS"), llvm::cl::cat(category));
  llvm::cl::opt<bool> dumpIR("dump-ir", llvm::cl::desc("Print the IR after the pipeline"),
                             llvm::cl::cat(category));
  llvm::cl::opt<bool> dumpFull("dump-constants",
                               llvm::cl::desc("With --dump-ir / --print-after, print every "
                                              "constant in full (default: up to 16 elements)"),
                               llvm::cl::cat(category));
  llvm::cl::list<std::string> printAfter(
      "print-after", llvm::cl::desc("Print the IR after the named pass ('import': before any)"),
      llvm::cl::value_desc("PASS"), llvm::cl::CommaSeparated, llvm::cl::cat(category));
  llvm::cl::list<std::string> disablePass("disable-pass", llvm::cl::desc("Skip the named pass (memory-planning: lay out every "
                                                         "buffer separately, without reuse)"),
                                          llvm::cl::value_desc("PASS"), llvm::cl::CommaSeparated,
                                          llvm::cl::cat(category));
  llvm::cl::opt<bool> summary("summary",
                              llvm::cl::desc("Print the op histogram and per-layer sparsity"),
                              llvm::cl::cat(category));
  llvm::cl::opt<bool> listPasses("list-passes", llvm::cl::desc("List the passes and exit"),
                                 llvm::cl::cat(category));
  llvm::cl::opt<bool> verbose("v", llvm::cl::desc("Report stages and timings on stderr"),
                              llvm::cl::cat(category));
  llvm::cl::opt<std::string> outputPath(
      "o", llvm::cl::desc("Compile the model to a shared library (load it through spcc.h)"),
      llvm::cl::value_desc("OUT.so"), llvm::cl::cat(category));
  llvm::cl::opt<std::string> target(
      "target",
      llvm::cl::desc("With -o: the machine to compile for: host, x86-64-v3 (AVX2, default) or "
                     "x86-64-v4 (AVX-512)"),
      llvm::cl::init("x86-64-v3"), llvm::cl::cat(category));
  llvm::cl::opt<unsigned> threads(
      "j", llvm::cl::desc("Threads code generation may use (0: one per core)"),
      llvm::cl::value_desc("N"), llvm::cl::init(0), llvm::cl::Prefix, llvm::cl::cat(category));
  llvm::cl::opt<std::string> tune(
      "tune",
      llvm::cl::desc("With -o: how weight layers choose between generated sparse code and the "
                     "dense kernel: none (cost model), fast (measure a few tilings, default) or "
                     "full (measure every tiling). Measuring needs a host that runs the target"),
      llvm::cl::value_desc("LEVEL"), llvm::cl::init("fast"), llvm::cl::cat(category));
  llvm::cl::opt<int> tuneThreads(
      "tune-threads",
      llvm::cl::desc("With -o: threads layers are timed with while tuning (0: all cores)"),
      llvm::cl::value_desc("N"), llvm::cl::init(0), llvm::cl::cat(category));
  llvm::cl::opt<std::string> tuneCache(
      "tune-cache",
      llvm::cl::desc("With -o: the file that keeps tuning decisions across compilations, so a "
                     "model recompiles to the same bytes without measuring again (default: "
                     "$XDG_CACHE_HOME/spcc/tune.txt or ~/.cache/spcc/tune.txt; empty: none)"),
      llvm::cl::value_desc("FILE"), llvm::cl::init(defaultTuneCachePath()),
      llvm::cl::cat(category));
  llvm::cl::opt<bool> dense(
      "dense",
      llvm::cl::desc("With -o: run every layer with the dense kernels, no generated sparse code "
                     "(the baseline to compare against)"),
      llvm::cl::cat(category));
  llvm::cl::opt<bool> tokenMajor(
      "token-major",
      llvm::cl::desc("With -o: transpose every sparse MatMul's input and result, even where "
                     "the values around it could stay feature-major (the baseline of layout "
                     "selection)"),
      llvm::cl::cat(category));
  llvm::cl::opt<bool> noPermute(
      "no-permute",
      llvm::cl::desc("With -o: compute every unrolled layer's rows in stored order, also where "
                     "the tuner measured a tile-greedy row order faster (the baseline of weight "
                     "permutation)"),
      llvm::cl::cat(category));
  llvm::cl::opt<std::string> reportPath(
      "report",
      llvm::cl::desc("With -o: write what was decided and produced per weight layer (shape, "
                     "sparsity, fused epilogue, kernel and tiling, tuned times, code and CSR "
                     "bytes) and the activation arena as JSON to FILE; the same table goes to "
                     "stderr"),
      llvm::cl::value_desc("FILE.json"), llvm::cl::cat(category));
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "spcc: ahead-of-time compiler for pruned neural networks\n\n"
      "  Imports an ONNX model (opsets 11-17), fixes its input shapes, folds what is known at\n"
      "  compile time and reports on the result.\n");

  if (listPasses) {
    for (const std::string &name : passNames()) llvm::outs() << name << "\n";
    return 0;
  }
  if (!reportPath.empty() && outputPath.empty())
    return reportError("spcc", makeError(ErrorCode::InvalidArgument,
                                         "--report describes a compilation: it needs -o OUT.so"));
  std::optional<x86::TuneLevel> tuneLevel = x86::parseTuneLevel(tune);
  if (!tuneLevel)
    return reportError("spcc", makeError(ErrorCode::InvalidArgument,
                                         "--tune: unknown level '" + tune +
                                             "' (none, fast, full)"));
  auto start = std::chrono::steady_clock::now();
  auto importOptions = importOptionsFromShapeFlags(shapes);
  if (!importOptions) return reportError("spcc", importOptions.takeError());
  auto graph = importModelFile(inputPath, *importOptions);
  if (!graph) return reportError("spcc", graph.takeError());
  if (verbose)
    llvm::errs() << "spcc: imported " << inputPath << ": " << (*graph)->getNumNodes() << " nodes in "
                 << llvm::format("%.2f", secondsSince(start)) << " s\n";

  PrintOptions printOptions;
  if (dumpFull) printOptions.elideConstantsAbove = -1;
  PipelineOptions pipeline;
  pipeline.disabledPasses.insert(disablePass.begin(), disablePass.end());
  for (const std::string &name : printAfter) {
    if (name == "import") {
      llvm::outs() << "// after import\n";
      printGraph(**graph, llvm::outs(), printOptions);
    } else {
      pipeline.printAfter.insert(name);
    }
  }
  pipeline.printStream = &llvm::outs();
  pipeline.printOptions = printOptions;
  // Long compiles (-o) show their stages when someone watches stderr.
  bool progress = verbose || (!outputPath.empty() && llvm::errs().is_displayed());
  if (progress) pipeline.log = &llvm::errs();
  if (llvm::Error err = runDefaultPipeline(**graph, pipeline))
    return reportError("spcc", addContext(std::move(err), inputPath));

  if (dumpIR) printGraph(**graph, llvm::outs(), printOptions);
  if (summary) printModelSummary(**graph, llvm::outs());
  if (verbose)
    llvm::errs() << "spcc: activation arena " << formatBytes((*graph)->getArenaBytes())
                 << " (intermediates without reuse: " << formatBytes(unsharedArenaBytes(**graph))
                 << ")\n";

  if (!outputPath.empty()) {
    x86::CompileOptions compile;
    compile.target = target;
    compile.outputPath = outputPath;
    compile.executablePath =
        llvm::sys::fs::getMainExecutable(argv[0], reinterpret_cast<void *>(&formatBytes));
    compile.threads = threads;
    compile.tune = *tuneLevel;
    compile.tuneThreads = tuneThreads;
    compile.tuneCachePath = tuneCache;
    compile.denseOnly = dense;
    compile.selectLayouts = !tokenMajor;
    compile.permuteRows = !noPermute;
    // Progress per stage when someone watches stderr, or with -v.
    if (progress) compile.log = &llvm::errs();
    x86::CompileReport report;
    compile.report = &report;
    if (llvm::Error err = x86::compileModel(**graph, compile))
      return reportError("spcc", addContext(std::move(err), inputPath));
    if (!reportPath.empty()) {
      if (!progress) x86::printLayerTable(llvm::errs(), report);
      llvm::json::Object document{
          {"model", inputPath.getValue()},
          {"output", outputPath.getValue()},
          {"nodes", int64_t((*graph)->getNumNodes())},
          {"arena_bytes", (*graph)->getArenaBytes()},
          {"arena_bytes_without_reuse", unsharedArenaBytes(**graph)},
          {"compile_seconds", secondsSince(start)},
          {"compile", x86::toJson(report)},
      };
      std::error_code error;
      llvm::raw_fd_ostream file(reportPath, error);
      if (error)
        return reportError("spcc", makeError(ErrorCode::IO, "cannot write --report file '" +
                                                                 reportPath + "': " +
                                                                 error.message()));
      file << llvm::formatv("{0:2}", llvm::json::Value(std::move(document))) << "\n";
    }
  }
  if (verbose)
    llvm::errs() << "spcc: done in " << llvm::format("%.2f", secondsSince(start)) << " s\n";
  return 0;
}
