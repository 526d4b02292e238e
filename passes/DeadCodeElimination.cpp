//===- DeadCodeElimination.cpp - Remove what no output needs -------------===//
//
// The pass form of eraseDeadNodes (compiler/eval/ConstantFolder.h).
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"

#include "compiler/eval/ConstantFolder.h"

namespace spcc {
namespace {

class DeadCodeElimination : public Pass {
public:
  llvm::StringRef getName() const override { return "dead-code"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    return eraseDeadNodes(graph);
  }
};

} // namespace

std::unique_ptr<Pass> createDeadCodeElimination() {
  return std::make_unique<DeadCodeElimination>();
}

} // namespace spcc
