//===- CoreToCoreProbe.cpp - A cache line's round trip to every other CPU -===//
//
// The last table of spcc-kbench --probe (tools/common/CoreRoundTrip.h says why it matters).
//
//===----------------------------------------------------------------------===//
#include "tools/spcc-kbench/CoreProbe.h"

#include "tools/common/CoreRoundTrip.h"

#include <cstdio>

namespace spcc::kbench {

void printCoreToCoreProbe(int rounds) {
  // At most 64 partners: a large server's table stays readable and takes seconds.
  constexpr size_t kMostPartners = 64;
  std::vector<int> cpus = tools::allowedCpus();
  std::printf("\n== core to core: one cache line's round trip between CPU %d and each other CPU "
              "this process may use, %d round%s of 100000 trips, medians ==\n",
              cpus.empty() ? -1 : cpus[0], rounds, rounds == 1 ? "" : "s");
  if (cpus.size() < 2) {
    std::printf("(one CPU: nothing to measure)\n");
    return;
  }
  std::printf("%-8s %14s\n", "cpu", "round trip ns");
  for (size_t i = 1; i < cpus.size() && i <= kMostPartners; ++i) {
    if (std::optional<double> ns = tools::cacheLineRoundTripNs(cpus[0], cpus[i], rounds))
      std::printf("%-8d %14.0f\n", cpus[i], *ns);
    else
      std::printf("%-8d %14s\n", cpus[i], "not pinned");
  }
  std::printf("(tens of ns: the two cores share a cache; hundreds: they do not, and a two-thread "
              "run that hands data between them pays that on every line)\n");
}

} // namespace spcc::kbench
