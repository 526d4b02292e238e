//===- PassPipeline.h - The order passes run in --------------------------===//
#ifndef SPCC_PASSES_PASSPIPELINE_H
#define SPCC_PASSES_PASSPIPELINE_H

#include "passes/Pass.h"

#include "compiler/ir/IRPrinter.h"

#include "llvm/Support/raw_ostream.h"

#include <set>

namespace spcc {

struct PipelineOptions {
  PassOptions passOptions;
  /// Passes to skip, by name.
  std::set<std::string> disabledPasses;
  /// Passes after which the graph is printed to printStream, by name.
  std::set<std::string> printAfter;
  llvm::raw_ostream *printStream = nullptr;
  PrintOptions printOptions;
  /// Progress and per-pass timings go here when set.
  llvm::raw_ostream *log = nullptr;
};

/// Creates the pass named \p name, or nullptr.
std::unique_ptr<Pass> createPassByName(llvm::StringRef name);
/// Names of every registered pass, in Passes.def order.
std::vector<std::string> passNames();

/// Runs the default pipeline on \p graph, verifying the graph after every pass that changed it.
llvm::Error runDefaultPipeline(Graph &graph, const PipelineOptions &options);

} // namespace spcc

#endif
