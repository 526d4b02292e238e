//===- ModelCompiler.cpp - spcc -o: from an optimized graph to a model .so ===//
#include "backends/x86/ModelCompiler.h"

#include "backends/common/FeatureMajor.h"

#include "backends/common/KernelLowering.h"
#include "backends/x86/CompileReport.h"
#include "backends/x86/LayoutSelection.h"
#include "backends/x86/Linker.h"
#include "backends/x86/ModelEmitter.h"
#include "backends/x86/ObjectEmitter.h"
#include "backends/x86/SparseSelection.h"
#include "backends/x86/SpmmEmitter.h"
#include "backends/x86/TuneCache.h"
#include "compiler/support/Error.h"

#include "llvm/Support/FileSystem.h"
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
  double seconds = 0;          ///< code generation time
  int64_t reportIndex = -1;    ///< the layer of CompileReport::layers it holds, if any
};

/// Compiles every job's module to an object on up to \p threads threads.
llvm::Error compileModules(std::vector<ModuleJob> &jobs, const TargetIsa &isa, unsigned threads) {
  std::atomic<size_t> next{0};
  std::mutex failure;
  llvm::Error firstError = llvm::Error::success();
  auto worker = [&] {
    auto machine = createTargetMachine(isa);
    for (size_t i = next++; i < jobs.size(); i = next++) {
      auto start = std::chrono::steady_clock::now();
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
      jobs[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

/// What the epilogue of \p node applies, for the report.
std::vector<std::string> fusedOps(const Node &node) {
  std::vector<std::string> fused;
  bool isFused = node.getOpType() == "FusedConv" || node.getOpType() == "FusedMatMul";
  // Input 2 is the bias of Conv and the fused ops, C of Gemm; MatMul has none.
  if (node.getOpType() != "MatMul" && node.getNumInputs() > 2 && node.getInput(2))
    fused.push_back("bias");
  if (isFused && node.getNumInputs() > 3 && node.getInput(3)) fused.push_back("residual");
  if (isFused && node.hasAttribute("activation"))
    fused.push_back(node.getString("activation", ""));
  return fused;
}

/// The report's entry for a layer that could run sparse.
LayerReport reportLayer(const Node &node, const SparseLayer &layer, const KernelChoice &choice) {
  const SparseTensor &a = layer.spec.weights;
  LayerReport entry;
  entry.name = node.getName().empty() ? node.getOutput(0)->getName() : node.getName();
  entry.op = node.getOpType();
  entry.m = a.getRows();
  entry.k = a.getCols();
  entry.n = layer.spec.n;
  entry.sparsity = a.getSparsity();
  entry.fused = fusedOps(node);
  entry.sparse = choice.sparse;
  entry.tiling = choice.tiling.describe();
  entry.sparseSeconds = choice.sparseSeconds;
  entry.denseSeconds = choice.denseSeconds;
  entry.csrBytes = a.getCsrBytes();
  for (const TuningTrial &trial : choice.trials)
    entry.trials.push_back({trial.tiling.describe(), trial.seconds});
  return entry;
}

/// Nonzeros of a model's smallest layers that may get straight-line code beyond the per-layer
/// default (unrolledBudgets). Each costs LLVM ~60-100 us per nonzero for every tiling the tuner
/// compiles and once more for the model: on BERT-base (29.5k-nonzero layers, no gain measured)
/// about 20 s of compilation, on MobileNet V1 (five 26k-nonzero layers, 1.6x faster each) 20 s.
constexpr int64_t kModelUnrolledNonzeros = 140000;

} // namespace

llvm::Error compileModel(const Graph &graph, const CompileOptions &options) {
  StageLog stages(options.log);
  auto isa = selectTargetIsa(options.target);
  if (!isa) return isa.takeError();
  CompileReport report;
  report.target = isa->cpu.empty() ? isa->kernelLevel : isa->cpu;
  report.kernelLevel = isa->kernelLevel;
  auto started = std::chrono::steady_clock::now();
  auto secondsSince = [](std::chrono::steady_clock::time_point &since) {
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - since).count();
    since = now;
    return seconds;
  };

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
  std::vector<int64_t> nonzeros(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size() && !options.denseOnly; ++i) {
    layers[i] = planSparseLayer(*nodes[i]);
    if (layers[i]) nonzeros[i] = layers[i]->spec.weights.getNumNonZeros();
  }
  std::vector<int64_t> budgets = unrolledBudgets(nonzeros, options.tune, kModelUnrolledNonzeros);
  std::vector<KernelChoice> choices(nodes.size());
  std::vector<KernelCall> denseCalls;
  std::vector<const SparseLayer *> sparseLayers(nodes.size(), nullptr);
  size_t kernelCalls = 0, sparseCalls = 0, candidates = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto call = lowerToKernelCall(*nodes[i]);
    if (!call) return call.takeError();
    kernelCalls += !call->isAlias;
    denseCalls.push_back(std::move(*call));
    if (!layers[i]) continue;
    selection.unrolledBudget = budgets[i];
    ++candidates;
    if (options.log)
      *options.log << "spcc: tune: " << candidates << ": " << nodes[i]->describe() << "\n";
    std::string key = TuneCache::keyOf(*layers[i], selection);
    if (auto cached = useCache ? cache.lookup(key) : std::nullopt) {
      choices[i] = std::move(*cached);
    } else {
      auto choice = chooseKernel(*nodes[i], *layers[i], denseCalls.back(), selection);
      if (!choice) return addContext(choice.takeError(), nodes[i]->describe());
      choices[i] = std::move(*choice);
      if (useCache) cache.insert(key, choices[i]);
    }
    if (!options.permuteRows) choices[i].tiling.permuteRows = false;
    if (choices[i].sparse) sparseLayers[i] = &*layers[i];
  }

  std::vector<NodeLayout> layouts(nodes.size());
  if (options.selectLayouts) layouts = selectLayouts(graph, nodes, sparseLayers, denseCalls);
  size_t featureMajor = 0;
  std::vector<ModuleJob> jobs(1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    featureMajor += layouts[i].featureMajorOutput;
    if (layers[i]) report.layers.push_back(reportLayer(*nodes[i], *layers[i], choices[i]));
    if (!sparseLayers[i]) {
      if (layouts[i].featureMajorInput || layouts[i].featureMajorOutput)
        setFeatureMajor(denseCalls[i], layouts[i].featureMajorInput,
                        layouts[i].featureMajorOutput);
      calls.push_back(std::move(denseCalls[i]));
      continue;
    }
    if (layouts[i].featureMajorInput || layouts[i].featureMajorOutput) {
      keepFeatureMajor(*layers[i], layouts[i].featureMajorInput, layouts[i].featureMajorOutput);
      report.layers.back().featureMajorInput = layouts[i].featureMajorInput;
      report.layers.back().featureMajorOutput = layouts[i].featureMajorOutput;
    }
    // The layer's task goes into a module of its own.
    ModuleJob &job = jobs.emplace_back();
    job.reportIndex = int64_t(report.layers.size()) - 1;
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
  }
  stages.done("lower", llvm::Twine(kernelCalls) + " kernel calls for " +
                           llvm::Twine(graph.getNumNodes()) + " nodes, " +
                           llvm::Twine(sparseCalls) + " of " + llvm::Twine(candidates) +
                           " weight layers sparse, " + llvm::Twine(featureMajor) +
                           " results kept feature-major");
  report.tuneSeconds = secondsSince(started);
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
    if (job.reportIndex >= 0) {
      report.layers[size_t(job.reportIndex)].codeBytes = int64_t(job.object.size());
      report.layers[size_t(job.reportIndex)].codegenSeconds = job.seconds;
    }
  }
  report.objectBytes = int64_t(objectBytes);
  report.codegenSeconds = secondsSince(started);
  if (options.log && candidates) printLayerTable(*options.log, report);
  stages.done("codegen", llvm::Twine(objectBytes) + " bytes of object code and data for " +
                             (isa->cpu.empty() ? isa->kernelLevel : isa->cpu) + " (kernels " +
                             isa->kernelLevel + ")");

  auto archive = findKernelLibrary(isa->kernelLevel, options.executablePath, "a");
  if (!archive) return archive.takeError();
  if (llvm::Error err = linkModel(objects, *archive, options.outputPath)) return err;
  stages.done("link", options.outputPath);
  report.linkSeconds = secondsSince(started);
  uint64_t libraryBytes = 0;
  if (!llvm::sys::fs::file_size(options.outputPath, libraryBytes))
    report.sharedLibraryBytes = int64_t(libraryBytes);
  if (options.report) *options.report = std::move(report);
  return llvm::Error::success();
}

} // namespace spcc::x86
