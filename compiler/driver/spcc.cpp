//===- spcc.cpp - The spcc compiler driver -------------------------------===//
//
// spcc MODEL.onnx [--shape NAME=DIMS]... [--dump-ir] [--print-after=PASS]... [--summary]
//
// Imports the model, runs the pass pipeline and reports on the result. Errors are printed as
// one line naming file, node, op and reason; the exit code says what kind of error it was.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/ModelSummary.h"
#include "compiler/frontend/OnnxImporter.h"
#include "compiler/ir/IRPrinter.h"
#include "compiler/support/CommandLine.h"
#include "compiler/support/Error.h"
#include "passes/PassPipeline.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace spcc;

namespace {
/// Seconds since \p start, for -v.
double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  reserveOptionNames({"shape", "dump-ir", "dump-constants", "print-after", "disable-pass",
                      "summary", "list-passes", "v"});
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
  llvm::cl::list<std::string> disablePass("disable-pass", llvm::cl::desc("Skip the named pass"),
                                          llvm::cl::value_desc("PASS"), llvm::cl::CommaSeparated,
                                          llvm::cl::cat(category));
  llvm::cl::opt<bool> summary("summary",
                              llvm::cl::desc("Print the op histogram and per-layer sparsity"),
                              llvm::cl::cat(category));
  llvm::cl::opt<bool> listPasses("list-passes", llvm::cl::desc("List the passes and exit"),
                                 llvm::cl::cat(category));
  llvm::cl::opt<bool> verbose("v", llvm::cl::desc("Report stages and timings on stderr"),
                              llvm::cl::cat(category));
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
  auto start = std::chrono::steady_clock::now();
  auto importOptions = importOptionsFromShapeFlags(shapes);
  if (!importOptions) return reportError("spcc", importOptions.takeError());
  auto graph = importOnnxFile(inputPath, *importOptions);
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
  if (verbose) pipeline.log = &llvm::errs();
  if (llvm::Error err = runDefaultPipeline(**graph, pipeline))
    return reportError("spcc", addContext(std::move(err), inputPath));

  if (dumpIR) printGraph(**graph, llvm::outs(), printOptions);
  if (summary) printModelSummary(**graph, llvm::outs());
  if (verbose)
    llvm::errs() << "spcc: done in " << llvm::format("%.2f", secondsSince(start)) << " s\n";
  return 0;
}
