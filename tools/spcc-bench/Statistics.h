//===- Statistics.h - Latency summaries of spcc-bench ---------------------===//
#ifndef SPCC_TOOLS_SPCC_BENCH_STATISTICS_H
#define SPCC_TOOLS_SPCC_BENCH_STATISTICS_H

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace spcc::bench {

/// Percentile \p q (0..100) of \p sorted (ascending), interpolating linearly between the two
/// nearest ranks (numpy's default, also used by tools/oracle/bench_ort.js). 0 when empty.
inline double percentile(const std::vector<double> &sorted, double q) {
  if (sorted.empty()) return 0;
  double rank = q / 100.0 * double(sorted.size() - 1);
  std::size_t lo = std::size_t(std::floor(rank)), hi = std::size_t(std::ceil(rank));
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - double(lo));
}

/// What one measurement found: per-run latencies in milliseconds and the throughput over the
/// measured wall-clock time.
struct Summary {
  std::size_t runs = 0;
  double seconds = 0;             ///< wall-clock time of the measured runs
  double latencyMedian = 0;       ///< milliseconds
  double latencyP90 = 0;          ///< milliseconds
  double latencyP99 = 0;          ///< milliseconds
  double latencyMean = 0;         ///< milliseconds
  double latencyMin = 0;          ///< milliseconds
  double throughputPerSecond = 0; ///< runs / seconds
};

/// Summarizes \p latenciesMs (any order) measured over \p seconds of wall-clock time.
inline Summary summarize(std::vector<double> latenciesMs, double seconds) {
  Summary s;
  std::sort(latenciesMs.begin(), latenciesMs.end());
  s.runs = latenciesMs.size();
  s.seconds = seconds;
  if (latenciesMs.empty()) return s;
  s.latencyMedian = percentile(latenciesMs, 50);
  s.latencyP90 = percentile(latenciesMs, 90);
  s.latencyP99 = percentile(latenciesMs, 99);
  s.latencyMean =
      std::accumulate(latenciesMs.begin(), latenciesMs.end(), 0.0) / double(latenciesMs.size());
  s.latencyMin = latenciesMs.front();
  s.throughputPerSecond = seconds > 0 ? double(s.runs) / seconds : 0;
  return s;
}

} // namespace spcc::bench

#endif
