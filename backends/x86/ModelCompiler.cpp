//===- ModelCompiler.cpp - spcc -o: from an optimized graph to a model .so ===//
#include "backends/x86/ModelCompiler.h"

#include "backends/common/KernelLowering.h"
#include "backends/x86/Linker.h"
#include "backends/x86/ModelEmitter.h"
#include "backends/x86/ObjectEmitter.h"
#include "backends/x86/TargetIsa.h"
#include "compiler/support/Error.h"

#include "llvm/Support/Format.h"

#include <chrono>

namespace spcc::x86 {
namespace {

/// Writes "spcc: <stage>: <what> (<ms> ms)" lines to a log, if any.
class StageLog {
public:
  explicit StageLog(llvm::raw_ostream *log) : log(log) {}
  void done(llvm::StringRef stage, const llvm::Twine &what) {
    auto now = std::chrono::steady_clock::now();
    if (log)
      *log << "spcc: " << stage << ": " << what << " ("
           << llvm::format("%.1f", std::chrono::duration<double, std::milli>(now - start).count())
           << " ms)\n";
    start = now;
  }

private:
  llvm::raw_ostream *log;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

} // namespace

llvm::Error compileModel(const Graph &graph, const CompileOptions &options) {
  StageLog stages(options.log);
  auto isa = selectTargetIsa(options.target);
  if (!isa) return isa.takeError();

  std::vector<KernelCall> calls;
  size_t kernelCalls = 0;
  for (const Node *node : graph.getNodes()) {
    auto call = lowerToKernelCall(*node);
    if (!call) return call.takeError();
    kernelCalls += !call->isAlias;
    calls.push_back(std::move(*call));
  }
  stages.done("lower", llvm::Twine(kernelCalls) + " kernel calls for " +
                           llvm::Twine(graph.getNumNodes()) + " nodes");

  llvm::LLVMContext context;
  auto module = emitModelModule(graph, calls, isa->kernelLevel, context);
  if (!module) return module.takeError();
  stages.done("emit", "LLVM module");

  auto machine = createTargetMachine(*isa);
  if (!machine) return machine.takeError();
  auto object = emitObject(**module, **machine);
  if (!object) return object.takeError();
  stages.done("codegen", llvm::Twine(object->size()) + " bytes of object code and data for " +
                             (*machine)->getTargetCPU() + " (kernels " + isa->kernelLevel + ")");

  auto archive = findKernelArchive(isa->kernelLevel, options.executablePath);
  if (!archive) return archive.takeError();
  if (llvm::Error err = linkModel(*object, *archive, options.outputPath)) return err;
  stages.done("link", options.outputPath);
  return llvm::Error::success();
}

} // namespace spcc::x86
