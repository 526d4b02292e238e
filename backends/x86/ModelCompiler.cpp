//===- ModelCompiler.cpp - spcc -o: from an optimized graph to a model .so ===//
#include "backends/x86/ModelCompiler.h"

#include "backends/common/KernelLowering.h"
#include "backends/x86/Linker.h"
#include "backends/x86/ModelEmitter.h"
#include "backends/x86/ObjectEmitter.h"
#include "backends/x86/SparseSelection.h"
#include "backends/x86/SpmmEmitter.h"
#include "backends/x86/TuneCache.h"
#include "compiler/support/Error.h"

#include "llvm/Support/Format.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

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

/// One LLVM module to compile, with its own context so modules compile in parallel.
struct ModuleJob {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  llvm::SmallVector<char, 0> object;
};

/// Compiles every job's module to an object on up to \p threads threads.
llvm::Error compileModules(std::vector<ModuleJob> &jobs, const TargetIsa &isa, unsigned threads) {
  std::atomic<size_t> next{0};
  std::mutex failure;
  llvm::Error firstError = llvm::Error::success();
  auto worker = [&] {
    auto machine = createTargetMachine(isa);
    for (size_t i = next++; i < jobs.size(); i = next++) {
      llvm::Expected<llvm::SmallVector<char, 0>> object =
          machine ? emitObject(*jobs[i].module, **machine)
                  : llvm::Expected<llvm::SmallVector<char, 0>>(
                        makeError(ErrorCode::Internal, "no target machine"));
      if (!object) {
        std::lock_guard<std::mutex> lock(failure);
        if (!firstError) firstError = object.takeError();
        else llvm::consumeError(object.takeError());
        next = jobs.size();
        break;
      }
      jobs[i].object = std::move(*object);
      jobs[i].module.reset(); // free the IR as soon as it is machine code
    }
    if (!machine) llvm::consumeError(machine.takeError());
  };
  unsigned count = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  count = unsigned(std::min<size_t>(count, jobs.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < count; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread &t : pool) t.join();
  return firstError;
}

/// Whether code for \p isa runs on this machine (so layers can be measured).
bool hostRuns(const TargetIsa &isa) {
  auto host = selectTargetIsa("host");
  if (!host) {
    llvm::consumeError(host.takeError());
    return false;
  }
  return isa.kernelLevel == "x86-64-v3" || host->kernelLevel == isa.kernelLevel;
}

std::string milliseconds(double seconds) {
  if (std::isnan(seconds)) return "-";
  return llvm::formatv("{0:f3}", seconds * 1e3).str();
}

/// The decisions as a table: one row per layer that could run sparse.
void printLayerTable(llvm::raw_ostream &log, const Graph &graph,
                     const std::vector<std::optional<SparseLayer>> &layers,
                     const std::vector<KernelChoice> &choices) {
  log << llvm::formatv("{0,-28} {1,-7} {2,-18} {3,8} {4,-8} {5,-24} {6,10} {7,10}\n", "layer",
                       "op", "m x k x n", "sparsity", "kernel", "tiling", "sparse ms",
                       "dense ms");
  std::vector<Node *> nodes = graph.getNodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!layers[i]) continue;
    const SparseTensor &a = layers[i]->spec.weights;
    std::string shape = llvm::formatv("{0}x{1}x{2}", a.getRows(), a.getCols(),
                                      layers[i]->spec.n);
    std::string name = nodes[i]->getName().empty() ? nodes[i]->getOutput(0)->getName()
                                                   : nodes[i]->getName();
    if (name.size() > 28) name = "..." + name.substr(name.size() - 25);
    log << llvm::formatv("{0,-28} {1,-7} {2,-18} {3,8:f3} {4,-8} {5,-24} {6,10} {7,10}\n", name,
                         nodes[i]->getOpType(), shape, a.getSparsity(),
                         choices[i].sparse ? "sparse" : "dense",
                         choices[i].sparse ? choices[i].tiling.describe() : "-",
                         milliseconds(choices[i].sparseSeconds),
                         milliseconds(choices[i].denseSeconds));
  }
}

} // namespace

llvm::Error compileModel(const Graph &graph, const CompileOptions &options) {
  StageLog stages(options.log);
  auto isa = selectTargetIsa(options.target);
  if (!isa) return isa.takeError();

  // Tools to measure layers, when the target's code runs here.
  SelectionContext selection{*isa, options.tune, options.tuneThreads, nullptr, nullptr};
  std::unique_ptr<KernelJit> jit;
  std::unique_ptr<DenseKernelTimer> denseTimer;
  if (options.tune != TuneLevel::None && !options.denseOnly && hostRuns(*isa)) {
    auto createdJit = KernelJit::create();
    if (!createdJit) return createdJit.takeError();
    jit = std::move(*createdJit);
    auto timer = DenseKernelTimer::open(isa->kernelLevel, options.executablePath);
    if (!timer) return timer.takeError();
    denseTimer = std::move(*timer);
    selection.jit = jit.get();
    selection.denseTimer = denseTimer.get();
  }

  // Measurements are remembered, so a model recompiles to the same bytes.
  bool useCache = options.tune != TuneLevel::None && !options.tuneCachePath.empty();
  TuneCache cache = TuneCache::load(useCache ? options.tuneCachePath : "");

  std::vector<Node *> nodes = graph.getNodes();
  std::vector<KernelCall> calls;
  std::vector<std::optional<SparseLayer>> layers(nodes.size());
  std::vector<KernelChoice> choices(nodes.size());
  std::vector<ModuleJob> jobs(1);
  size_t kernelCalls = 0, sparseCalls = 0, candidates = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto call = lowerToKernelCall(*nodes[i]);
    if (!call) return call.takeError();
    kernelCalls += !call->isAlias;
    if (!options.denseOnly) layers[i] = planSparseLayer(*nodes[i]);
    if (layers[i]) {
      ++candidates;
      if (options.log)
        *options.log << "spcc: tune: " << candidates << ": " << nodes[i]->describe() << "\n";
      std::string key = TuneCache::keyOf(*layers[i], selection);
      if (auto cached = useCache ? cache.lookup(key) : std::nullopt) {
        choices[i] = std::move(*cached);
      } else {
        auto choice = chooseKernel(*nodes[i], *layers[i], *call, selection);
        if (!choice) return addContext(choice.takeError(), nodes[i]->describe());
        choices[i] = std::move(*choice);
        if (useCache) cache.insert(key, choices[i]);
      }
    }
    if (layers[i] && choices[i].sparse) {
      // The layer's task goes into a module of its own.
      ModuleJob &job = jobs.emplace_back();
      job.context = std::make_unique<llvm::LLVMContext>();
      job.module = std::make_unique<llvm::Module>("layer" + std::to_string(i), *job.context);
      std::string symbol = "spcc_layer_" + std::to_string(i);
      EmittedSparseTask task = emitSparseTask(*job.module, symbol, layers[i]->spec,
                                              choices[i].tiling, vectorWidthOf(*isa),
                                              /*exported=*/true);
      task.task->setVisibility(llvm::GlobalValue::HiddenVisibility);
      spcc_sparse_params params = launchParams(*layers[i], task);
      KernelCall sparse;
      sparse.symbol = "spcc_kernel_sparse";
      const auto *bytes = reinterpret_cast<const uint8_t *>(&params);
      sparse.params.assign(bytes, bytes + sizeof(params));
      sparse.generatedTask = symbol;
      sparse.taskTable = std::move(task.tileWorkPrefix);
      // The input, then the residual of a fused epilogue (or a null pointer).
      sparse.inputMap = {0, layers[i]->readsResidual ? 3 : -1};
      sparse.workspaceBytes = params.workspace_floats * int64_t(sizeof(float));
      calls.push_back(std::move(sparse));
      ++sparseCalls;
      continue;
    }
    calls.push_back(std::move(*call));
  }
  stages.done("lower", llvm::Twine(kernelCalls) + " kernel calls for " +
                           llvm::Twine(graph.getNumNodes()) + " nodes, " +
                           llvm::Twine(sparseCalls) + " of " + llvm::Twine(candidates) +
                           " weight layers sparse");
  if (options.log && candidates) printLayerTable(*options.log, graph, layers, choices);
  if (llvm::Error err = cache.save()) return err;

  jobs[0].context = std::make_unique<llvm::LLVMContext>();
  auto module = emitModelModule(graph, calls, isa->kernelLevel, *jobs[0].context);
  if (!module) return module.takeError();
  jobs[0].module = std::move(*module);
  stages.done("emit", llvm::Twine(jobs.size()) + " LLVM modules");

  if (llvm::Error err = compileModules(jobs, *isa, options.threads)) return err;
  size_t objectBytes = 0;
  std::vector<llvm::ArrayRef<char>> objects;
  for (const ModuleJob &job : jobs) {
    objectBytes += job.object.size();
    objects.push_back(job.object);
  }
  stages.done("codegen", llvm::Twine(objectBytes) + " bytes of object code and data for " +
                             (isa->cpu.empty() ? isa->kernelLevel : isa->cpu) + " (kernels " +
                             isa->kernelLevel + ")");

  auto archive = findKernelLibrary(isa->kernelLevel, options.executablePath, "a");
  if (!archive) return archive.takeError();
  if (llvm::Error err = linkModel(objects, *archive, options.outputPath)) return err;
  stages.done("link", options.outputPath);
  return llvm::Error::success();
}

} // namespace spcc::x86
