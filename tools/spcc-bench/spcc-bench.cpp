//===- spcc-bench.cpp - Latency and throughput of a compiled model --------===//
//
// spcc-bench MODEL.so [--mode sync|async] [--threads N] [--streams S] [--seconds T]
//                     [--warmup K] [--batch B] [--json] [--profile]
//
// sync:  one context with N threads (default: all cores) runs the model back to back for T
//        seconds; reports per-run latency median / p90 / p99 and runs per second.
// async: S contexts of one thread each (default S: all cores), each driven by its own OS
//        thread, run concurrently for T seconds; reports the total inferences per second and
//        the latency of every run of every stream.
// Each context first runs K warm-up runs (default 5), which are not measured. Inputs are
// random, from a fixed seed: float32 from N(0, 1); integer and bool inputs 0 or 1 (valid as
// token ids and as masks); float16 inputs zero. Every measurement has at least one run.
// A model compiled with a run-time batch (dims[0] == -1) runs B samples per run (default 1)
// through spcc_run_batch; latency is per run, throughput counts samples.
//
// --profile: after the measurement, one more sync run of T seconds with the model's per-node
// timing on (spcc_model_profile_enable), then a table of the nodes by time per run, and the
// time by op class; profiling's own cost (two clock reads per kernel call) is in those runs,
// not in the measurement above.
// Prints a human-readable summary on stdout; with --json, one JSON object on stdout instead
// (the summary goes to stderr). Uses only the public C API (spcc.h). Exit codes as spcc's:
// 2 bad arguments, 3 cannot read the model, 4 not a (compatible) spcc model, 5 unsupported
// on this machine, 6 shape, 70 internal.
//
//===----------------------------------------------------------------------===//
#include "tools/common/CoreRoundTrip.h"
#include "tools/common/HostCpu.h"
#include "tools/spcc-bench/Statistics.h"

#include "spcc/spcc.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace spcc::bench;

namespace {

using Clock = std::chrono::steady_clock;

const char *const usage =
    "usage: spcc-bench MODEL.so [--mode sync|async] [--threads N] [--streams S] "
    "[--seconds T] [--warmup K] [--batch B] [--json] [--profile]";

/// Exit codes, as the spcc command's.
enum ExitCode {
  ExitOk = 0,
  ExitInvalidArgument = 2,
  ExitIO = 3,
  ExitBadModel = 4,
  ExitUnsupported = 5,
  ExitShape = 6,
  ExitInternal = 70
};

/// A failure: the message printed after "spcc-bench: error: " and the exit code.
struct Failure {
  std::string message;
  int exitCode;
};

int exitCodeOf(spcc_status status) {
  switch (status) {
  case SPCC_OK: return ExitOk;
  case SPCC_ERR_INVALID_ARGUMENT: return ExitInvalidArgument;
  case SPCC_ERR_IO: return ExitIO;
  case SPCC_ERR_BAD_MODEL:
  case SPCC_ERR_ABI_MISMATCH: return ExitBadModel;
  case SPCC_ERR_UNSUPPORTED:
  case SPCC_ERR_DEVICE: return ExitUnsupported; // this machine cannot run the model
  case SPCC_ERR_SHAPE: return ExitShape;
  default: return ExitInternal;
  }
}

/// The failure of a C API call that returned \p status, on the calling thread.
Failure apiFailure(spcc_status status) {
  const char *message = spcc_last_error();
  return {message && *message ? message : "spcc runtime call failed", exitCodeOf(status)};
}

enum class Mode { Sync, Async };

/// The command line.
struct Options {
  std::string modelPath;
  Mode mode = Mode::Sync;
  int threads = 0; ///< sync: threads of the one context; 0 = all cores
  int streams = 0; ///< async: contexts (one thread each); 0 = all cores
  double seconds = 3;
  int warmup = 5;
  int batch = 1; ///< samples per run, for a model with a run-time batch
  bool json = false;
  bool profile = false; ///< a per-node timing run after the measurement
};

std::optional<long> parseInteger(const std::string &text) {
  if (text.empty()) return std::nullopt;
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (errno || *end) return std::nullopt;
  return value;
}

std::optional<double> parseNumber(const std::string &text) {
  if (text.empty()) return std::nullopt;
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (errno || *end || !std::isfinite(value)) return std::nullopt;
  return value;
}

/// Parses argv into \p options; a Failure names the bad flag.
std::optional<Failure> parseOptions(int argc, char **argv, Options &options) {
  auto bad = [](const std::string &message) {
    return Failure{message + " (" + usage + ")", ExitInvalidArgument};
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return Failure{usage, ExitOk};
    if (arg == "--json") {
      options.json = true;
      continue;
    }
    if (arg == "--profile") {
      options.profile = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!options.modelPath.empty())
        return bad("more than one model given: '" + options.modelPath + "' and '" + arg + "'");
      options.modelPath = arg;
      continue;
    }
    // --flag VALUE or --flag=VALUE.
    std::string flag = arg, value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (flag == "--mode" || flag == "--threads" || flag == "--streams" ||
               flag == "--seconds" || flag == "--warmup" || flag == "--batch") {
      if (i + 1 >= argc) return bad(flag + " needs a value");
      value = argv[++i];
    } else {
      return bad("unknown flag '" + arg + "'");
    }
    if (flag == "--mode") {
      if (value == "sync")
        options.mode = Mode::Sync;
      else if (value == "async")
        options.mode = Mode::Async;
      else
        return bad("--mode expects sync or async, not '" + value + "'");
    } else if (flag == "--threads" || flag == "--streams" || flag == "--warmup" ||
               flag == "--batch") {
      std::optional<long> n = parseInteger(value);
      long lowest = flag == "--warmup" ? 0 : 1;
      if (!n || *n < lowest || *n > 4096)
        return bad(flag + " expects an integer from " + std::to_string(lowest) + " to 4096, not '" +
                   value + "'");
      (flag == "--threads"   ? options.threads
       : flag == "--streams" ? options.streams
       : flag == "--batch"   ? options.batch
                             : options.warmup) = int(*n);
    } else if (flag == "--seconds") {
      std::optional<double> t = parseNumber(value);
      if (!t || *t < 0) return bad("--seconds expects a non-negative number, not '" + value + "'");
      options.seconds = *t;
    } else {
      return bad("unknown flag '" + flag + "'");
    }
  }
  if (options.modelPath.empty()) return bad("no model given");
  return std::nullopt;
}

size_t elementSize(spcc_dtype dtype) {
  switch (dtype) {
  case SPCC_FLOAT32:
  case SPCC_INT32: return 4;
  case SPCC_INT64: return 8;
  case SPCC_FLOAT16: return 2;
  case SPCC_BOOL:
  case SPCC_INT8:
  case SPCC_UINT8: return 1;
  }
  return 0;
}

/// One input or output buffer, 64-byte aligned.
struct Buffer {
  spcc_dtype dtype = SPCC_FLOAT32;
  size_t elements = 0;
  std::vector<uint8_t> storage;

  void *data() { return alignedStart(); }
  uint8_t *alignedStart() {
    auto address = reinterpret_cast<uintptr_t>(storage.data());
    return storage.data() + ((64 - address % 64) % 64);
  }
};

/// Describes every input (or output) of \p model as a buffer of its size, \p batch samples of
/// those with a run-time batch.
std::optional<Failure> describeTensors(spcc_model *model, bool outputs, int batch,
                                       std::vector<Buffer> &buffers, std::string &text,
                                       bool &batched) {
  int count = outputs ? spcc_model_num_outputs(model) : spcc_model_num_inputs(model);
  for (int i = 0; i < count; ++i) {
    spcc_tensor_info info;
    spcc_status status =
        outputs ? spcc_model_output(model, i, &info) : spcc_model_input(model, i, &info);
    if (status) return apiFailure(status);
    Buffer buffer;
    buffer.dtype = info.dtype;
    buffer.elements = 1;
    std::string dims;
    for (int d = 0; d < info.rank; ++d) {
      if (d == 0 && info.dims[d] == -1) {
        batched = true;
        buffer.elements *= size_t(batch);
        dims += std::to_string(batch) + "(N)";
        continue;
      }
      if (info.dims[d] < 0)
        return Failure{std::string(outputs ? "output" : "input") + " '" + info.name +
                           "' has a dynamic dimension; compile the model with --shape",
                       ExitShape};
      buffer.elements *= size_t(info.dims[d]);
      dims += (d ? "x" : "") + std::to_string(info.dims[d]);
    }
    size_t bytes = buffer.elements * elementSize(info.dtype);
    if (bytes == 0 && buffer.elements != 0)
      return Failure{std::string("tensor '") + info.name + "' has an unknown element type",
                     ExitBadModel};
    buffer.storage.assign(bytes + 64, 0);
    text += std::string(text.empty() ? "" : ", ") + info.name + "[" + dims + "]";
    buffers.push_back(std::move(buffer));
  }
  return std::nullopt;
}

/// Fills \p buffer with random data from \p rng (see the file comment).
void randomize(Buffer &buffer, std::mt19937 &rng) {
  std::normal_distribution<float> normal;
  void *data = buffer.data();
  for (size_t i = 0; i < buffer.elements; ++i) {
    switch (buffer.dtype) {
    case SPCC_FLOAT32: static_cast<float *>(data)[i] = normal(rng); break;
    case SPCC_INT64: static_cast<int64_t *>(data)[i] = int64_t(rng() % 2); break;
    case SPCC_INT32: static_cast<int32_t *>(data)[i] = int32_t(rng() % 2); break;
    case SPCC_FLOAT16: break; // stays zero
    default: static_cast<uint8_t *>(data)[i] = uint8_t(rng() % 2); break;
    }
  }
}

/// A loaded model with its (shared, read-only) random inputs.
struct LoadedModel {
  spcc_model *model = nullptr;
  std::vector<Buffer> inputs;
  std::vector<Buffer> outputTemplate;
  std::string inputText, outputText;
  int batch = 1; ///< samples per run
  ~LoadedModel() { spcc_model_free(model); }
};

/// One context with its own output buffers: what one stream (or the sync run) uses.
struct Runner {
  spcc_context *context = nullptr;
  std::vector<const void *> inputPointers;
  std::vector<Buffer> outputs;
  std::vector<void *> outputPointers;
  std::vector<double> latenciesMs;
  std::optional<Failure> failure;
  int64_t batch = 1;

  Runner() = default;
  Runner(const Runner &) = delete;
  Runner &operator=(const Runner &) = delete;
  ~Runner() { spcc_context_free(context); }

  std::optional<Failure> create(LoadedModel &loaded, int threads) {
    if (spcc_status status = spcc_context_create(loaded.model, threads, &context))
      return apiFailure(status);
    for (Buffer &input : loaded.inputs) inputPointers.push_back(input.data());
    outputs = loaded.outputTemplate;
    for (Buffer &output : outputs) outputPointers.push_back(output.data());
    batch = loaded.batch;
    return std::nullopt;
  }

  /// One run; false (with `failure` set) when the runtime reports an error.
  bool runOnce() {
    spcc_status status =
        spcc_run_batch(context, batch, inputPointers.data(), outputPointers.data());
    if (status) failure = apiFailure(status);
    return status == SPCC_OK;
  }

  /// \p warmup unmeasured runs.
  bool warmUp(int warmup) {
    for (int i = 0; i < warmup; ++i)
      if (!runOnce()) return false;
    return true;
  }

  /// Runs until \p deadline (at least once), recording each run's latency.
  bool measureUntil(Clock::time_point deadline) {
    do {
      Clock::time_point start = Clock::now();
      if (!runOnce()) return false;
      latenciesMs.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    } while (Clock::now() < deadline);
    return true;
  }
};

Clock::time_point deadlineAfter(Clock::time_point start, double seconds) {
  return start +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::optional<Failure> measureSync(LoadedModel &loaded, const Options &options, Summary &out) {
  Runner runner;
  if (auto failure = runner.create(loaded, options.threads)) return failure;
  if (!runner.warmUp(options.warmup)) return runner.failure;
  Clock::time_point start = Clock::now();
  if (!runner.measureUntil(deadlineAfter(start, options.seconds))) return runner.failure;
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out = summarize(std::move(runner.latenciesMs), seconds);
  return std::nullopt;
}

std::optional<Failure> measureAsync(LoadedModel &loaded, const Options &options, Summary &out) {
  int streams = options.streams;
  std::vector<Runner> runners(static_cast<size_t>(streams));
  for (Runner &runner : runners)
    if (auto failure = runner.create(loaded, 1)) return failure;

  // Every stream warms up, then all start measuring at the same instant and stop at the same
  // deadline; the wall time runs until the last stream's last run ends.
  std::atomic<int> warmedUp{0};
  std::atomic<bool> go{false};
  Clock::time_point start, deadline;
  std::vector<std::thread> threads;
  for (Runner &runner : runners) {
    threads.emplace_back([&, r = &runner] {
      bool ok = r->warmUp(options.warmup);
      warmedUp.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      if (ok) r->measureUntil(deadline);
    });
  }
  while (warmedUp.load() < streams) std::this_thread::yield();
  start = Clock::now();
  deadline = deadlineAfter(start, options.seconds);
  go.store(true, std::memory_order_release);
  for (std::thread &thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> latencies;
  for (Runner &runner : runners) {
    if (runner.failure) return runner.failure;
    latencies.insert(latencies.end(), runner.latenciesMs.begin(), runner.latenciesMs.end());
  }
  out = summarize(std::move(latencies), seconds);
  return std::nullopt;
}

/// \p text with JSON string escapes.
std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

/// A cache line's round trip between the first two CPUs this process may use, measured just
/// before and just after a sync run on several threads of the CPU (CoreRoundTrip.h).
struct CoreRoundTrips {
  int first = -1, second = -1;
  std::optional<double> beforeNs, afterNs;
  bool measured() const { return first >= 0; }
};

/// 20000 trips: a few ms at the slowest placements.
std::optional<double> roundTripBetween(const CoreRoundTrips &cores) {
  return spcc::tools::cacheLineRoundTripNs(cores.first, cores.second, 1, 20000);
}

std::string nsOrNull(std::optional<double> ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", ns ? *ns : 0.0);
  return ns ? text : "null";
}

void printJson(const Options &options, const LoadedModel &loaded, int threads, int streams,
               const Summary &s, const CoreRoundTrips &cores) {
  std::printf("{\"model\": %s, \"device\": %s, \"cpu\": %s, \"mode\": \"%s\", \"threads\": %d, "
              "\"streams\": %d, "
              "\"warmup\": %d, \"runs\": %zu, \"seconds\": %.6f, "
              "\"latency_ms_median\": %.6f, \"latency_ms_p90\": %.6f, \"latency_ms_p99\": %.6f, "
              "\"latency_ms_mean\": %.6f, \"latency_ms_min\": %.6f, \"throughput_per_s\": %.6f, "
              "\"batch\": %d, \"samples_per_s\": %.6f, \"latency_ms_per_sample\": %.6f, "
              "\"core_round_trip_ns_before\": %s, \"core_round_trip_ns_after\": %s}\n",
              jsonString(options.modelPath).c_str(),
              jsonString(spcc_model_device(loaded.model)).c_str(),
              jsonString(spcc::tools::hostCpuDescription()).c_str(),
              options.mode == Mode::Sync ? "sync" : "async", threads, streams, options.warmup,
              s.runs, s.seconds, s.latencyMedian, s.latencyP90, s.latencyP99, s.latencyMean,
              s.latencyMin, s.throughputPerSecond, options.batch,
              s.throughputPerSecond * options.batch, s.latencyMedian / options.batch,
              nsOrNull(cores.beforeNs).c_str(), nsOrNull(cores.afterNs).c_str());
}

void printHuman(std::FILE *out, const Options &options, const LoadedModel &loaded, int threads,
                int streams, const Summary &s, const CoreRoundTrips &cores) {
  std::fprintf(out, "model:      %s\ndevice:     %s\ncpu:        %s\n", options.modelPath.c_str(),
               spcc_model_device(loaded.model), spcc::tools::hostCpuDescription().c_str());
  std::fprintf(out, "inputs:     %s (random)\noutputs:    %s\n", loaded.inputText.c_str(),
               loaded.outputText.c_str());
  if (options.mode == Mode::Sync)
    std::fprintf(out, "mode:       sync, 1 context x %d threads\n", threads);
  else
    std::fprintf(out, "mode:       async, %d contexts x 1 thread\n", streams);
  std::fprintf(out, "runs:       %zu in %.3f s after %d warm-up runs%s\n", s.runs, s.seconds,
               options.warmup, options.mode == Mode::Async ? " per stream" : "");
  std::fprintf(out, "latency:    median %.3f ms  p90 %.3f ms  p99 %.3f ms  (mean %.3f, min %.3f)\n",
               s.latencyMedian, s.latencyP90, s.latencyP99, s.latencyMean, s.latencyMin);
  std::fprintf(out, "throughput: %.2f inferences/s\n", s.throughputPerSecond);
  if (options.batch != 1)
    std::fprintf(out, "per sample: %.2f samples/s, median %.3f ms (batch %d per run)\n",
                 s.throughputPerSecond * options.batch, s.latencyMedian / options.batch,
                 options.batch);
  if (cores.measured())
    std::fprintf(out,
                 "cores:      a cache line's round trip between CPUs %d and %d: %s ns before the "
                 "runs, %s after (tens of ns: they share a cache; hundreds: they do not, and "
                 "threads handing data between them wait for it)\n",
                 cores.first, cores.second, nsOrNull(cores.beforeNs).c_str(),
                 nsOrNull(cores.afterNs).c_str());
}

int fail(const Failure &failure) {
  std::fprintf(stderr, "spcc-bench: error: %s\n", failure.message.c_str());
  return failure.exitCode;
}

/// --profile: a sync run with the model's per-node timing on, then the nodes by time per run
/// and the time per op class, on \p out.
std::optional<Failure> profileNodes(LoadedModel &loaded, const Options &options, std::FILE *out) {
  if (spcc_status status = spcc_model_profile_enable(loaded.model, 1)) return apiFailure(status);
  Runner runner;
  if (auto failure = runner.create(loaded, options.threads)) return failure;
  if (!runner.warmUp(1)) return runner.failure;
  spcc_model_profile_enable(loaded.model, 1); // the warm-up run is not counted
  Clock::time_point start = Clock::now();
  if (!runner.measureUntil(deadlineAfter(start, options.seconds))) return runner.failure;
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  spcc_model_profile_enable(loaded.model, 0);

  struct Row {
    std::string name, op;
    double ms;
  };
  std::vector<Row> rows;
  int64_t runs = 1;
  double total = 0;
  for (int i = 0; i < spcc_model_profile_size(loaded.model); ++i) {
    spcc_profile_entry entry;
    if (spcc_status status = spcc_model_profile_entry(loaded.model, i, &entry))
      return apiFailure(status);
    runs = std::max<int64_t>(1, entry.runs);
    rows.push_back({entry.name, entry.op, entry.seconds * 1e3});
    total += entry.seconds * 1e3;
  }
  for (Row &row : rows) row.ms /= double(runs);
  total /= double(runs);
  std::fprintf(out,
               "\nprofile: %" PRId64 " runs, %.3f ms per run in kernel calls of %.3f ms "
               "per run in all (with profiling's clock reads)\n",
               runs, total, wall * 1e3 / double(runs));
  std::vector<std::pair<std::string, double>> classes;
  for (const Row &row : rows) {
    auto it = std::find_if(classes.begin(), classes.end(),
                           [&](const auto &entry) { return entry.first == row.op; });
    if (it == classes.end()) classes.push_back({row.op, 0.0}), it = classes.end() - 1;
    it->second += row.ms;
  }
  std::sort(classes.begin(), classes.end(),
            [](const auto &a, const auto &b) { return a.second > b.second; });
  std::fprintf(out, "%-44s %10s %7s\n", "op (kernel)", "ms/run", "share");
  for (const auto &[op, ms] : classes)
    std::fprintf(out, "%-44s %10.4f %6.1f%%\n", op.c_str(), ms, total > 0 ? 100 * ms / total : 0.0);
  std::sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
    return a.ms != b.ms ? a.ms > b.ms : a.name < b.name;
  });
  std::fprintf(out, "%-48s %-20s %10s %7s\n", "node", "op", "ms/run", "share");
  for (const Row &row : rows) {
    std::string name =
        row.name.size() > 48 ? "..." + row.name.substr(row.name.size() - 45) : row.name;
    std::fprintf(out, "%-48s %-20s %10.4f %6.1f%%\n", name.c_str(), row.op.c_str(), row.ms,
                 total > 0 ? 100 * row.ms / total : 0.0);
  }
  return std::nullopt;
}

int run(int argc, char **argv) {
  Options options;
  if (auto failure = parseOptions(argc, argv, options)) {
    if (failure->exitCode == ExitOk) {
      std::printf("%s\n", failure->message.c_str());
      return ExitOk;
    }
    return fail(*failure);
  }
  int cores = std::max(1, int(std::thread::hardware_concurrency()));
  int threads = options.mode == Mode::Sync ? (options.threads ? options.threads : cores) : 1;
  int streams = options.mode == Mode::Async ? (options.streams ? options.streams : cores) : 1;
  options.threads = threads;
  options.streams = streams;

  LoadedModel loaded;
  if (spcc_status status = spcc_model_load(options.modelPath.c_str(), &loaded.model))
    return fail(apiFailure(status));
  bool batched = false;
  if (auto failure = describeTensors(loaded.model, false, options.batch, loaded.inputs,
                                     loaded.inputText, batched))
    return fail(*failure);
  if (auto failure = describeTensors(loaded.model, true, options.batch, loaded.outputTemplate,
                                     loaded.outputText, batched))
    return fail(*failure);
  if (!batched && options.batch != 1)
    return fail(Failure{"--batch " + std::to_string(options.batch) + ": " + options.modelPath +
                            " has fixed shapes (compile it with --shape NAME=Nx... for a "
                            "run-time batch)",
                        ExitShape});
  loaded.batch = options.batch;
  std::mt19937 rng(0);
  for (Buffer &input : loaded.inputs) randomize(input, rng);

  CoreRoundTrips roundTrips;
  std::vector<int> cpus = spcc::tools::allowedCpus();
  if (options.mode == Mode::Sync && threads >= 2 && cpus.size() >= 2 &&
      std::strncmp(spcc_model_device(loaded.model), "cpu", 3) == 0) {
    roundTrips.first = cpus[0];
    roundTrips.second = cpus[1];
    roundTrips.beforeNs = roundTripBetween(roundTrips);
  }
  Summary summary;
  auto failure = options.mode == Mode::Sync ? measureSync(loaded, options, summary)
                                            : measureAsync(loaded, options, summary);
  if (failure) return fail(*failure);
  if (roundTrips.measured()) roundTrips.afterNs = roundTripBetween(roundTrips);
  if (options.json) {
    printHuman(stderr, options, loaded, threads, streams, summary, roundTrips);
    printJson(options, loaded, threads, streams, summary, roundTrips);
  } else {
    printHuman(stdout, options, loaded, threads, streams, summary, roundTrips);
  }
  if (options.profile) {
    Options profiled = options;
    profiled.threads = threads;
    if (auto failure = profileNodes(loaded, profiled, options.json ? stderr : stdout))
      return fail(*failure);
  }
  return ExitOk;
}

} // namespace

int main(int argc, char **argv) { return run(argc, argv); }
