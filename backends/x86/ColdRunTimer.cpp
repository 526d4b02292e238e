//===- ColdRunTimer.cpp - Timing a layer as a model runs it --------------===//

#include "backends/x86/ColdRunTimer.h"

#include "compiler/support/AlignedVector.h"

#include <algorithm>
#include <chrono>
#include <omp.h>
#include <unistd.h>
#include <vector>

namespace spcc::x86 {
namespace {

constexpr size_t kLineBytes = 64;

/// Bytes one thread reads to push everything else out of its core's L1 and L2: twice the L2
/// (its replacement is not exact LRU), at least 4 MiB when the size is unknown.
size_t sweepBytes() {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return std::max<size_t>(l2 > 0 ? 2 * size_t(l2) : 0, size_t(4) << 20);
}

/// Reads one float of every line of \p bytes at \p data; the sum keeps the loads.
float readLines(const void *data, size_t bytes) {
  const char *p = static_cast<const char *>(data);
  float sum = 0;
  for (size_t offset = 0; offset < bytes; offset += kLineBytes)
    sum += *reinterpret_cast<const float *>(p + offset);
  return sum;
}

/// Every thread reads a buffer of its own larger than its core's private caches (made at its
/// first sweep and kept for the next ones).
void sweepPrivateCaches(int threads) {
  static const size_t floats = sweepBytes() / sizeof(float);
  static std::vector<AlignedVector<float>> buffers;
  int count = timingThreads(threads);
  if (buffers.size() < size_t(count))
    buffers.resize(size_t(count), AlignedVector<float>(floats, 1.0f));
  volatile float sink = 0;
#pragma omp parallel num_threads(count)
  {
    const AlignedVector<float> &own = buffers[size_t(omp_get_thread_num())];
    float sum = readLines(own.data(), own.size() * sizeof(float));
    if (sum == 0) sink = sum; // never true: the buffers hold ones
  }
  (void)sink;
}

} // namespace

int timingThreads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

double timeRuns(const std::function<void()> &run, double minSeconds, int threads,
                llvm::ArrayRef<HotBytes> hot, CacheState caches) {
  using Clock = std::chrono::steady_clock;
  run(); // fault in pages, resolve symbols
  std::vector<double> samples;
  auto begin = Clock::now();
  volatile float sink = 0;
  while (samples.size() < 3 ||
         (std::chrono::duration<double>(Clock::now() - begin).count() < minSeconds &&
          samples.size() < 1000)) {
    if (caches == CacheState::Cold) {
      sweepPrivateCaches(threads);
      for (const HotBytes &bytes : hot) sink = sink + readLines(bytes.data, bytes.bytes);
    }
    auto start = Clock::now();
    run();
    samples.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return medianOf(std::move(samples));
}

double medianOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

} // namespace spcc::x86
