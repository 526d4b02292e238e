//===- CoreToCoreProbe.cpp - How long a cache line takes between two cores -===//
//
// A layer split over two threads hands its result to the next layer, whose split differs, so
// every two-thread inference moves lines between cores. On a virtual machine the host may place
// the virtual CPUs on cores that share an L3 or on cores that do not, and move them while a
// benchmark runs: the same two-thread model run then takes two very different times. This
// probe ping-pongs one cache line between the first CPU this process may use and each other
// one, so a two-thread figure can be read against the placement it ran on.
//
//===----------------------------------------------------------------------===//
#include "tools/spcc-kbench/CoreProbe.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace spcc::kbench {
namespace {

bool pinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

/// Nanoseconds of one round trip of a cache line between \p first and \p second: the median
/// of \p rounds timings of 100000 trips each (-1 when a thread could not be pinned: two
/// threads spinning on one CPU would take a time slice a trip).
double roundTripNs(int first, int second, int rounds) {
  constexpr int64_t kTrips = 100000;
  if (!pinTo(first)) return -1;
  alignas(64) std::atomic<int64_t> turn{0};
  std::atomic<bool> partnerPinned{true};
  std::vector<double> samples;
  for (int round = 0; round < rounds && partnerPinned; ++round) {
    turn.store(0);
    // The partner answers every odd value with the next even one.
    std::thread partner([&] {
      if (!pinTo(second)) {
        partnerPinned = false;
        return;
      }
      for (int64_t trip = 0; trip < kTrips; ++trip) {
        while (turn.load(std::memory_order_acquire) != 2 * trip + 1) {
        }
        turn.store(2 * trip + 2, std::memory_order_release);
      }
    });
    auto start = std::chrono::steady_clock::now();
    for (int64_t trip = 0; trip < kTrips && partnerPinned; ++trip) {
      turn.store(2 * trip + 1, std::memory_order_release);
      while (turn.load(std::memory_order_acquire) != 2 * trip + 2 && partnerPinned) {
      }
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    partner.join();
    samples.push_back(elapsed.count() * 1e9 / double(kTrips));
  }
  if (!partnerPinned) return -1;
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

} // namespace

void printCoreToCoreProbe(int rounds) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 65; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  std::printf("\n== core to core: one cache line's round trip between CPU %d and each other CPU "
              "this process may use, %d round%s of 100000 trips, medians ==\n",
              cpus.empty() ? -1 : cpus[0], rounds, rounds == 1 ? "" : "s");
  if (cpus.size() < 2) {
    std::printf("(one CPU: nothing to measure)\n");
    return;
  }
  std::printf("%-8s %14s\n", "cpu", "round trip ns");
  for (size_t i = 1; i < cpus.size(); ++i) {
    double ns = roundTripNs(cpus[0], cpus[i], rounds);
    if (ns < 0)
      std::printf("%-8d %14s\n", cpus[i], "not pinned");
    else
      std::printf("%-8d %14.0f\n", cpus[i], ns);
  }
  // The main thread was pinned for the probe; give it back every CPU it had.
  sched_setaffinity(0, sizeof(allowed), &allowed);
  std::printf("(tens of ns: the two cores share a cache; hundreds: they do not, and a two-thread "
              "run that hands data between them pays that on every line)\n");
}

} // namespace spcc::kbench
