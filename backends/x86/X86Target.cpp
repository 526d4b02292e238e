//===- X86Target.cpp - The x86-64 target, registered ----------------------===//
#include "backends/Target.h"
#include "backends/x86/ModelCompiler.h"

namespace spcc {
namespace {

class X86Target : public Target {
public:
  llvm::StringRef name() const override { return "x86"; }

  std::vector<TargetName> targetNames() const override {
    return {
        {"x86-64-v3", "x86-64 with AVX2 and FMA (Haswell, Zen 1 and later)", /*isDefault=*/true},
        {"x86-64-v4", "x86-64 with AVX-512 F/BW/CD/DQ/VL (Skylake-X, Zen 4 and later)"},
        {"host", "this machine's CPU and features, with the best kernel library it runs"}};
  }

  llvm::Error compile(const Graph &graph, const CompileOptions &options,
                      CompileReport &report) const override {
    return x86::compileModel(graph, options, report);
  }
};

} // namespace

void spccInitializeX86Target(TargetRegistry &registry) {
  registry.add(std::make_unique<X86Target>());
}

} // namespace spcc
