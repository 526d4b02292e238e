//===- LibxsmmImpl.cpp - LIBXSMM 1.17's sparse products in spcc-kbench ----===//
//
// Two LIBXSMM paths for C = A * B with A sparse, all row-major; prepare() times both on the
// problem and keeps the faster one:
//  - fsspmdm ("fixed-sparsity sparse times dense"): A's pattern and values are JIT-compiled
//    into a kernel for a panel of columns of B and C. libxsmm_sfsspmdm_create benchmarks its
//    sparse kernels against a dense JIT kernel and may keep the dense one; variant() says which
//    ("fsspmdm-sparse" / "fsspmdm-dense-fallback"). In 1.17 the sparse kernel is refused when
//    A has more than a few hundred distinct values (error 90036) or a few thousand nonzeros
//    (the code buffer overflows, error 90002), so the suites' Gaussian weights get the dense
//    fallback, which is far slower than spmdm. create() also compares every nonzero with the
//    distinct values found so far (about 9 s at 80k nonzeros, minutes at 300k), so it is not
//    tried above maxFsspmdmNonzeros. The handle is single-threaded: it is built for a narrow
//    panel (ldb = ldc = n) and the panels are shared among the OpenMP threads.
//  - spmdm: A converted once to 128x128-blocked CSR slices, multiplied by the blocked
//    spmdm_compute driver (the TensorFlow-style path), one OpenMP region per run.
// Convolutions are skipped: LIBXSMM 1.17 has no sparse convolution.
//
//===----------------------------------------------------------------------===//
#include "tools/spcc-kbench/KernelImpl.h"

#include <libxsmm.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace spcc::kbench {
namespace {

/// The fields of LIBXSMM 1.17's opaque `libxsmm_sfsspmdm` handle (src/libxsmm_main.h), read
/// only to tell which kernel create() kept. The offsets match libxsmm_sfsspmdm_execute in
/// Debian's libxsmm.a 1.17: N at byte 4, N_chunksize at 20, a_dense at 32, kernel at 40.
struct FsspmdmFields {
  int m, n, k, ldb, ldc;
  int chunkColumns;    ///< columns per kernel call
  const float *packed; ///< values table of the sparse kernel
  const float *denseA; ///< a copy of A (m x k) when the dense kernel was kept, else null
  const void *kernel;
};

enum class Path { None, Fsspmdm, Spmdm };

/// Nonzeros of A above which libxsmm_sfsspmdm_create is not called (see the file comment).
constexpr int64_t maxFsspmdmNonzeros = 20000;

class LibxsmmImpl final : public KernelImpl {
public:
  LibxsmmImpl() { libxsmm_init(); }
  ~LibxsmmImpl() override { release(); }

  std::string name() const override { return "libxsmm"; }

  std::string prepare(const KernelProblem &problem, int threadCount) override {
    release();
    if (problem.kind != KernelProblem::Kind::Spmm) return "LIBXSMM 1.17 has no sparse convolution";
    threads = threadCount;
    m = int(problem.m);
    k = int(problem.k);
    n = int(problem.n);
    b = problem.b.data();
    c.assign(size_t(problem.outputSize()), 0.0f);

    std::string fsspmdmNote = createFsspmdm(problem);
    createSpmdm(problem);

    double spmdmSeconds = fastestSeconds(3, [&] { runSpmdm(); });
    if (!fsspmdm) {
      path = Path::Spmdm;
      chosen = "spmdm (fsspmdm: " + fsspmdmNote + ")";
      return "";
    }
    double fsspmdmSeconds = fastestSeconds(3, [&] { runFsspmdm(); });
    char ratio[64];
    if (fsspmdmSeconds <= spmdmSeconds) {
      path = Path::Fsspmdm;
      std::snprintf(ratio, sizeof(ratio), " (spmdm %.2fx slower)", spmdmSeconds / fsspmdmSeconds);
      chosen = fsspmdmNote + ratio;
    } else {
      path = Path::Spmdm;
      std::snprintf(ratio, sizeof(ratio), "spmdm (%s %.2fx slower)", fsspmdmNote.c_str(),
                    fsspmdmSeconds / spmdmSeconds);
      chosen = ratio;
    }
    return "";
  }

  void run() override {
    if (path == Path::Fsspmdm)
      runFsspmdm();
    else
      runSpmdm();
  }

  const float *output() const override { return c.data(); }
  std::string variant() const override { return chosen; }

private:
  /// Creates the fsspmdm handle for a panel of panelColumns columns; returns the variant name
  /// ("fsspmdm-sparse" / "fsspmdm-dense-fallback") or why fsspmdm cannot run the problem.
  std::string createFsspmdm(const KernelProblem &problem) {
    // create() JITs a sparse kernel one vector wide (8 or 16 columns) and a dense one 16 wide
    // whatever the vector length, and execute() steps through the panel by the kept kernel's
    // width: a panel must be a multiple of both (create() asserts N % 16 == 0 only in a debug
    // build; Debian's release build would let a 16-wide kernel write past an 8-column panel).
    const int vectorLength = libxsmm_cpuid_vlen32(libxsmm_get_target_archid());
    const int unit = std::max(16, vectorLength);
    if (n % (2 * unit) == 0)
      panelColumns = 2 * unit;
    else if (n % unit == 0)
      panelColumns = unit;
    else
      return "n % " + std::to_string(unit) + " != 0";
    int64_t nonzeros =
        std::count_if(problem.a.begin(), problem.a.end(), [](float v) { return v != 0.0f; });
    if (nonzeros > maxFsspmdmNonzeros)
      return "not tried, " + std::to_string(nonzeros) + " nonzeros > " +
             std::to_string(maxFsspmdmNonzeros) + ": create() is quadratic in them";
    fsspmdm =
        libxsmm_sfsspmdm_create(m, panelColumns, k, /*lda=*/k, /*ldb=*/n, /*ldc=*/n,
                                /*alpha=*/1.0f, /*beta=*/0.0f, /*c_is_nt=*/0, problem.a.data());
    if (!fsspmdm) return "create failed";
    const auto *fields = reinterpret_cast<const FsspmdmFields *>(fsspmdm);
    if (fields->m != m || fields->n != panelColumns || fields->k != k || fields->ldb != n ||
        fields->ldc != n || !fields->kernel) {
      // Not the 1.17 layout, or no kernel at all: do not run it.
      libxsmm_sfsspmdm_destroy(fsspmdm);
      fsspmdm = nullptr;
      return "handle without a usable kernel";
    }
    return fields->denseA ? "fsspmdm-dense-fallback" : "fsspmdm-sparse";
  }

  void createSpmdm(const KernelProblem &problem) {
    libxsmm_spmdm_init(m, n, k, threads, &spmdm, &slices);
    spmdmReady = true;
    const int blocks = libxsmm_spmdm_get_num_createSparseSlice_blocks(&spmdm);
    const float *a = problem.a.data();
#pragma omp parallel num_threads(threads)
    {
      const int tid = omp_get_thread_num(), count = omp_get_num_threads();
#pragma omp for
      for (int block = 0; block < blocks; ++block)
        libxsmm_spmdm_createSparseSlice_fp32_thread(&spmdm, 'N', a, slices, block, tid, count);
    }
  }

  void runFsspmdm() {
    const int panels = n / panelColumns;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int panel = 0; panel < panels; ++panel)
      libxsmm_sfsspmdm_execute(fsspmdm, b + panel * panelColumns, c.data() + panel * panelColumns);
  }

  void runSpmdm() {
    const int blocks = libxsmm_spmdm_get_num_compute_blocks(&spmdm);
    const float alpha = 1.0f, beta = 0.0f;
    float *out = c.data();
#pragma omp parallel num_threads(threads)
    {
      const int tid = omp_get_thread_num(), count = omp_get_num_threads();
#pragma omp for
      for (int block = 0; block < blocks; ++block)
        libxsmm_spmdm_compute_fp32_thread(&spmdm, 'N', 'N', &alpha, slices, b, 'N', &beta, out,
                                          block, tid, count);
    }
  }

  void release() {
    if (fsspmdm) libxsmm_sfsspmdm_destroy(fsspmdm);
    fsspmdm = nullptr;
    if (spmdmReady) libxsmm_spmdm_destroy(&spmdm);
    spmdmReady = false;
    slices = nullptr;
    path = Path::None;
    chosen.clear();
  }

  int threads = 1;
  int m = 0, k = 0, n = 0;
  const float *b = nullptr;
  AlignedVector<float> c;
  libxsmm_sfsspmdm *fsspmdm = nullptr;
  int panelColumns = 0;
  libxsmm_spmdm_handle spmdm{};
  libxsmm_CSR_sparseslice *slices = nullptr;
  bool spmdmReady = false;
  Path path = Path::None;
  std::string chosen;
};

} // namespace

std::unique_ptr<KernelImpl> createLibxsmmImpl() { return std::make_unique<LibxsmmImpl>(); }

} // namespace spcc::kbench
