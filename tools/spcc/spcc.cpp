//===- spcc.cpp - The spcc compiler driver -------------------------------===//
//
// spcc MODEL.onnx [--shape NAME=DIMS]... [--dump-ir] [--print-after=PASS]... [--summary]
//      [-o OUT.so [--target NAME] [--tune none|fast|full] [--tune-threads N]
//       [--tune-cache FILE] [--dense] [--token-major] [--no-permute] [-j N]
//       [--report FILE.json|FILE.html]] [-v]
// spcc --list-targets | --list-passes
//
// Imports the model, runs the pass pipeline and reports on the result; with -o, compiles it
// through the target registered for --target (backends/Target.h) to a standalone shared
// library loadable through the spcc runtime (spcc.h). Errors are printed as one line naming
// file, node, op and reason; the exit code says what kind of error it was.
//
//===----------------------------------------------------------------------===//
#include "backends/Target.h"
#include "compiler/frontend/RuntimeBatch.h"
#include "compiler/ir/IRPrinter.h"
#include "compiler/support/Error.h"
#include "compiler/support/Files.h"
#include "compiler/support/MemoryBudget.h"
#include "passes/MemoryPlanning.h"
#include "passes/PassPipeline.h"
#include "tools/common/CommandLine.h"
#include "tools/spcc/HtmlReport.h"
#include "tools/spcc/ModelSummary.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <csignal>
#include <cstdlib>

using namespace spcc;
namespace cl = llvm::cl;

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

/// The command line. Options are members, so they exist only while main runs.
struct DriverOptions {
  cl::OptionCategory category{"spcc options"};
  cl::opt<std::string> inputPath{cl::Positional, cl::desc("<model.onnx>"), cl::cat(category)};
  cl::list<std::string> shapes{
      "shape", cl::desc("Fix the dims of a graph input, e.g. --shape input_ids=1x128"),
      cl::value_desc("NAME=DIMS"), cl::cat(category)};
  cl::opt<bool> dumpIR{"dump-ir", cl::desc("Print the IR after the pipeline"), cl::cat(category)};
  cl::opt<bool> dumpFull{"dump-constants",
                         cl::desc("With --dump-ir / --print-after, print every constant in "
                                  "full (default: up to 16 elements)"),
                         cl::cat(category)};
  cl::list<std::string> printAfter{
      "print-after", cl::desc("Print the IR after the named pass ('import': before any)"),
      cl::value_desc("PASS"), cl::CommaSeparated, cl::cat(category)};
  cl::list<std::string> disablePass{
      "disable-pass",
      cl::desc("Skip the named pass (memory-planning: lay out every buffer separately, "
               "without reuse)"),
      cl::value_desc("PASS"), cl::CommaSeparated, cl::cat(category)};
  cl::opt<bool> summary{"summary", cl::desc("Print the op histogram and per-layer sparsity"),
                        cl::cat(category)};
  cl::opt<bool> listPasses{"list-passes", cl::desc("List the passes and exit"), cl::cat(category)};
  cl::opt<bool> listTargets{"list-targets",
                            cl::desc("List the --target names with a line on each and exit"),
                            cl::cat(category)};
  cl::opt<bool> verbose{"v", cl::desc("Report stages and timings on stderr"), cl::cat(category)};
  cl::opt<std::string> outputPath{
      "o", cl::desc("Compile the model to a shared library (load it through spcc.h)"),
      cl::value_desc("OUT.so"), cl::cat(category)};
  cl::opt<std::string> target{
      "target",
      cl::desc("With -o: the machine to compile for (--list-targets names them and marks the "
               "default)"),
      cl::cat(category)};
  cl::opt<unsigned> threads{"j",
                            cl::desc("Threads code generation may use (0: one per core)"),
                            cl::value_desc("N"),
                            cl::init(0),
                            cl::Prefix,
                            cl::cat(category)};
  cl::opt<std::string> tune{
      "tune",
      cl::desc("With -o: how weight layers choose between generated sparse code and the dense "
               "kernel: none (cost model), fast (measure a few tilings, default) or full "
               "(measure every tiling). Measuring needs a host that runs the target"),
      cl::value_desc("LEVEL"), cl::init("fast"), cl::cat(category)};
  cl::opt<int> tuneThreads{
      "tune-threads",
      cl::desc("With -o: threads each layer is timed on while tuning (default 1; 0: all cores)"),
      cl::value_desc("N"), cl::init(1), cl::cat(category)};
  cl::opt<std::string> tuneCache{
      "tune-cache",
      cl::desc("With -o: the file that keeps tuning decisions across compilations, so a model "
               "recompiles to the same bytes without measuring again (default: "
               "$XDG_CACHE_HOME/spcc/tune.txt or ~/.cache/spcc/tune.txt; empty: none)"),
      cl::value_desc("FILE"), cl::init(defaultTuneCachePath()), cl::cat(category)};
  cl::opt<bool> dense{"dense",
                      cl::desc("With -o: run every layer with the dense kernels, no generated "
                               "sparse code (the baseline to compare against)"),
                      cl::cat(category)};
  cl::opt<bool> tokenMajor{
      "token-major",
      cl::desc("With -o: transpose every sparse MatMul's input and result, even where the "
               "values around it could stay feature-major (the baseline of layout selection)"),
      cl::cat(category)};
  cl::opt<bool> noPermute{
      "no-permute",
      cl::desc("With -o: compute every unrolled layer's rows in stored order, also where the "
               "tuner measured a tile-greedy row order faster (the baseline of weight "
               "permutation)"),
      cl::cat(category)};
  cl::opt<bool> emulateGpu{
      "emulate-gpu",
      cl::desc("With -o and a GPU --target (sm_80 ... sm_90): compile the GPU kernels for this "
               "CPU instead, run by the runtime's emulated driver (checks a GPU model without "
               "a GPU: indexing and arithmetic, not races or speed)"),
      cl::cat(category)};
  cl::opt<std::string> emitPtx{
      "emit-ptx", cl::desc("With -o and a GPU --target: also write the model's PTX module to DIR"),
      cl::value_desc("DIR"), cl::cat(category)};
  cl::opt<std::string> reportPath{
      "report",
      cl::desc("With -o: write what was decided and produced per weight layer (shape, "
               "sparsity, fused epilogue, kernel and tiling, tuned times, code and CSR bytes, "
               "the weights' density grid) and the activation arena to FILE as JSON; when FILE "
               "ends in .html (upper or lower case), as one self-contained HTML page instead "
               "(time chart, layer table with each weight's sparsity pattern). The same table "
               "goes to stderr"),
      cl::value_desc("FILE.json|FILE.html"), cl::cat(category)};
  cl::opt<std::string> maxMemory{
      "max-memory",
      cl::desc("The most memory spcc may use (e.g. 8G, 512M): a model whose import or code "
               "generation is estimated to need more is refused, exit 7 (default: what ulimit -v "
               "and the machine's available memory allow)"),
      cl::value_desc("SIZE"), cl::cat(category)};
};

/// Prints every --target name the registry knows, with its line of description.
void printTargets(llvm::raw_ostream &os) {
  for (const auto &[name, target] : TargetRegistry::get().names())
    os << llvm::formatv("  {0,-12} {1} ({2} backend{3})\n", name.name, name.description,
                        target->name(), name.isDefault ? ", the default" : "");
}

/// Imports the model and runs the pass pipeline, printing the IR where asked.
llvm::Expected<std::unique_ptr<Graph>> importAndOptimize(const DriverOptions &flags,
                                                         uint64_t maxMemoryBytes, bool progress) {
  auto start = std::chrono::steady_clock::now();
  // Importing holds a model's bytes about three times at once (the file, the parsed protobuf,
  // the weights): refuse at once what cannot finish.
  uint64_t fileBytes = 0;
  if (!llvm::sys::fs::file_size(flags.inputPath, fileBytes))
    if (llvm::Error err =
            checkMemoryNeed(3 * fileBytes, "importing it (" + formatBytes(int64_t(fileBytes)) + ")",
                            maxMemoryBytes))
      return addContext(std::move(err), flags.inputPath);
  auto importOptions = importOptionsFromShapeFlags(flags.shapes);
  if (!importOptions) return importOptions.takeError();
  auto graph = importModelFile(flags.inputPath, *importOptions);
  if (!graph) return graph.takeError();
  if (flags.verbose)
    llvm::errs() << "spcc: imported " << flags.inputPath << ": " << (*graph)->getNumNodes()
                 << " nodes in " << llvm::format("%.2f", secondsSince(start)) << " s\n";

  PrintOptions printOptions;
  if (flags.dumpFull) printOptions.elideConstantsAbove = -1;
  PipelineOptions pipeline;
  pipeline.disabledPasses.insert(flags.disablePass.begin(), flags.disablePass.end());
  for (const std::string &name : flags.printAfter) {
    if (name == "import") {
      llvm::outs() << "// after import\n";
      printGraph(**graph, llvm::outs(), printOptions);
    } else {
      pipeline.printAfter.insert(name);
    }
  }
  pipeline.printStream = &llvm::outs();
  pipeline.printOptions = printOptions;
  if (progress) pipeline.log = &llvm::errs();
  if (llvm::Error err = runDefaultPipeline(**graph, pipeline))
    return addContext(std::move(err), flags.inputPath);

  if (flags.dumpIR) printGraph(**graph, llvm::outs(), printOptions);
  if (flags.summary) printModelSummary(**graph, llvm::outs());
  if (flags.verbose)
    llvm::errs() << "spcc: activation arena " << formatBytes((*graph)->getArenaBytes())
                 << " (intermediates without reuse: " << formatBytes(unsharedArenaBytes(**graph))
                 << ")\n";
  return graph;
}

/// Writes the --report document: an HTML page when its name ends in .html, else JSON.
llvm::Error writeReport(const DriverOptions &flags, const Graph &graph, const CompileReport &report,
                        double compileSeconds) {
  ReportHeader header;
  header.modelPath = flags.inputPath;
  header.outputPath = flags.outputPath;
  header.target = flags.target;
  header.nodes = int64_t(graph.getNumNodes());
  header.arenaBytes = graph.getArenaBytes();
  header.arenaBytesWithoutReuse = unsharedArenaBytes(graph);
  header.compileSeconds = compileSeconds;
  std::error_code error;
  llvm::raw_fd_ostream file(flags.reportPath, error);
  if (error)
    return makeError(ErrorCode::IO,
                     "cannot write --report file '" + flags.reportPath + "': " + error.message());
  if (llvm::StringRef(flags.reportPath).ends_with_insensitive(".html")) {
    writeHtmlReport(file, header, report);
  } else {
    llvm::json::Object document{
        {"model", header.modelPath},
        {"output", header.outputPath},
        {"target", header.target},
        {"nodes", header.nodes},
        {"arena_bytes", header.arenaBytes},
        {"arena_bytes_without_reuse", header.arenaBytesWithoutReuse},
        {"compile_seconds", header.compileSeconds},
        {"compile", toJson(report)},
    };
    file << llvm::formatv("{0:2}", llvm::json::Value(std::move(document))) << "\n";
  }
  return finishWriting(file, "--report file '" + flags.reportPath + "'");
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // A write past the file size limit (ulimit -f) fails with EFBIG and is reported as an i/o
  // error like a full disk's, instead of the signal ending spcc with a crash report.
  std::signal(SIGXFSZ, SIG_IGN);
  reserveOptionNames({"shape",       "dump-ir",      "dump-constants",
                      "print-after", "disable-pass", "summary",
                      "list-passes", "list-targets", "v",
                      "o",           "target",       "j",
                      "tune",        "tune-threads", "tune-cache",
                      "dense",       "token-major",  "no-permute",
                      "report",      "max-memory",   "emulate-gpu",
                      "emit-ptx"});
  DriverOptions flags;
  cl::HideUnrelatedOptions(flags.category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "spcc: ahead-of-time compiler for pruned neural networks\n\n"
      "  Imports an ONNX model (opsets 7-21), fixes its input shapes, folds what is known at\n"
      "  compile time and reports on the result; with -o, compiles it to a model .so.\n");

  if (flags.listPasses) {
    for (const std::string &name : passNames()) llvm::outs() << name << "\n";
    return 0;
  }
  if (flags.listTargets) {
    printTargets(llvm::outs());
    return 0;
  }
  if (flags.inputPath.empty())
    return reportError("spcc", makeError(ErrorCode::InvalidArgument,
                                         "no model given (spcc MODEL.onnx -o OUT.so; --help)"));
  if (!flags.reportPath.empty() && flags.outputPath.empty())
    return reportError("spcc", makeError(ErrorCode::InvalidArgument,
                                         "--report describes a compilation: it needs -o OUT.so"));
  std::optional<uint64_t> maxMemoryBytes = uint64_t(0);
  if (!flags.maxMemory.empty()) maxMemoryBytes = parseByteSize(flags.maxMemory);
  if (!maxMemoryBytes || (!flags.maxMemory.empty() && *maxMemoryBytes == 0))
    return reportError("spcc", makeError(ErrorCode::InvalidArgument,
                                         "--max-memory: expected a size such as 8G or 512M, got '" +
                                             flags.maxMemory + "'"));
  std::optional<TuneLevel> tuneLevel = parseTuneLevel(flags.tune);
  if (!tuneLevel)
    return reportError("spcc",
                       makeError(ErrorCode::InvalidArgument,
                                 "--tune: unknown level '" + flags.tune + "' (none, fast, full)"));
  // Outputs are checked before anything is written: only regular files, never the model itself.
  for (const auto &[flag, path] :
       {std::pair<llvm::StringRef, const std::string *>{"-o", &flags.outputPath},
        {"--report", &flags.reportPath},
        {"--tune-cache", &flags.tuneCache.getValue()}})
    if (!path->empty() && !flags.outputPath.empty())
      if (llvm::Error err = checkOutputPath(*path, flag, flags.inputPath))
        return reportError("spcc", std::move(err));
  // The target is looked up before the model is read, so a misspelt name fails at once.
  if (flags.target.empty()) flags.target = TargetRegistry::get().defaultTargetName();
  llvm::Expected<const Target &> target = TargetRegistry::get().lookup(flags.target);
  if (!target) return reportError("spcc", addContext(target.takeError(), "--target"));
  if ((flags.emulateGpu || !flags.emitPtx.empty()) && target->name() != "ptx")
    return reportError("spcc",
                       makeError(ErrorCode::InvalidArgument,
                                 std::string(flags.emulateGpu ? "--emulate-gpu" : "--emit-ptx") +
                                     " needs a GPU --target (sm_80, sm_86, sm_89, "
                                     "sm_90), not '" +
                                     flags.target + "'"));

  // An allocation that fails from here on ends spcc with one line and exit 7, not an abort.
  installOutOfMemoryExit("spcc", flags.inputPath);
  auto start = std::chrono::steady_clock::now();
  // Long compiles (-o) show their stages when someone watches stderr.
  bool progress = flags.verbose || (!flags.outputPath.empty() && llvm::errs().is_displayed());
  auto graph = importAndOptimize(flags, *maxMemoryBytes, progress);
  if (!graph) return reportError("spcc", graph.takeError());

  if (!flags.outputPath.empty()) {
    CompileOptions compile;
    compile.target = flags.target;
    compile.outputPath = flags.outputPath;
    compile.executablePath =
        llvm::sys::fs::getMainExecutable(argv[0], reinterpret_cast<void *>(&formatBytes));
    compile.threads = flags.threads;
    compile.tune = *tuneLevel;
    compile.tuneThreads = flags.tuneThreads;
    compile.tuneCachePath = flags.tuneCache;
    compile.maxMemoryBytes = *maxMemoryBytes;
    compile.denseOnly = flags.dense;
    compile.selectLayouts = !flags.tokenMajor;
    compile.permuteRows = !flags.noPermute;
    compile.emulateGpu = flags.emulateGpu;
    compile.emitPtxDir = flags.emitPtx;
    if (progress) compile.log = &llvm::errs();
    compile.warnings = &llvm::errs();
    CompileReport report;
    if (llvm::Error err = target->compile(**graph, compile, report))
      return reportError("spcc", addContext(std::move(err), flags.inputPath));
    if (!flags.reportPath.empty()) {
      if (!progress) printLayerTable(llvm::errs(), report);
      if (llvm::Error err = writeReport(flags, **graph, report, secondsSince(start)))
        return reportError("spcc", std::move(err));
    }
  }
  if (flags.verbose)
    llvm::errs() << "spcc: done in " << llvm::format("%.2f", secondsSince(start)) << " s\n";
  return 0;
}
