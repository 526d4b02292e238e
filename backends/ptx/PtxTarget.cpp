//===- PtxTarget.cpp - The NVIDIA GPU target, registered ------------------===//
#include "backends/Target.h"
#include "backends/ptx/GpuModelCompiler.h"

namespace spcc {
namespace {

class PtxTarget : public Target {
public:
  llvm::StringRef name() const override { return "ptx"; }

  std::vector<TargetName> targetNames() const override {
    std::vector<TargetName> names;
    for (const ptx::GpuArch &arch : ptx::supportedGpuArchs())
      names.push_back({arch.name, arch.description + " (PTX through LLVM's NVPTX backend; "
                                                     "--emulate-gpu runs it on the host)"});
    return names;
  }

  llvm::Error compile(const Graph &graph, const CompileOptions &options,
                      CompileReport &report) const override {
    auto arch = ptx::selectGpuArch(options.target);
    if (!arch) return arch.takeError();
    return ptx::compileGpuModel(graph, options, *arch, options.emulateGpu, report);
  }
};

} // namespace

void spccInitializePTXTarget(TargetRegistry &registry) {
  registry.add(std::make_unique<PtxTarget>());
}

} // namespace spcc
