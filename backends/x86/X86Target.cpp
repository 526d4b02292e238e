//===- X86Target.cpp - The x86-64 target, registered ----------------------===//
#include "backends/Target.h"
#include "backends/x86/ModelCompiler.h"
#include "backends/x86/MultiLevelModel.h"

#include "llvm/ADT/SmallVector.h"

namespace spcc {
namespace {

class X86Target : public Target {
public:
  llvm::StringRef name() const override { return "x86"; }

  std::vector<TargetName> targetNames() const override {
    return {
        {"x86-64-v3", "x86-64 with AVX2 and FMA (Haswell, Zen 1 and later)"},
        {"x86-64-v4", "x86-64 with AVX-512 F/BW/CD/DQ/VL (Skylake-X, Zen 4 and later)"},
        {"host",
         "the better of the two levels this machine runs, tuned for its CPU; runs on every CPU of "
         "that level",
         /*isDefault=*/true}};
  }

  bool combinesTargets() const override { return true; }

  llvm::Error compile(const Graph &graph, const CompileOptions &options,
                      CompileReport &report) const override {
    if (!llvm::StringRef(options.target).contains(','))
      return x86::compileModel(graph, options, report);
    llvm::SmallVector<llvm::StringRef> names;
    llvm::StringRef(options.target).split(names, ',');
    std::vector<std::string> targets(names.begin(), names.end());
    return x86::compileMultiLevelModel(graph, options, targets, report);
  }
};

} // namespace

void spccInitializeX86Target(TargetRegistry &registry) {
  registry.add(std::make_unique<X86Target>());
}

} // namespace spcc
