//===- spcc-kbench.cpp - spcc's sparse kernels against peer libraries -----===//
//
// spcc-kbench --suite spmm|conv|all [--quick] [--threads LIST] [--csv FILE] [--impl LIST]
//             [--reps R]
// spcc-kbench --m M --k K --n N --sparsity S [--seed X] [--threads LIST] [--impl LIST] ...
// spcc-kbench --cin C --cout C --hw HW [--kernel K] [--stride S] --sparsity S [--seed X] ...
// spcc-kbench --probe [--reps R]
//
// For every problem and thread count: generates A (magnitude-pruned Gaussian) and B, computes
// the double-precision reference, prepares every implementation (spcc, LIBXSMM, oneDNN,
// Eigen), checks each one's output against the reference, then times them interleaved.
// Prints one CSV row per implementation (stdout, and --csv FILE), then a summary of geometric
// mean speedups over oneDNN. Progress goes to stderr. Exit codes: 0 all results right,
// 1 an implementation computed a wrong result or failed, 2 bad arguments.
//
//===----------------------------------------------------------------------===//
#include "tools/common/HostCpu.h"
#include "tools/spcc-kbench/CoreProbe.h"
#include "tools/spcc-kbench/KernelImpl.h"
#include "tools/spcc-kbench/KernelProblem.h"

#include "backends/x86/TargetIsa.h"
#include "compiler/support/Error.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace spcc::kbench;

namespace {

const char *const usageText = R"(usage:
  spcc-kbench --suite spmm|conv|all [--quick] [--threads LIST] [--csv FILE] [--impl LIST] [--reps R]
  spcc-kbench --m M --k K --n N --sparsity S [--seed X] [--threads LIST] [--impl LIST] [--reps R]
  spcc-kbench --cin C --cout C --hw HW [--kernel K] [--stride S] --sparsity S [--seed X] [--threads LIST] ...
  spcc-kbench --probe [--reps R]

Times C = A * B (A sparse, m x k; B dense, k x n; all row-major) and K x K convolutions
(--kernel K, odd, default 3; pad (K - 1) / 2; one NCHW image, weights [cout, cin, K, K]
sparse) with spcc's generated kernels
and peer libraries: onednn (dense f32, zeros included: the baseline), libxsmm (fsspmdm or
blocked-CSR spmdm, whichever is faster; no convolution), eigen (SparseMatrix RowMajor * dense;
no convolution). A: unit Gaussian magnitude-pruned to exactly S zeros; B uniform in [-1, 1].

  --suite spmm   M=K in {256,512,1024,2048} x sparsity {0.7,0.8,0.9,0.95} x N in {128,512,2048}
  --suite conv   Cin, Cout in {32,64,128,256} (all pairs) x H=W in {7,14,28,56} x sparsity {0.9,0.95},
                 3x3; and 7x7 (pad 3): Cin=Cout in {32,64,128} x H=W in {14,28,56} x {0.9,0.95}
  --suite all    both
  --quick        a subset: M=K in {256,1024} x N in {128,512} x sparsity {0.7,0.9,0.95};
                 Cin=Cout in {64,128} x H=W in {14,28} x sparsity {0.9,0.95}; 7x7 64 x 28x28
  --threads LIST thread counts, e.g. 1,2: every problem runs with each (default 1), all of
                 them timed in the same rounds (spcc's kernels tuned on one thread, as
                 `spcc -o` tunes by default)
  --impl LIST    subset of spcc,libxsmm,onednn,eigen (default all)
  --reps R       timing rounds (default 5); in each round every implementation at every
                 thread count runs back to back for >= 20 ms (at least once), interleaved
                 with the others; median_s is
                 the median over rounds of each round's median seconds per run
  --csv FILE     also write the CSV table to FILE
  --seed X       seed of the single problem's data (default 1; suites use 1)
  --probe        instead of problems: time the instruction mixes spcc's kernels are made of
                 (vector FMAs with operands in registers; each from its own vector load, from
                 L1 and from L2; one load shared by 2 or 4 FMAs, aligned and across two cache
                 lines; each weight broadcast from memory; one dependent chain; 16384 FMAs of
                 straight-line code, as an unrolled tile past the instruction caches, one
                 vector of B per 4, 2 or 1 FMAs),
                 JIT-compiled for this CPU's level at its vector widths, R rounds (--reps),
                 medians. A mix's FMAs per ns against register-only FMAs bound any kernel
                 built from it: a nonzero loop loads one vector of B per FMA, so
                 fma-load-each is its ceiling on this core. Then one cache line's round
                 trip between the first CPU this process may use and each other one (tens of
                 ns where two cores share a cache, hundreds where they do not).

Correctness: every output is compared with a double-precision reference; a result is wrong
when max|C - ref| > 1e-4 * max(1, max|ref|) * sqrt(K), K = k (product) or cin*kh*kw
(convolution). A wrong result is a row with status "wrong: ..." and exit code 1.
CSV columns: kind,m,k,n,cin,cout,h,w,kh,kw,stride,sparsity,threads,impl,variant,median_s,gflops,
speedup_vs_onednn,nonzero_gflops,pct_of_onednn,status,code_bytes,data_bytes,csr_bytes,compile_s.
The last four are spcc's
(empty for peers): machine code and read-only data of the chosen kernel, the weights as CSR
(float values, int32 columns and row starts) for comparison, and that kernel's LLVM code
generation seconds (tuning compiles and times several; prepare time is printed per problem).
spcc's kernel is tuned as this benchmark times: back to back, caches warm (a model's tuner sweeps
the caches before each timed run instead, and may choose another tiling for the same layer).
gflops is effective dense GFLOP/s: 2*m*k*n / median_s for a
product, 2*cout*cin*kh*kw*outH*outW / median_s for a convolution (zeros counted), so it is
comparable across implementations. speedup_vs_onednn = onednn median_s / this median_s.
nonzero_gflops counts only the weights' nonzeros (the work a sparse kernel must do), and
pct_of_onednn is it as a percentage of onednn's dense GFLOP/s on the same problem: how close
the kernel comes to the dense peak this core reaches. The CPU and the ISA level of spcc's code
are printed first (stderr) and above the summary.
After the table: geometric-mean speedups over onednn per thread count and sparsity (and per
window size where convolutions of several sizes ran), spcc over libxsmm, and the break-even
sparsity of spcc against onednn (linear interpolation; of the smallest window's rows).
Exit codes: 0 ok, 1 a wrong result or a failed implementation, 2 bad arguments.
)";

const char *const csvHeader =
    "kind,m,k,n,cin,cout,h,w,kh,kw,stride,sparsity,threads,impl,"
    "variant,median_s,gflops,speedup_vs_onednn,nonzero_gflops,pct_of_onednn,"
    "status,code_bytes,"
    "data_bytes,csr_bytes,compile_s";

/// Implementations in the order they are prepared and timed; onednn first as the baseline.
const char *const knownImpls[] = {"onednn", "spcc", "libxsmm", "eigen"};

enum class Suite { None, Spmm, Conv, All };

/// Everything the command line sets.
struct Options {
  Suite suite = Suite::None;
  bool quick = false;
  bool help = false;
  bool probe = false;
  /// The flags the command line gave (without their values).
  std::set<std::string> given;
  std::vector<int> threads{1};
  std::string csvPath;
  std::vector<std::string> impls{std::begin(knownImpls), std::end(knownImpls)};
  int rounds = 5;
  std::optional<KernelProblem> single;
};

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

std::vector<std::string> splitList(const std::string &text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

bool parseInteger(const std::string &text, int64_t &value) {
  if (text.empty()) return false;
  char *end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (errno || *end) return false;
  value = parsed;
  return true;
}

bool parseReal(const std::string &text, double &value) {
  if (text.empty()) return false;
  char *end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return !*end && std::isfinite(value);
}

/// Fills \p options from argv; returns an error message, empty on success.
/// Sets options.impls from --impl's comma-separated list; an error message or "".
std::string parseImpls(const std::string &text, Options &options) {
  options.impls.clear();
  for (const std::string &item : splitList(text)) {
    if (std::find(std::begin(knownImpls), std::end(knownImpls), item) == std::end(knownImpls))
      return "unknown implementation '" + item + "' (spcc, libxsmm, onednn, eigen)";
    if (std::find(options.impls.begin(), options.impls.end(), item) == options.impls.end())
      options.impls.push_back(item);
  }
  // Keep the canonical order: onednn first, as the baseline.
  std::vector<std::string> ordered;
  for (const char *known : knownImpls)
    if (std::find(options.impls.begin(), options.impls.end(), known) != options.impls.end())
      ordered.push_back(known);
  options.impls = ordered;
  return "";
}

/// Reads \p flag, whose value \p next gives, into \p options, or a single problem's flag into
/// \p problemFlags (checked by parseProblem); an error message or "".
std::string parseFlag(const std::string &flag,
                      const std::function<std::optional<std::string>()> &next, Options &options,
                      std::map<std::string, std::string> &problemFlags) {
  if (flag == "--help" || flag == "-h") {
    options.help = true;
  } else if (flag == "--quick") {
    options.quick = true;
  } else if (flag == "--probe") {
    options.probe = true;
  } else if (flag == "--suite") {
    auto text = next();
    if (!text) return "--suite needs a value";
    if (*text == "spmm")
      options.suite = Suite::Spmm;
    else if (*text == "conv")
      options.suite = Suite::Conv;
    else if (*text == "all")
      options.suite = Suite::All;
    else
      return "--suite must be spmm, conv or all, not '" + *text + "'";
  } else if (flag == "--threads") {
    auto text = next();
    if (!text) return "--threads needs a value";
    options.threads.clear();
    for (const std::string &item : splitList(*text)) {
      int64_t count;
      if (!parseInteger(item, count) || count < 1 || count > 1024)
        return "--threads takes a list of thread counts >= 1, not '" + *text + "'";
      options.threads.push_back(int(count));
    }
  } else if (flag == "--impl") {
    auto text = next();
    if (!text) return "--impl needs a value";
    return parseImpls(*text, options);
  } else if (flag == "--reps") {
    auto text = next();
    int64_t rounds;
    if (!text || !parseInteger(*text, rounds) || rounds < 1 || rounds > 1000)
      return "--reps takes a count of rounds >= 1";
    options.rounds = int(rounds);
  } else if (flag == "--csv") {
    auto text = next();
    if (!text || text->empty()) return "--csv needs a file name";
    options.csvPath = *text;
  } else if (flag == "--m" || flag == "--k" || flag == "--n" || flag == "--cin" ||
             flag == "--cout" || flag == "--hw" || flag == "--kernel" || flag == "--stride" ||
             flag == "--sparsity" || flag == "--seed") {
    auto text = next();
    if (!text) return flag + " needs a value";
    problemFlags[flag.substr(2)] = *text;
  } else {
    return "unknown argument '" + flag + "' (see --help)";
  }
  return "";
}

/// The single problem --m/--k/--n or --cin/--cout/--hw describe (or none with --suite) into
/// options.single; an error message or "".
std::string parseProblem(const std::map<std::string, std::string> &problemFlags, Options &options) {
  bool product = problemFlags.count("m") || problemFlags.count("k") || problemFlags.count("n");
  bool conv = problemFlags.count("cin") || problemFlags.count("cout") || problemFlags.count("hw") ||
              problemFlags.count("kernel") || problemFlags.count("stride");
  if (options.probe) {
    if (options.suite != Suite::None || !problemFlags.empty() || options.quick)
      return "--probe takes no problem (--suite, --quick, --m, --cin, ...)";
    for (const char *flag : {"--threads", "--impl", "--csv"})
      if (options.given.count(flag))
        return std::string("--probe times spcc's instruction mixes on one thread and prints a "
                           "table: it takes --reps only, not ") +
               flag;
    return "";
  }
  if (options.suite != Suite::None) {
    if (!problemFlags.empty())
      return "--suite and a single problem's flags (--m, --cin, --sparsity, ...) exclude each "
             "other";
    return "";
  }
  if (options.quick) return "--quick needs --suite";
  if (product && conv) return "give either --m/--k/--n or --cin/--cout/--hw, not both";
  if (!product && !conv) return "give --suite, or a problem (--m --k --n or --cin --cout --hw)";

  auto integer = [&](const char *name, int64_t fallback, bool required,
                     std::string &error) -> int64_t {
    auto it = problemFlags.find(name);
    if (it == problemFlags.end()) {
      if (required && error.empty()) error = std::string("missing --") + name;
      return fallback;
    }
    int64_t value;
    if (!parseInteger(it->second, value) || value < 1 || value > (int64_t(1) << 20)) {
      if (error.empty()) error = std::string("--") + name + " takes a positive integer";
      return fallback;
    }
    return value;
  };
  std::string error;
  KernelProblem problem;
  if (product) {
    problem.kind = KernelProblem::Kind::Spmm;
    problem.m = integer("m", 1, true, error);
    problem.k = integer("k", 1, true, error);
    problem.n = integer("n", 1, true, error);
  } else {
    problem.kind = KernelProblem::Kind::Conv;
    problem.cin = integer("cin", 1, true, error);
    problem.cout = integer("cout", 1, true, error);
    problem.h = problem.w = integer("hw", 1, true, error);
    problem.stride = integer("stride", 1, false, error);
    problem.setSquareWindow(integer("kernel", 3, false, error));
    if (error.empty() && (problem.kh % 2 == 0 || problem.kh > 11))
      error = "--kernel takes an odd window size from 1 to 11";
  }
  if (auto it = problemFlags.find("seed"); it != problemFlags.end()) {
    int64_t seed;
    if (!parseInteger(it->second, seed) || seed < 0) return "--seed takes an integer >= 0";
    problem.seed = uint64_t(seed);
  }
  if (!error.empty()) return error;
  auto sparsity = problemFlags.find("sparsity");
  if (sparsity == problemFlags.end()) return "missing --sparsity";
  if (!parseReal(sparsity->second, problem.sparsity) || problem.sparsity < 0 ||
      problem.sparsity >= 1)
    return "--sparsity takes a fraction in [0, 1)";
  options.single = problem;
  return "";
}

std::string parseOptions(int argc, char **argv, Options &options) {
  std::map<std::string, std::string> problemFlags; // --m, --cin, ... as given
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i], value;
    bool hasValue = false;
    if (size_t equals = flag.find('='); flag.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
      hasValue = true;
    }
    auto next = [&]() -> std::optional<std::string> {
      if (hasValue) return value;
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    options.given.insert(flag);
    if (std::string error = parseFlag(flag, next, options, problemFlags); !error.empty())
      return error;
  }
  if (options.help) return "";
  return parseProblem(problemFlags, options);
}

//===----------------------------------------------------------------------===//
// Problems
//===----------------------------------------------------------------------===//

std::vector<KernelProblem> suiteProblems(const Options &options) {
  std::vector<KernelProblem> problems;
  if (options.suite == Suite::Spmm || options.suite == Suite::All) {
    std::vector<int64_t> sizes = options.quick ? std::vector<int64_t>{256, 1024}
                                               : std::vector<int64_t>{256, 512, 1024, 2048};
    std::vector<int64_t> columns =
        options.quick ? std::vector<int64_t>{128, 512} : std::vector<int64_t>{128, 512, 2048};
    std::vector<double> sparsities = options.quick ? std::vector<double>{0.7, 0.9, 0.95}
                                                   : std::vector<double>{0.7, 0.8, 0.9, 0.95};
    for (int64_t size : sizes)
      for (int64_t n : columns)
        for (double sparsity : sparsities) {
          KernelProblem p;
          p.kind = KernelProblem::Kind::Spmm;
          p.m = p.k = size;
          p.n = n;
          p.sparsity = sparsity;
          problems.push_back(p);
        }
  }
  if (options.suite == Suite::Conv || options.suite == Suite::All) {
    auto addConvolution = [&](int64_t cin, int64_t cout, int64_t side, int64_t window) {
      for (double sparsity : {0.9, 0.95}) {
        KernelProblem p;
        p.kind = KernelProblem::Kind::Conv;
        p.cin = cin;
        p.cout = cout;
        p.h = p.w = side;
        p.setSquareWindow(window);
        p.sparsity = sparsity;
        problems.push_back(p);
      }
    };
    std::vector<int64_t> channels =
        options.quick ? std::vector<int64_t>{64, 128} : std::vector<int64_t>{32, 64, 128, 256};
    std::vector<int64_t> sides =
        options.quick ? std::vector<int64_t>{14, 28} : std::vector<int64_t>{7, 14, 28, 56};
    for (int64_t cin : channels)
      for (int64_t cout : channels)
        for (int64_t side : sides)
          if (!options.quick || cin == cout) addConvolution(cin, cout, side, 3);
    // 7x7 layers (the summary gives them rows of their own).
    std::vector<int64_t> sevenChannels =
        options.quick ? std::vector<int64_t>{64} : std::vector<int64_t>{32, 64, 128};
    std::vector<int64_t> sevenSides =
        options.quick ? std::vector<int64_t>{28} : std::vector<int64_t>{14, 28, 56};
    for (int64_t channels : sevenChannels)
      for (int64_t side : sevenSides) addConvolution(channels, channels, side, 7);
  }
  return problems;
}

/// The most a correct output may differ from the reference (see the usage text).
double tolerance(const KernelProblem &p, const std::vector<float> &ref) {
  double largest = 1.0;
  for (float value : ref) largest = std::max(largest, double(std::fabs(value)));
  double reduction =
      p.kind == KernelProblem::Kind::Spmm ? double(p.k) : double(p.cin * p.kh * p.kw);
  return 1e-4 * largest * std::sqrt(reduction);
}

/// Largest |out - ref|; infinity if an element is not a number.
double maxDifference(const float *out, const std::vector<float> &ref) {
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    double diff = std::fabs(double(out[i]) - double(ref[i]));
    if (std::isnan(diff)) return INFINITY;
    worst = std::max(worst, diff);
  }
  return worst;
}

//===----------------------------------------------------------------------===//
// Timing
//===----------------------------------------------------------------------===//

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t half = values.size() / 2;
  return values.size() % 2 ? values[half] : 0.5 * (values[half - 1] + values[half]);
}

double secondsOf(KernelImpl &impl) {
  auto start = std::chrono::steady_clock::now();
  impl.run();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count();
}

/// Median seconds per run of each of \p impls, timed interleaved: \p rounds rounds, in each
/// of which every implementation runs back to back for >= 20 ms (at least once); a round
/// keeps the median run, the result is the median over rounds.
std::vector<double> timeInterleaved(const std::vector<KernelImpl *> &impls, int rounds) {
  constexpr double roundSeconds = 0.02;
  std::vector<int> runsPerRound;
  for (KernelImpl *impl : impls) {
    impl->run(); // warm-up
    double once = secondsOf(*impl);
    runsPerRound.push_back(
        int(std::clamp(std::ceil(roundSeconds / std::max(once, 1e-9)), 1.0, 100000.0)));
  }
  std::vector<std::vector<double>> roundMedians(impls.size());
  std::vector<double> samples;
  for (int round = 0; round < rounds; ++round)
    for (size_t i = 0; i < impls.size(); ++i) {
      samples.clear();
      for (int run = 0; run < runsPerRound[i]; ++run) samples.push_back(secondsOf(*impls[i]));
      roundMedians[i].push_back(median(samples));
    }
  std::vector<double> result;
  for (const auto &medians : roundMedians) result.push_back(median(medians));
  return result;
}

//===----------------------------------------------------------------------===//
// Measurements and output
//===----------------------------------------------------------------------===//

/// One implementation on one problem at one thread count.
struct Outcome {
  std::string impl, variant, status = "ok";
  std::optional<GeneratedCode> code;
  double seconds = NAN;      ///< median seconds per run; NaN unless status is "ok"
  double prepareSeconds = 0; ///< wall time of prepare() (code generation, tuning, packing)
};

/// All implementations on one problem at one thread count.
struct Measurement {
  size_t problem = 0;
  int threads = 1;
  std::vector<Outcome> outcomes;

  const Outcome *find(const std::string &impl) const {
    for (const Outcome &o : outcomes)
      if (o.impl == impl && o.status == "ok") return &o;
    return nullptr;
  }
  /// onednn's time over \p impl's; NaN if either did not run.
  double speedup(const std::string &impl) const {
    const Outcome *base = find("onednn"), *other = find(impl);
    return base && other ? base->seconds / other->seconds : NAN;
  }
};

/// \p text as one CSV field (quoted when it holds a comma, quote or newline).
std::string csvField(const std::string &text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char ch : text) {
    if (ch == '"') quoted += '"';
    quoted += ch == '\n' ? ' ' : ch;
  }
  return quoted + "\"";
}

/// The fraction of the weights that are nonzero (a sparse kernel's share of the dense work).
double nonzeroFraction(const KernelProblem &p) {
  if (p.a.empty()) return 1;
  auto nonzeros = std::count_if(p.a.begin(), p.a.end(), [](float v) { return v != 0; });
  return double(nonzeros) / double(p.a.size());
}

std::string csvRow(const KernelProblem &p, const Measurement &m, const Outcome &o) {
  auto num = [](int64_t v) { return std::to_string(v); };
  std::string row;
  if (p.kind == KernelProblem::Kind::Spmm)
    row = "spmm," + num(p.m) + "," + num(p.k) + "," + num(p.n) + ",,,,,,,";
  else
    row = "conv,,,," + num(p.cin) + "," + num(p.cout) + "," + num(p.h) + "," + num(p.w) + "," +
          num(p.kh) + "," + num(p.kw) + "," + num(p.stride);
  char text[160];
  std::snprintf(text, sizeof(text), ",%g,%d,", p.sparsity, m.threads);
  row += text;
  row += o.impl + "," + csvField(o.variant) + ",";
  if (o.status == "ok") {
    double speedup = m.speedup(o.impl);
    std::snprintf(text, sizeof(text), "%.6e,%.3f,", o.seconds, p.denseFlops() / o.seconds * 1e-9);
    row += text;
    if (!std::isnan(speedup)) {
      std::snprintf(text, sizeof(text), "%.4f", speedup);
      row += text;
    }
    double nonzeroGflops = p.denseFlops() * nonzeroFraction(p) / o.seconds * 1e-9;
    std::snprintf(text, sizeof(text), ",%.3f,", nonzeroGflops);
    row += text;
    if (const Outcome *onednn = m.find("onednn")) {
      std::snprintf(text, sizeof(text), "%.1f",
                    100 * nonzeroGflops * onednn->seconds * 1e9 / p.denseFlops());
      row += text;
    }
  } else {
    row += ",,,,";
  }
  row += "," + csvField(o.status);
  if (!o.code) return row + ",,,,";
  std::snprintf(text, sizeof(text), ",%lld,%lld,%lld,%.4f", (long long)o.code->codeBytes,
                (long long)o.code->dataBytes, (long long)o.code->csrBytes, o.code->compileSeconds);
  return row + text;
}

/// The implementations, one instance for each thread count.
using ImplsByThreads = std::vector<std::vector<std::pair<std::string, KernelImpl *>>>;

/// Runs every implementation on \p problem at every thread count of \p threadCounts
/// (\p impls[i] holds instances for the i-th): prepare, check, then time all of them in the
/// same interleaved rounds, so that a spell of other load on the host slows every thread count
/// alike and their ratios hold. One Measurement per thread count, in order.
std::vector<Measurement> measure(const KernelProblem &problem, const std::vector<float> &ref,
                                 const std::vector<int> &threadCounts, const ImplsByThreads &impls,
                                 int rounds) {
  std::vector<Measurement> results(threadCounts.size());
  const double allowed = tolerance(problem, ref);
  std::vector<KernelImpl *> timed;
  std::vector<Outcome *> timedOutcome;
  for (size_t t = 0; t < threadCounts.size(); ++t) {
    Measurement &result = results[t];
    result.threads = threadCounts[t];
    result.outcomes.reserve(impls[t].size()); // timedOutcome points into it
    for (const auto &[name, impl] : impls[t]) {
      Outcome &outcome = result.outcomes.emplace_back();
      outcome.impl = name;
      try {
        auto start = std::chrono::steady_clock::now();
        std::string skip = impl->prepare(problem, result.threads);
        std::chrono::duration<double> prepared = std::chrono::steady_clock::now() - start;
        outcome.prepareSeconds = prepared.count();
        if (!skip.empty()) {
          outcome.status = "skipped: " + skip;
          continue;
        }
        outcome.variant = impl->variant();
        outcome.code = impl->generatedCode();
        impl->run();
        double diff = maxDifference(impl->output(), ref);
        if (diff > allowed) {
          char text[160];
          std::snprintf(text, sizeof(text), "wrong: max|diff| %.3g > tolerance %.3g", diff,
                        allowed);
          outcome.status = text;
          continue;
        }
        timed.push_back(impl);
        timedOutcome.push_back(&outcome);
      } catch (const std::exception &e) {
        outcome.status = std::string("error: ") + e.what();
      }
    }
  }
  std::vector<double> seconds = timeInterleaved(timed, rounds);
  for (size_t i = 0; i < timed.size(); ++i) timedOutcome[i]->seconds = seconds[i];
  return results;
}

/// "onednn 0.14ms spcc 1.52x libxsmm 0.80x ..." (relative to onednn when it ran), with the
/// prepare() time of slow preparations.
std::string progressSummary(const Measurement &m) {
  std::string text;
  char item[96];
  for (const Outcome &o : m.outcomes) {
    if (o.status != "ok") {
      text += " " + o.impl + " " + o.status.substr(0, o.status.find(':'));
      continue;
    }
    double speedup = m.speedup(o.impl);
    if (o.impl == "onednn" || std::isnan(speedup))
      std::snprintf(item, sizeof(item), " %s %.3gms", o.impl.c_str(), o.seconds * 1e3);
    else
      std::snprintf(item, sizeof(item), " %s %.2fx", o.impl.c_str(), speedup);
    text += item;
    if (o.prepareSeconds >= 1) {
      std::snprintf(item, sizeof(item), " (prepare %.0fs)", o.prepareSeconds);
      text += item;
    }
  }
  return text;
}

//===----------------------------------------------------------------------===//
// Summary
//===----------------------------------------------------------------------===//

/// Geometric mean of the finite positive values; NaN if none.
double geometricMean(const std::vector<double> &values) {
  double logSum = 0;
  int count = 0;
  for (double v : values)
    if (std::isfinite(v) && v > 0) {
      logSum += std::log(v);
      ++count;
    }
  return count ? std::exp(logSum / count) : NAN;
}

std::string ratioText(double value) {
  if (std::isnan(value)) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fx", value);
  return text;
}

/// The lowest sparsity where \p speedups (by ascending sparsity) reaches 1, interpolated
/// linearly between the measured sparsities around the crossing.
std::string breakEven(const std::vector<std::pair<double, double>> &speedups) {
  char text[96];
  for (size_t i = 0; i < speedups.size(); ++i) {
    auto [sparsity, speedup] = speedups[i];
    if (std::isnan(speedup) || speedup < 1) continue;
    if (i == 0 || std::isnan(speedups[i - 1].second)) {
      std::snprintf(text, sizeof(text), "%s%g (spcc already %.2fx at %g)",
                    i == 0 ? "at or below " : "at most ", sparsity, speedup, sparsity);
      return text;
    }
    auto [lowS, lowX] = speedups[i - 1];
    double at = lowS + (1 - lowX) * (sparsity - lowS) / (speedup - lowX);
    std::snprintf(text, sizeof(text), "%.3f (%.2fx at %g, %.2fx at %g)", at, lowX, lowS, speedup,
                  sparsity);
    return text;
  }
  if (speedups.empty()) return "-";
  std::snprintf(text, sizeof(text), "above %g (not reached)", speedups.back().first);
  return text;
}

/// "CPU model (family F, model M), spcc code for LEVEL tuned for CPU": what the figures are of.
std::string machineDescription() {
  std::string text = spcc::tools::hostCpuDescription();
  auto isa = spcc::x86::selectTargetIsa("host");
  if (!isa) return text + ", " + spcc::takeMessage(isa.takeError());
  return text + ", spcc code for " + isa->kernelLevel + " tuned for " + isa->tuneCpu;
}

/// spcc's time on one thread over its time on each other thread count (measured in the same
/// rounds), for the problems of \p kind of at least 512 positions (n, or output pixels) and
/// for the smaller ones: geometric mean and lowest.
void printThreadScaling(KernelProblem::Kind kind, const char *kindName,
                        const std::vector<KernelProblem> &problems,
                        const std::vector<Measurement> &measurements,
                        const std::vector<int> &threadCounts) {
  auto spccSeconds = [&](size_t problem, int threads) {
    for (const Measurement &m : measurements)
      if (m.problem == problem && m.threads == threads)
        if (const Outcome *spcc = m.find("spcc")) return spcc->seconds;
    return double(NAN);
  };
  if (std::find(threadCounts.begin(), threadCounts.end(), 1) == threadCounts.end()) return;
  for (int threads : threadCounts) {
    if (threads == 1) continue;
    std::vector<double> large, small;
    for (size_t index = 0; index < problems.size(); ++index) {
      const KernelProblem &p = problems[index];
      if (p.kind != kind) continue;
      double scaling = spccSeconds(index, 1) / spccSeconds(index, threads);
      if (!std::isfinite(scaling)) continue;
      int64_t positions = kind == KernelProblem::Kind::Spmm ? p.n : p.outH() * p.outW();
      (positions >= 512 ? large : small).push_back(scaling);
    }
    if (large.empty() && small.empty()) continue;
    std::printf("\n== %s, spcc on %d threads against 1 (one-thread time / %d-thread time) ==\n",
                kindName, threads, threads);
    std::printf("%-14s %8s %8s %8s\n", "positions", "problems", "geomean", "lowest");
    for (auto [label, values] : {std::pair{">= 512", &large}, std::pair{"< 512", &small}}) {
      if (values->empty()) continue;
      std::printf("%-14s %8zu %8s %8s\n", label, values->size(),
                  ratioText(geometricMean(*values)).c_str(),
                  ratioText(*std::min_element(values->begin(), values->end())).c_str());
    }
  }
}

void printSummary(const std::vector<KernelProblem> &problems,
                  const std::vector<double> &nonzeroShare,
                  const std::vector<Measurement> &measurements, const Options &options) {
  std::printf("\n== machine: %s ==\n", machineDescription().c_str());
  std::vector<std::string> others;
  for (const std::string &impl : options.impls)
    if (impl != "onednn") others.push_back(impl);
  bool hasOnednn = others.size() != options.impls.size();
  bool spccVsLibxsmm = std::count(others.begin(), others.end(), "spcc") &&
                       std::count(others.begin(), others.end(), "libxsmm");
  bool spccRuns = std::count(others.begin(), others.end(), "spcc");
  for (auto kind : {KernelProblem::Kind::Spmm, KernelProblem::Kind::Conv}) {
    const char *kindName = kind == KernelProblem::Kind::Spmm ? "spmm" : "conv";
    for (int threads : options.threads) {
      std::set<double> sparsities;
      for (const Measurement &m : measurements)
        if (m.threads == threads && problems[m.problem].kind == kind)
          sparsities.insert(problems[m.problem].sparsity);
      if (sparsities.empty()) continue;
      std::printf("\n== %s, %d thread%s: geometric mean speedup over onednn "
                  "(onednn time / impl time) ==\n",
                  kindName, threads, threads == 1 ? "" : "s");
      if (!hasOnednn) {
        std::printf("(onednn was not run: no speedups)\n");
        continue;
      }
      std::printf("%-9s %8s", "sparsity", "problems");
      for (const std::string &impl : others) std::printf(" %9s", impl.c_str());
      if (spccVsLibxsmm) std::printf("  %s", "spcc-over-libxsmm");
      if (spccRuns) std::printf("  %s", "spcc-%-of-onednn-peak");
      std::printf("\n");
      std::vector<std::pair<double, double>> spccCurve;
      auto row = [&](const char *label, auto selected) {
        int count = 0;
        std::printf("%-9s", label);
        std::map<std::string, std::vector<double>> speedups;
        std::vector<double> overLibxsmm, percentOfOnednn;
        for (const Measurement &m : measurements) {
          if (m.threads != threads || problems[m.problem].kind != kind ||
              !selected(problems[m.problem]))
            continue;
          ++count;
          for (const std::string &impl : others) speedups[impl].push_back(m.speedup(impl));
          const Outcome *spcc = m.find("spcc"), *libxsmm = m.find("libxsmm");
          if (spcc && libxsmm) overLibxsmm.push_back(libxsmm->seconds / spcc->seconds);
          if (const Outcome *onednn = m.find("onednn"); spcc && onednn)
            percentOfOnednn.push_back(100 * nonzeroShare[m.problem] * onednn->seconds /
                                      spcc->seconds);
        }
        std::printf(" %8d", count);
        std::map<std::string, double> means;
        for (const std::string &impl : others) {
          means[impl] = geometricMean(speedups[impl]);
          std::printf(" %9s", ratioText(means[impl]).c_str());
        }
        if (spccVsLibxsmm) std::printf("  %17s", ratioText(geometricMean(overLibxsmm)).c_str());
        if (spccRuns) {
          double percent = geometricMean(percentOfOnednn);
          if (std::isnan(percent))
            std::printf("  %12s", "-");
          else
            std::printf("  %11.0f%%", percent);
        }
        std::printf("\n");
        return means.count("spcc") ? means["spcc"] : NAN;
      };
      // Convolutions of several window sizes get a row per size: their speedups differ.
      std::set<int64_t> windows;
      for (const Measurement &m : measurements)
        if (m.threads == threads && problems[m.problem].kind == kind)
          windows.insert(problems[m.problem].kh);
      for (double sparsity : sparsities)
        for (int64_t window : windows) {
          char label[32];
          if (windows.size() < 2)
            std::snprintf(label, sizeof(label), "%g", sparsity);
          else
            std::snprintf(label, sizeof(label), "%g %lldx%lld", sparsity, (long long)window,
                          (long long)window);
          double spcc = row(label, [&](const KernelProblem &p) {
            return p.sparsity == sparsity && p.kh == window;
          });
          if (window == *windows.begin()) spccCurve.push_back({sparsity, spcc});
        }
      row("all", [](const KernelProblem &) { return true; });
      if (std::count(others.begin(), others.end(), "spcc"))
        std::printf("break-even sparsity, spcc vs onednn (geomean speedup >= 1): %s\n",
                    breakEven(spccCurve).c_str());
    }
    if (spccRuns) printThreadScaling(kind, kindName, problems, measurements, options.threads);
  }
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (std::string error = parseOptions(argc, argv, options); !error.empty()) {
    std::fprintf(stderr, "spcc-kbench: error: %s\n", error.c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(usageText, stdout);
    return 0;
  }
  if (options.probe) {
    std::printf("machine: %s\n", machineDescription().c_str());
    return runCoreProbe(options.rounds);
  }
  std::FILE *csv = nullptr;
  if (!options.csvPath.empty()) {
    csv = std::fopen(options.csvPath.c_str(), "w");
    if (!csv) {
      std::fprintf(stderr, "spcc-kbench: error: cannot write '%s': %s\n", options.csvPath.c_str(),
                   std::strerror(errno));
      return 2;
    }
  }

  std::vector<std::unique_ptr<KernelImpl>> owned;
  ImplsByThreads impls(options.threads.size());
  for (auto &instances : impls)
    for (const std::string &name : options.impls) {
      if (name == "spcc")
        owned.push_back(createSpccImpl());
      else if (name == "libxsmm")
        owned.push_back(createLibxsmmImpl());
      else if (name == "onednn")
        owned.push_back(createOnednnImpl());
      else
        owned.push_back(createEigenImpl());
      instances.push_back({name, owned.back().get()});
    }

  std::vector<KernelProblem> problems =
      options.single ? std::vector<KernelProblem>{*options.single} : suiteProblems(options);
  auto emit = [&](const std::string &line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    if (csv) std::fprintf(csv, "%s\n", line.c_str());
  };
  emit(csvHeader);

  std::fprintf(stderr, "spcc-kbench: %s\n", machineDescription().c_str());
  std::vector<Measurement> measurements;
  std::vector<double> nonzeroShare(problems.size(), 1.0);
  bool failed = false;
  for (size_t index = 0; index < problems.size(); ++index) {
    KernelProblem &problem = problems[index];
    generate(problem);
    std::vector<float> ref = reference(problem);
    nonzeroShare[index] = nonzeroFraction(problem);
    for (Measurement &m : measure(problem, ref, options.threads, impls, options.rounds)) {
      m.problem = index;
      for (const Outcome &o : m.outcomes) {
        emit(csvRow(problem, m, o));
        failed |= o.status.rfind("wrong", 0) == 0 || o.status.rfind("error", 0) == 0;
      }
      std::fprintf(stderr, "[%zu/%zu] %s threads=%d:%s\n", index + 1, problems.size(),
                   problem.describe().c_str(), m.threads, progressSummary(m).c_str());
      measurements.push_back(std::move(m));
    }
    // The data of finished problems is not needed any more.
    problem.a = {};
    problem.b = {};
  }
  if (csv) std::fclose(csv);
  printSummary(problems, nonzeroShare, measurements, options);
  return failed ? 1 : 0;
}
