#include "passes/PassPipeline.h"

#include "compiler/ir/IRPrinter.h"
#include "compiler/ir/Verifier.h"
#include "compiler/support/Error.h"

#include "llvm/Support/Format.h"

#include <chrono>

namespace spcc {

#define SPCC_PASS(Class, Name) std::unique_ptr<Pass> create##Class();
#include "passes/Passes.def"

namespace {
/// One step of the pipeline: a pass, optionally repeated until it stops changing the graph.
struct PipelineStage {
  const char *pass;
  bool untilFixedPoint = false;
};

/// Code generation needs every value's arena offset, so disabling memory planning keeps the
/// pass and only turns buffer reuse off.
constexpr llvm::StringLiteral kMemoryPlanning = "memory-planning";

/// The default pipeline, as data.
const PipelineStage kDefaultPipeline[] = {
    {"constant-folding"},
    // After folding, which makes the weights constants; what they write is then ordinary
    // nodes for the passes below.
    {"expand-einsum"},
    {"expand-normalizations"},
    {"expand-recurrent"},
    {"expand-conv-transpose"},
    {"dead-code"},
    // Exporters' spelled-out GELU and LayerNorm as single ops, before fusion looks for a Gelu.
    {"recognize-gelu"},
    {"recognize-layer-norm"},
    // Before fuse-epilogues, which rewrites MatMuls and Adds this pattern is made of.
    {"fuse-attention"},
    // Before fusion, so that a Conv's epilogue follows it directly.
    {"fold-batch-norm"},
    {"fuse-epilogues"},
    // Last: offsets are only valid for the final graph.
    {kMemoryPlanning.data()},
};

constexpr int kMaxFixedPointIterations = 16;
} // namespace

std::unique_ptr<Pass> createPassByName(llvm::StringRef name) {
#define SPCC_PASS(Class, Name)                                                                     \
  if (name == Name) return create##Class();
#include "passes/Passes.def"
  return nullptr;
}

std::vector<std::string> passNames() {
  std::vector<std::string> names;
#define SPCC_PASS(Class, Name) names.push_back(Name);
#include "passes/Passes.def"
  return names;
}

llvm::Error runDefaultPipeline(Graph &graph, const PipelineOptions &options) {
  for (const std::string &name : options.disabledPasses)
    if (!createPassByName(name))
      return makeError(ErrorCode::InvalidArgument, "--disable-pass: no pass named '" + name + "'");
  for (const std::string &name : options.printAfter)
    if (!createPassByName(name))
      return makeError(ErrorCode::InvalidArgument, "--print-after: no pass named '" + name + "'");

  PassOptions passOptions = options.passOptions;
  if (options.disabledPasses.count(kMemoryPlanning.str())) passOptions.reuseBuffers = false;
  for (const PipelineStage &stage : kDefaultPipeline) {
    if (options.disabledPasses.count(stage.pass) && stage.pass != kMemoryPlanning) continue;
    std::unique_ptr<Pass> pass = createPassByName(stage.pass);
    assert(pass && "pipeline names an unregistered pass");
    auto start = std::chrono::steady_clock::now();
    for (int iteration = 0; iteration < kMaxFixedPointIterations; ++iteration) {
      auto changed = pass->run(graph, passOptions);
      if (!changed) return addContext(changed.takeError(), llvm::Twine("pass ") + stage.pass);
      if (*changed)
        if (llvm::Error err = verifyGraph(graph))
          return addContext(std::move(err), llvm::Twine("verifier after pass ") + stage.pass);
      if (!*changed || !stage.untilFixedPoint) break;
    }
    if (options.log) {
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      *options.log << "spcc: pass " << stage.pass << ": " << llvm::format("%.1f", ms) << " ms, "
                   << graph.getNumNodes() << " nodes\n";
    }
    if (options.printAfter.count(stage.pass) && options.printStream) {
      *options.printStream << "// after " << stage.pass << "\n";
      printGraph(graph, *options.printStream, options.printOptions);
    }
  }
  return llvm::Error::success();
}

} // namespace spcc
