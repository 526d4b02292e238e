//===- ConstantFolding.cpp - Evaluate what is known at compile time ------===//
//
// The pass form of foldConstants (compiler/eval/ConstantFolder.h).
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"

#include "compiler/eval/ConstantFolder.h"

namespace spcc {
namespace {

class ConstantFolding : public Pass {
public:
  llvm::StringRef getName() const override { return "constant-folding"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &options) override {
    return foldConstants(graph, options.maxFoldedElements);
  }
};

} // namespace

std::unique_ptr<Pass> createConstantFolding() { return std::make_unique<ConstantFolding>(); }

} // namespace spcc
