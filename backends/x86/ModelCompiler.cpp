//===- ModelCompiler.cpp - spcc -o for x86-64: from a graph to a model .so ===//
//
// The stages, in order: open the tools that measure layers (when the target runs here), plan
// the sparse layers and choose between generated code and the dense kernel for each (tuned or
// from the tuning cache), choose the activations' layouts, build the kernel plan (one call per
// node; each sparse layer's task emitted into an LLVM module of its own), emit the model's
// module, compile every module to an object in parallel, and link them with the kernel library.
//
//===----------------------------------------------------------------------===//
#include "backends/x86/ModelCompiler.h"

#include "backends/common/KernelLowering.h"
#include "backends/common/LayoutSelection.h"
#include "backends/common/ModelInterface.h"
#include "backends/common/TuneCache.h"
#include "backends/common/sparse/SparsePlanning.h"
#include "backends/x86/ColdRunTimer.h"
#include "backends/x86/Linker.h"
#include "backends/x86/ModelEmitter.h"
#include "backends/x86/ModuleCompiler.h"
#include "backends/x86/ShapeTuningHistory.h"
#include "backends/x86/SparseSelection.h"
#include "backends/x86/SpmmEmitter.h"
#include "compiler/support/Error.h"
#include "compiler/support/MemoryBudget.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace spcc::x86 {
namespace {

/// Bytes of the initialized globals of \p module: the data its object code will carry.
uint64_t moduleDataBytes(const llvm::Module &module) {
  uint64_t bytes = 0;
  const llvm::DataLayout &layout = module.getDataLayout();
  for (const llvm::GlobalVariable &global : module.globals())
    if (global.hasInitializer()) bytes += layout.getTypeAllocSize(global.getValueType());
  return bytes;
}

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
  if (isFused && node.hasAttribute("activation")) fused.push_back(node.getString("activation", ""));
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
  entry.n = layer.spec.n * layer.images(); // every image's positions
  entry.sparsity = a.getSparsity();
  entry.fused = fusedOps(node);
  entry.sparse = choice.sparse;
  entry.tiling = choice.tiling.describe();
  entry.sparseSeconds = choice.sparseSeconds;
  entry.denseSeconds = choice.denseSeconds;
  entry.decidedBy = choice.decidedBy;
  entry.csrBytes = a.getCsrBytes();
  setDensityGrid(entry, a);
  for (const TuningTrial &trial : choice.trials)
    entry.trials.push_back({trial.tiling.describe(), trial.seconds});
  return entry;
}

/// Seconds from \p since to now.
double secondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

/// Seconds from \p since to now; moves \p since to now.
double lap(std::chrono::steady_clock::time_point &since) {
  double seconds = secondsSince(since);
  since = std::chrono::steady_clock::now();
  return seconds;
}

/// One compilation of one graph; run() calls the stages in order.
class ModelCompiler {
public:
  ModelCompiler(const Graph &graph, const CompileOptions &options, const TargetIsa &isa,
                CompileReport &report)
      : graph(graph), options(options), isa(isa), report(report), stages(options.log),
        nodes(graph.getNodes()), layers(nodes.size()), choices(nodes.size()),
        sparseLayers(nodes.size(), nullptr), layouts(nodes.size()) {}

  llvm::Error run() {
    report.target = isa.cpu.empty() ? isa.kernelLevel : isa.cpu;
    if (!isa.tuneCpu.empty()) report.target += ", tuned for " + isa.tuneCpu;
    report.kernelLevel = isa.kernelLevel;
    if (options.tune != TuneLevel::None) report.tuneThreads = timingThreads(options.tuneThreads);
    for (auto stage :
         {&ModelCompiler::openMeasurement, &ModelCompiler::chooseKernels,
          &ModelCompiler::buildKernelPlan, &ModelCompiler::emitAndCompile, &ModelCompiler::link})
      if (llvm::Error err = (this->*stage)()) return err;
    return llvm::Error::success();
  }

private:
  llvm::Error openMeasurement();
  llvm::Error chooseKernels();
  llvm::Error buildKernelPlan();
  llvm::Error emitAndCompile();
  llvm::Error link();

  /// Decides \p i's kernel, from the tuning cache when it holds the layer.
  llvm::Error chooseKernel(size_t i, int64_t unrolledBudget);
  /// The decision the tuning cache holds for \p key, if it holds a valid one; a warning names
  /// an entry that is unreadable or whose tiling spcc would not choose for \p layer.
  std::optional<KernelChoice> readCache(const std::string &key, const SparseLayer &layer,
                                        int64_t unrolledBudget, const Node &node);
  /// Appends the call running sparse layer \p i, its task emitted into a module of its own.
  void addSparseCall(size_t i);

  const Graph &graph;
  const CompileOptions &options;
  const TargetIsa &isa;
  CompileReport &report;
  StageLog stages;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  // Tools to measure layers, when the target's code runs here (null otherwise).
  std::unique_ptr<KernelJit> jit;
  std::unique_ptr<DenseKernelTimer> denseTimer;
  bool useCache = false;
  TuneCache cache;
  ShapeTuningHistory history;

  // Per node, in execution order.
  std::vector<Node *> nodes;
  std::vector<std::optional<SparseLayer>> layers;
  std::vector<KernelChoice> choices;
  std::vector<KernelCall> denseCalls;
  std::vector<const SparseLayer *> sparseLayers; ///< the layer where it runs sparse
  std::vector<NodeLayout> layouts;

  // The kernel plan: one call per node; jobs[0] is the model's module, then one per sparse
  // layer.
  std::vector<KernelCall> calls;
  std::vector<ModuleJob> jobs = std::vector<ModuleJob>(1);
  size_t candidates = 0;
};

llvm::Error ModelCompiler::openMeasurement() {
  // Measurements are remembered, so a model recompiles to the same bytes.
  useCache = options.tune != TuneLevel::None && !options.tuneCachePath.empty();
  cache = TuneCache::load(useCache ? options.tuneCachePath : "");
  if (options.tune == TuneLevel::None || options.denseOnly || !hostRuns(isa))
    return llvm::Error::success();
  auto createdJit = KernelJit::create(options.executablePath);
  if (!createdJit) return createdJit.takeError();
  jit = std::move(*createdJit);
  denseTimer = std::make_unique<DenseKernelTimer>(*jit, isa);
  return llvm::Error::success();
}

std::optional<KernelChoice> ModelCompiler::readCache(const std::string &key,
                                                     const SparseLayer &layer,
                                                     int64_t unrolledBudget, const Node &node) {
  if (!useCache) return std::nullopt;
  auto warn = [&](const llvm::Twine &message) {
    if (options.warnings)
      *options.warnings << "spcc: warning: " << message << "; " << node.describe()
                        << " is tuned again\n";
  };
  auto cached = cache.lookup(key);
  if (!cached) {
    warn(takeMessage(cached.takeError()));
    return std::nullopt;
  }
  if (*cached &&
      !isOfferedTiling(layer, vectorWidthOf(isa, layer),
                       unrolledBudget > 0 ? unrolledBudget : defaultUnrolledBudget(options.tune),
                       (*cached)->tiling)) {
    warn("tuning cache " + cache.getPath() + ": tiling " + (*cached)->tiling.describe() +
         " is not one spcc chooses for this layer");
    return std::nullopt;
  }
  return std::move(*cached);
}

llvm::Error ModelCompiler::chooseKernel(size_t i, int64_t unrolledBudget) {
  const SparseLayer &layer = *layers[i];
  SelectionContext selection{isa,       options.tune,     options.tuneThreads,
                             jit.get(), denseTimer.get(), unrolledBudget};
  selection.compileThreads = options.threads;
  TuningSetting setting{isa.cpu + "|" + isa.features + "|" + isa.tuneCpu + "|" + isa.kernelLevel,
                        options.tune, options.tuneThreads, unrolledBudget};
  std::string key = TuneCache::keyOf(layer, setting);
  std::optional<KernelChoice> cached = readCache(key, layer, unrolledBudget, *nodes[i]);
  if (cached) {
    choices[i] = std::move(*cached);
    choices[i].decidedBy = std::isnan(choices[i].sparseSeconds) ? "tuning cache (cost model)"
                                                                : "tuning cache (measured)";
  } else {
    // --tune=fast times only the tilings that came close in the first layers of this shape.
    std::string shapeKey = layerShapeKey(layer, unrolledBudget);
    if (options.tune == TuneLevel::Fast) selection.onlyTilings = history.closeTilings(shapeKey);
    auto choice = x86::chooseKernel(*nodes[i], layer, denseCalls[i], selection);
    if (!choice) return addContext(choice.takeError(), nodes[i]->describe());
    choices[i] = std::move(*choice);
    if (selection.onlyTilings.empty()) history.recordFullTuning(shapeKey, choices[i].trials);
    if (useCache) {
      // Saved as soon as decided: a compilation interrupted while tuning (Ctrl-C, a CI step's
      // time limit; a full tuning of a large model takes many minutes) keeps the layers it
      // measured, and the next one starts where it stopped.
      cache.insert(key, choices[i]);
      if (llvm::Error err = cache.save()) return err;
    }
  }
  if (!options.permuteRows) choices[i].tiling.permuteRows = false;
  if (choices[i].sparse) sparseLayers[i] = &layer;
  return llvm::Error::success();
}

llvm::Error ModelCompiler::chooseKernels() {
  std::vector<UnrolledLayerSize> sizes(nodes.size());
  for (size_t i = 0; i < nodes.size() && !options.denseOnly; ++i) {
    layers[i] = planSparseLayer(*nodes[i]);
    if (layers[i]) sizes[i] = unrolledLayerSize(layers[i]->spec.weights);
  }
  std::vector<int64_t> budgets = unrolledBudgets(sizes, options.tune);
  const size_t weightLayers = size_t(
      std::count_if(layers.begin(), layers.end(), [](const auto &layer) { return bool(layer); }));
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto call = lowerToKernelCall(*nodes[i]);
    if (!call) return call.takeError();
    denseCalls.push_back(std::move(*call));
    if (!layers[i]) continue;
    ++candidates;
    // The count and the time so far: a full tuning of a large model runs for many minutes.
    if (options.log)
      *options.log << "spcc: tune: " << candidates << " of " << weightLayers << ": "
                   << nodes[i]->describe() << llvm::format(" (at %.1f s)\n", secondsSince(started));
    if (llvm::Error err = chooseKernel(i, budgets[i])) return err;
  }
  return llvm::Error::success();
}

void ModelCompiler::addSparseCall(size_t i) {
  SparseLayer &layer = *layers[i];
  ModuleJob &job = jobs.emplace_back();
  job.reportIndex = int64_t(report.layers.size()) - 1;
  job.context = std::make_unique<llvm::LLVMContext>();
  job.module = std::make_unique<llvm::Module>("layer" + std::to_string(i), *job.context);
  std::string symbol = "spcc_layer_" + std::to_string(i);
  EmittedSparseTask task = emitSparseTask(*job.module, symbol, layer.spec, choices[i].tiling,
                                          vectorWidthOf(isa, layer), /*exported=*/true);
  task.task->setVisibility(llvm::GlobalValue::HiddenVisibility);
  spcc_sparse_params params = launchParams(layer, task);
  KernelCall sparse = makeCall("sparse", params);
  sparse.generatedTask = symbol;
  sparse.taskTable = std::move(task.tileWorkPrefix);
  // The input, then the residual of a fused epilogue (or a null pointer).
  sparse.inputMap = {0, layer.readsResidual ? 3 : -1};
  sparse.workspaceBytes = params.workspace_floats * int64_t(sizeof(float));
  calls.push_back(std::move(sparse));
}

llvm::Error ModelCompiler::buildKernelPlan() {
  if (options.selectLayouts) layouts = selectLayouts(graph, nodes, sparseLayers, denseCalls);
  size_t featureMajor = 0, kernelCalls = 0, sparseCalls = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeLayout &layout = layouts[i];
    featureMajor += layout.featureMajorOutput;
    if (layers[i]) report.layers.push_back(reportLayer(*nodes[i], *layers[i], choices[i]));
    if (!sparseLayers[i]) {
      kernelCalls += !denseCalls[i].isAlias;
      if (layout.featureMajorInput || layout.featureMajorOutput) {
        auto call =
            lowerToKernelCall(*nodes[i], {layout.featureMajorInput, layout.featureMajorOutput});
        if (!call) return call.takeError();
        denseCalls[i] = std::move(*call);
      }
      calls.push_back(std::move(denseCalls[i]));
      continue;
    }
    if (layout.featureMajorInput || layout.featureMajorOutput) {
      keepFeatureMajor(*layers[i], layout.featureMajorInput, layout.featureMajorOutput);
      report.layers.back().featureMajorInput = layout.featureMajorInput;
      report.layers.back().featureMajorOutput = layout.featureMajorOutput;
    }
    addSparseCall(i);
    ++kernelCalls;
    ++sparseCalls;
  }
  stages.done("lower", llvm::Twine(kernelCalls) + " kernel calls for " +
                           llvm::Twine(graph.getNumNodes()) + " nodes, " +
                           llvm::Twine(sparseCalls) + " of " + llvm::Twine(candidates) +
                           " weight layers sparse, " + llvm::Twine(featureMajor) +
                           " results kept feature-major");
  report.tuneSeconds = lap(started);
  return llvm::Error::success();
}

llvm::Error ModelCompiler::emitAndCompile() {
  jobs[0].context = std::make_unique<llvm::LLVMContext>();
  auto module = emitModelModule(graph, calls, isa.kernelLevel, *jobs[0].context);
  if (!module) return module.takeError();
  jobs[0].module = std::move(*module);
  stages.done("emit", llvm::Twine(jobs.size()) + " LLVM modules");

  // Code generation copies each module's data (weights, tables) into its object code, which
  // stays in memory until linked: refuse now, by name, rather than fail an allocation later.
  uint64_t dataBytes = 0;
  for (const ModuleJob &job : jobs) dataBytes += moduleDataBytes(*job.module);
  constexpr uint64_t codegenWorkingBytes = uint64_t(64) << 20;
  if (llvm::Error err = checkMemoryNeed(2 * dataBytes + codegenWorkingBytes,
                                        "code generation for " + llvm::Twine(dataBytes >> 20) +
                                            " MiB of weights and tables",
                                        options.maxMemoryBytes))
    return err;

  if (llvm::Error err = compileModules(jobs, isa, options.threads)) return err;
  for (const ModuleJob &job : jobs) {
    report.objectBytes += int64_t(job.object.size());
    if (job.reportIndex < 0) continue;
    report.layers[size_t(job.reportIndex)].codeBytes = int64_t(job.object.size());
    report.layers[size_t(job.reportIndex)].codegenSeconds = job.seconds;
  }
  report.codegenSeconds = lap(started);
  if (options.log && candidates) printLayerTable(*options.log, report);
  stages.done("codegen", llvm::Twine(report.objectBytes) + " bytes of object code and data for " +
                             report.target + " (kernels " + isa.kernelLevel + ")");
  return llvm::Error::success();
}

llvm::Error ModelCompiler::link() {
  auto archive = findKernelLibrary(isa.kernelLevel, options.executablePath, "a");
  if (!archive) return archive.takeError();
  std::vector<llvm::ArrayRef<char>> objects;
  for (const ModuleJob &job : jobs) objects.push_back(job.object);
  if (llvm::Error err = linkModel(objects, *archive, options.outputPath)) return err;
  stages.done("link", options.outputPath);
  report.linkSeconds = lap(started);
  uint64_t libraryBytes = 0;
  if (!llvm::sys::fs::file_size(options.outputPath, libraryBytes))
    report.sharedLibraryBytes = int64_t(libraryBytes);
  return llvm::Error::success();
}

} // namespace

llvm::Error compileModel(const Graph &graph, const CompileOptions &options, CompileReport &report) {
  if (llvm::Error err = checkModelInterface(graph)) return err;
  auto isa = selectTargetIsa(options.target);
  if (!isa) return isa.takeError();
  report = CompileReport();
  return ModelCompiler(graph, options, *isa, report).run();
}

} // namespace spcc::x86
