//===- CoreRoundTrip.cpp - How long a cache line takes between two cores --===//
#include "tools/common/CoreRoundTrip.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace spcc::tools {
namespace {

bool pinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

/// One round: \p trips trips of a line between the calling thread and a helper pinned to
/// \p second; nullopt when the helper cannot be pinned.
std::optional<double> oneRound(int second, int64_t trips) {
  alignas(64) std::atomic<int64_t> turn{0};
  std::atomic<bool> partnerPinned{true};
  // The helper answers every odd value with the next even one.
  std::thread partner([&] {
    if (!pinTo(second)) {
      partnerPinned = false;
      return;
    }
    for (int64_t trip = 0; trip < trips; ++trip) {
      while (turn.load(std::memory_order_acquire) != 2 * trip + 1) {
      }
      turn.store(2 * trip + 2, std::memory_order_release);
    }
  });
  auto start = std::chrono::steady_clock::now();
  for (int64_t trip = 0; trip < trips && partnerPinned; ++trip) {
    turn.store(2 * trip + 1, std::memory_order_release);
    while (turn.load(std::memory_order_acquire) != 2 * trip + 2 && partnerPinned) {
    }
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  partner.join();
  if (!partnerPinned) return std::nullopt;
  return elapsed.count() * 1e9 / double(trips);
}

} // namespace

std::vector<int> allowedCpus() {
  std::vector<int> cpus;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  return cpus;
}

std::optional<double> cacheLineRoundTripNs(int first, int second, int rounds, int64_t trips) {
  rounds = std::max(rounds, 1);
  trips = std::max<int64_t>(trips, 1);
  cpu_set_t saved;
  if (pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) != 0) return std::nullopt;
  std::vector<double> samples;
  if (pinTo(first))
    for (int round = 0; round < rounds; ++round) {
      std::optional<double> ns = oneRound(second, trips);
      if (!ns) break;
      samples.push_back(*ns);
    }
  pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
  if (samples.size() < size_t(rounds)) return std::nullopt;
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

} // namespace spcc::tools
