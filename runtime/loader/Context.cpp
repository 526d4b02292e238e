//===- Context.cpp - Execution contexts and spcc_run ----------------------===//

#include "LastError.h"
#include "Model.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>

using namespace spcc::runtime;

spcc_context::~spcc_context() {
  if (GpuDriver *gpu = model ? model->gpu.get() : nullptr) {
    gpu->makeCurrent();
    if (launchGraph.graph) gpu->destroyGraph(launchGraph.graph);
    if (deviceArena) gpu->release(deviceArena);
    if (stream) gpu->destroyStream(stream);
  }
  sampleWorkers.reset();
  for (void *extra : sampleArenas) std::free(extra);
  std::free(arena);
}

namespace {

/// 2 MiB: the x86 huge page.
constexpr std::size_t kHugePage = std::size_t(2) << 20;

/// An activation arena of \p bytes (a multiple of ArenaAlignment), freed with std::free. One of
/// a huge page or more is huge-page aligned and asks the kernel for huge pages (unless
/// SPCC_HUGE_PAGES=0): a sparse layer's rows of B lie its positions apart and each nonzero
/// reads another one, so with 4 KiB pages a layer of 512 positions or more touches a different
/// page per nonzero (measured: MobileNet V1 and ResNet-50 run 2-3% faster).
void *allocateArena(std::size_t bytes) {
  const char *hugePages = std::getenv("SPCC_HUGE_PAGES");
  if (bytes < kHugePage || (hugePages && std::string(hugePages) == "0"))
    return std::aligned_alloc(ArenaAlignment, bytes);
  std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void *arena = std::aligned_alloc(kHugePage, rounded);
  if (arena) madvise(arena, rounded, MADV_HUGEPAGE); // advice only: no error to report
  return arena;
}

/// All hardware threads, at least 1.
int32_t allCores() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int32_t>(std::min<unsigned>(n, 1u << 16));
}

spcc_status createContext(const spcc_model *model, int numThreads, spcc_context **out) {
  if (!out) return fail(SPCC_ERR_INVALID_ARGUMENT, "spcc_context_create: out is NULL");
  *out = nullptr;
  if (!model) return fail(SPCC_ERR_INVALID_ARGUMENT, "spcc_context_create: model is NULL");
  if (numThreads < 0)
    return fail(SPCC_ERR_INVALID_ARGUMENT, "spcc_context_create: num_threads is " +
                                               std::to_string(numThreads) +
                                               " (expected 0 for all cores, or a positive count)");

  uint64_t wanted = model->descriptor->arena_bytes;
  // aligned_alloc wants a multiple of the alignment; allocate at least one block so generated
  // code never sees a null arena.
  if (wanted > std::numeric_limits<std::size_t>::max() - ArenaAlignment)
    return fail(SPCC_ERR_OUT_OF_MEMORY, "spcc_context_create: the model's arena of " +
                                            std::to_string(wanted) + " bytes is too large");
  std::size_t bytes =
      (static_cast<std::size_t>(wanted) + ArenaAlignment - 1) / ArenaAlignment * ArenaAlignment;
  if (bytes == 0) bytes = ArenaAlignment;

  auto context = std::make_unique<spcc_context>();
  context->model = model;
  context->numThreads = numThreads == 0 ? allCores() : numThreads;
  context->arena = allocateArena(bytes);
  if (!context->arena)
    return fail(SPCC_ERR_OUT_OF_MEMORY, "spcc_context_create: cannot allocate the " +
                                            std::to_string(bytes) + "-byte activation arena");
  context->arenaBytes = bytes;
  if (GpuDriver *gpu = model->gpu.get()) {
    if (spcc_status s = gpu->makeCurrent()) return s;
    if (spcc_status s = gpu->createStream(&context->stream)) return s;
    if (spcc_status s =
            gpu->allocate(model->descriptor->gpu->device_arena_bytes, &context->deviceArena))
      return s;
    // SPCC_GPU_GRAPHS=0: launch kernel by kernel, as profilers that time each launch want.
    const char *graphs = std::getenv("SPCC_GPU_GRAPHS");
    context->launchGraph.off = graphs && std::string(graphs) == "0";
  }
  *out = context.release();
  return SPCC_OK;
}

/// One call of the model's run function on \p arena (the context's own, or one of its sample
/// arenas) with \p threads threads; \p fn names the API call and \p sample the batch sample
/// (-1: none) in errors.
spcc_status callModel(spcc_context *ctx, void *arena, int32_t threads, const void *const *inputs,
                      void *const *outputs, const char *fn, int64_t sample) {
  const spcc_abi_model &model = *ctx->model->descriptor;
  if (GpuDriver *gpu = ctx->model->gpu.get())
    return runGpuProgram(*gpu, model, ctx->deviceArena, ctx->stream, ctx->launchGraph, inputs,
                         outputs, fn);
  int32_t result = model.run(inputs, outputs, arena, threads);
  if (result == 0) return SPCC_OK;
  std::string where = std::string(fn) + ": ";
  if (sample >= 0) where += "sample " + std::to_string(sample) + ": ";
  // Invalid input data (an index out of range): the model says which node and why.
  if (result > 0 && uint32_t(result) <= model.num_run_failures)
    return fail(SPCC_ERR_INVALID_ARGUMENT, where + model.run_failures[result - 1]);
  return fail(SPCC_ERR_INTERNAL, where + ctx->model->path +
                                     ": the model's run function failed (code " +
                                     std::to_string(result) + ")");
}

/// Whether dim 0 of \p t is the run-time batch.
bool isBatched(const spcc_abi_tensor &t) { return t.rank > 0 && t.dims[0] == -1; }

/// The first batched input or output of \p d, or nullptr for a model of fixed shapes.
const spcc_abi_tensor *firstBatched(const spcc_abi_model &d) {
  for (uint32_t i = 0; i < d.num_inputs; ++i)
    if (isBatched(d.inputs[i])) return &d.inputs[i];
  for (uint32_t i = 0; i < d.num_outputs; ++i)
    if (isBatched(d.outputs[i])) return &d.outputs[i];
  return nullptr;
}

/// Bytes of one element of a validated spcc_dtype.
uint64_t elementBytes(int32_t dtype) {
  switch (dtype) {
  case SPCC_INT64: return 8;
  case SPCC_FLOAT32:
  case SPCC_INT32: return 4;
  case SPCC_FLOAT16: return 2;
  default: return 1;
  }
}

/// Bytes from one sample of \p t to the next: one sample's size, 0 when \p t is not batched
/// (every sample reads the same tensor).
uint64_t sampleStride(const spcc_abi_tensor &t) {
  if (!isBatched(t)) return 0;
  uint64_t bytes = elementBytes(t.dtype);
  for (int32_t d = 1; d < t.rank; ++d) bytes *= uint64_t(t.dims[d]);
  return bytes;
}

/// The pointers of one sample's inputs and outputs inside a batch's.
struct SamplePointers {
  SamplePointers(const spcc_abi_model &d, const void *const *inputs, void *const *outputs)
      : batchInputs(inputs), batchOutputs(outputs), inputs(inputs, inputs + d.num_inputs),
        outputs(outputs, outputs + d.num_outputs) {
    for (uint32_t i = 0; i < d.num_inputs; ++i) inputStrides.push_back(sampleStride(d.inputs[i]));
    for (uint32_t i = 0; i < d.num_outputs; ++i)
      outputStrides.push_back(sampleStride(d.outputs[i]));
  }
  /// Points inputs and outputs at sample \p s.
  void select(int64_t s) {
    for (size_t i = 0; i < inputs.size(); ++i)
      inputs[i] = static_cast<const char *>(batchInputs[i]) + uint64_t(s) * inputStrides[i];
    for (size_t i = 0; i < outputs.size(); ++i)
      outputs[i] = static_cast<char *>(batchOutputs[i]) + uint64_t(s) * outputStrides[i];
  }
  const void *const *batchInputs;
  void *const *batchOutputs;
  std::vector<const void *> inputs;
  std::vector<void *> outputs;
  std::vector<uint64_t> inputStrides, outputStrides;
};

/// Whether spcc_run_batch runs \p batch samples of \p ctx side by side: host code, at least two
/// threads and two samples, and no profiling (whose per-node sums one run at a time makes).
bool runsSideBySide(const spcc_context *ctx, int64_t batch) {
  const spcc_abi_profile *profile = ctx->model->profile;
  return !ctx->model->gpu && ctx->numThreads >= 2 && batch >= 2 && !(profile && *profile->enabled);
}

/// The context's sample workers and arenas for \p workers samples at a time (the context's
/// own arena is the first), made or grown on first use.
spcc_status prepareSampleWorkers(spcc_context *ctx, int32_t workers, const char *fn) {
  while (ctx->sampleArenas.size() + 1 < size_t(workers)) {
    void *extra = allocateArena(ctx->arenaBytes);
    if (!extra)
      return fail(SPCC_ERR_OUT_OF_MEMORY, std::string(fn) + ": cannot allocate a " +
                                              std::to_string(ctx->arenaBytes) +
                                              "-byte arena to run samples side by side");
    ctx->sampleArenas.push_back(extra);
  }
  if (!ctx->sampleWorkers || ctx->sampleWorkers->extraThreads() < workers - 1) {
    ctx->sampleWorkers.reset();
    ctx->sampleWorkers = std::make_unique<SampleWorkers>(workers - 1);
  }
  return SPCC_OK;
}

/// Runs samples [0, batch / workers * workers) of a batch side by side: min(threads, batch)
/// workers, each on its own arena with its share of the threads, each its own run of
/// consecutive samples. Returns the first failure in sample order.
spcc_status runSamplesSideBySide(spcc_context *ctx, int64_t batch, const void *const *inputs,
                                 void *const *outputs, const char *fn, int64_t *samplesRun) {
  const spcc_abi_model &d = *ctx->model->descriptor;
  int32_t threads = ctx->numThreads;
  int32_t workers = int32_t(std::min<int64_t>(threads, batch));
  if (spcc_status status = prepareSampleWorkers(ctx, workers, fn)) return status;
  int64_t each = batch / workers;
  struct Failure {
    spcc_status status = SPCC_OK;
    std::string message;
  };
  std::vector<Failure> failures(static_cast<size_t>(workers));
  ctx->sampleWorkers->runOnAll([&](int w) {
    if (w >= workers) return;
    try {
      void *arena = w == 0 ? ctx->arena : ctx->sampleArenas[size_t(w - 1)];
      int32_t share = threads / workers + (w < threads % workers ? 1 : 0);
      SamplePointers sample(d, inputs, outputs);
      for (int64_t s = w * each; s < (w + 1) * each; ++s) {
        sample.select(s);
        if (spcc_status status =
                callModel(ctx, arena, share, sample.inputs.data(), sample.outputs.data(), fn, s)) {
          failures[size_t(w)] = {status, spcc_last_error()};
          return;
        }
      }
    } catch (...) {
      failures[size_t(w)] = {SPCC_ERR_OUT_OF_MEMORY, std::string(fn) + ": out of memory"};
    }
  });
  for (const Failure &failure : failures)
    if (failure.status) return fail(failure.status, failure.message);
  *samplesRun = each * workers;
  return SPCC_OK;
}

/// Runs \p batch samples: the model's run function once per sample, batched inputs and
/// outputs advanced by one sample each time; side by side on separate threads where
/// runsSideBySide says so, the rest one after another on all threads. \p fn names the API call
/// in errors; only spcc_run_batch (\p batchCall) may run a model with a run-time batch.
spcc_status run(spcc_context *ctx, int64_t batch, const void *const *inputs, void *const *outputs,
                const char *fn, bool batchCall) {
  if (!ctx) return fail(SPCC_ERR_INVALID_ARGUMENT, std::string(fn) + ": ctx is NULL");
  const spcc_abi_model &d = *ctx->model->descriptor;
  if (!inputs && d.num_inputs > 0)
    return fail(SPCC_ERR_INVALID_ARGUMENT, std::string(fn) + ": inputs is NULL");
  if (!outputs && d.num_outputs > 0)
    return fail(SPCC_ERR_INVALID_ARGUMENT, std::string(fn) + ": outputs is NULL");
  for (uint32_t i = 0; i < d.num_inputs; ++i)
    if (!inputs[i])
      return fail(SPCC_ERR_INVALID_ARGUMENT, std::string(fn) + ": inputs[" + std::to_string(i) +
                                                 "] ('" + d.inputs[i].name + "') is NULL");
  for (uint32_t i = 0; i < d.num_outputs; ++i)
    if (!outputs[i])
      return fail(SPCC_ERR_INVALID_ARGUMENT, std::string(fn) + ": outputs[" + std::to_string(i) +
                                                 "] ('" + d.outputs[i].name + "') is NULL");
  const spcc_abi_tensor *batched = firstBatched(d);
  if (batch < 1)
    return fail(SPCC_ERR_INVALID_ARGUMENT,
                std::string(fn) + ": batch is " + std::to_string(batch) + " (expected >= 1)");
  if (!batched && batch != 1)
    return fail(SPCC_ERR_SHAPE, std::string(fn) + ": batch " + std::to_string(batch) + ", but " +
                                    ctx->model->path +
                                    " was compiled for fixed shapes (compile it with --shape "
                                    "NAME=Nx... for a run-time batch)");
  if (batched && !batchCall)
    return fail(SPCC_ERR_SHAPE, std::string(fn) + ": " + ctx->model->path +
                                    " takes a run-time batch ('" + batched->name +
                                    "' dim 0 is -1); run it with spcc_run_batch");

  if (ctx->running.exchange(true, std::memory_order_acquire))
    return fail(SPCC_ERR_INVALID_ARGUMENT,
                std::string(fn) +
                    ": the context is already running on another thread (use one context "
                    "per concurrent run)");
  struct RunningGuard {
    std::atomic<bool> &flag;
    ~RunningGuard() { flag.store(false, std::memory_order_release); }
  } guard{ctx->running};
  if (!batched) return callModel(ctx, ctx->arena, ctx->numThreads, inputs, outputs, fn, -1);
  int64_t first = 0;
  if (runsSideBySide(ctx, batch))
    if (spcc_status status = runSamplesSideBySide(ctx, batch, inputs, outputs, fn, &first))
      return status;
  SamplePointers sample(d, inputs, outputs);
  for (int64_t s = first; s < batch; ++s) {
    sample.select(s);
    if (spcc_status status = callModel(ctx, ctx->arena, ctx->numThreads, sample.inputs.data(),
                                       sample.outputs.data(), fn, s))
      return status;
  }
  return SPCC_OK;
}

/// spcc_run_device: a GPU model on the caller's device buffers, enqueued on \p stream.
spcc_status runDevice(spcc_context *ctx, int numInputs, const uint64_t *inputs, int numOutputs,
                      const uint64_t *outputs, void *stream) {
  const std::string fn = "spcc_run_device";
  if (!ctx) return fail(SPCC_ERR_INVALID_ARGUMENT, fn + ": ctx is NULL");
  GpuDriver *gpu = ctx->model->gpu.get();
  if (!gpu)
    return fail(SPCC_ERR_UNSUPPORTED, fn + ": " + ctx->model->path + " runs on the " +
                                          ctx->model->device +
                                          ", which has no device buffers; run it with spcc_run");
  const spcc_abi_model &d = *ctx->model->descriptor;
  if (numInputs < 0 || uint32_t(numInputs) != d.num_inputs || numOutputs < 0 ||
      uint32_t(numOutputs) != d.num_outputs)
    return fail(SPCC_ERR_INVALID_ARGUMENT,
                fn + ": " + std::to_string(numInputs) + " inputs and " +
                    std::to_string(numOutputs) + " outputs given, the model has " +
                    std::to_string(d.num_inputs) + " and " + std::to_string(d.num_outputs));
  if ((!inputs && d.num_inputs > 0) || (!outputs && d.num_outputs > 0))
    return fail(SPCC_ERR_INVALID_ARGUMENT, fn + ": inputs or outputs is NULL");
  for (uint32_t i = 0; i < d.num_inputs; ++i)
    if (!inputs[i])
      return fail(SPCC_ERR_INVALID_ARGUMENT,
                  fn + ": inputs[" + std::to_string(i) + "] ('" + d.inputs[i].name + "') is 0");
  for (uint32_t i = 0; i < d.num_outputs; ++i)
    if (!outputs[i])
      return fail(SPCC_ERR_INVALID_ARGUMENT,
                  fn + ": outputs[" + std::to_string(i) + "] ('" + d.outputs[i].name + "') is 0");
  if (const spcc_abi_tensor *batched = firstBatched(d))
    return fail(SPCC_ERR_SHAPE, fn + ": '" + batched->name +
                                    "' has a run-time batch; device runs take fixed shapes");
  if (ctx->running.exchange(true, std::memory_order_acquire))
    return fail(SPCC_ERR_INVALID_ARGUMENT,
                fn + ": the context is already running on another thread (use one context "
                     "per concurrent run)");
  struct RunningGuard {
    std::atomic<bool> &flag;
    ~RunningGuard() { flag.store(false, std::memory_order_release); }
  } guard{ctx->running};
  // A null stream is CUDA's default stream, as in every driver call: PyTorch's default stream
  // is that handle, and running on the context's own stream instead would race with the
  // caller's work on it.
  return runGpuProgramOnDevice(*gpu, d, ctx->deviceArena, stream, ctx->stream, ctx->launchGraph,
                               inputs, outputs, fn.c_str());
}

/// Checks that the caller's array lengths match the model's counts.
spcc_status checkCounts(const spcc_context *ctx, int numInputs, int numOutputs) {
  if (!ctx) return fail(SPCC_ERR_INVALID_ARGUMENT, "spcc_run_checked: ctx is NULL");
  const spcc_abi_model &d = *ctx->model->descriptor;
  auto describe = [](int given, uint32_t expected, const char *kind) {
    return std::to_string(given) + " " + kind + " given, the model has " + std::to_string(expected);
  };
  if (numInputs < 0 || static_cast<uint32_t>(numInputs) != d.num_inputs)
    return fail(SPCC_ERR_INVALID_ARGUMENT,
                "spcc_run_checked: " + describe(numInputs, d.num_inputs, "inputs"));
  if (numOutputs < 0 || static_cast<uint32_t>(numOutputs) != d.num_outputs)
    return fail(SPCC_ERR_INVALID_ARGUMENT,
                "spcc_run_checked: " + describe(numOutputs, d.num_outputs, "outputs"));
  return SPCC_OK;
}

} // namespace

extern "C" spcc_status spcc_context_create(const spcc_model *model, int num_threads,
                                           spcc_context **out) {
  try {
    return createContext(model, num_threads, out);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_context_create: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL, "spcc_context_create: unexpected internal error");
  }
}

extern "C" void spcc_context_free(spcc_context *ctx) {
  if (!ctx) return;
  delete ctx;
}

extern "C" spcc_status spcc_run(spcc_context *ctx, const void *const *inputs,
                                void *const *outputs) {
  try {
    return run(ctx, 1, inputs, outputs, "spcc_run", false);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_run: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL, "spcc_run: the model's run function threw an exception");
  }
}

extern "C" spcc_status spcc_run_device(spcc_context *ctx, int num_inputs, const uint64_t *inputs,
                                       int num_outputs, const uint64_t *outputs, void *stream) {
  try {
    return runDevice(ctx, num_inputs, inputs, num_outputs, outputs, stream);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_run_device: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL, "spcc_run_device: unexpected internal error");
  }
}

extern "C" spcc_status spcc_run_checked(spcc_context *ctx, int num_inputs,
                                        const void *const *inputs, int num_outputs,
                                        void *const *outputs) {
  try {
    if (spcc_status s = checkCounts(ctx, num_inputs, num_outputs)) return s;
    return run(ctx, 1, inputs, outputs, "spcc_run_checked", false);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_run_checked: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL,
                      "spcc_run_checked: the model's run function threw an exception");
  }
}

extern "C" spcc_status spcc_run_batch(spcc_context *ctx, int64_t batch, const void *const *inputs,
                                      void *const *outputs) {
  try {
    return run(ctx, batch, inputs, outputs, "spcc_run_batch", true);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_run_batch: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL,
                      "spcc_run_batch: the model's run function threw an exception");
  }
}
