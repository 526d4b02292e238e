//===- CoreRoundTrip.h - How long a cache line takes between two cores ----===//
//
// A model split over threads hands data between cores at every layer whose split differs from
// the one before. On a virtual machine the host may place the virtual CPUs on cores that share
// a cache or on cores that do not, and move them within seconds: a line's round trip is then
// tens of nanoseconds or hundreds, and two-thread timings take one of two levels. spcc-bench
// measures it beside its two-thread runs and spcc-kbench --probe for every CPU, so a figure
// can be read against the placement it ran on.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_TOOLS_COMMON_COREROUNDTRIP_H
#define SPCC_TOOLS_COMMON_COREROUNDTRIP_H

#include <cstdint>
#include <optional>
#include <vector>

namespace spcc::tools {

/// The CPUs this process may run on, in increasing order.
std::vector<int> allowedCpus();

/// Nanoseconds of one cache line's round trip between CPUs \p first and \p second: the median
/// over \p rounds rounds of \p trips trips each. Pins the calling thread to \p first and a
/// helper thread to \p second for the time of it (the caller's affinity is restored);
/// nullopt when either cannot be pinned, since two threads spinning on one CPU would take a
/// time slice a trip.
std::optional<double> cacheLineRoundTripNs(int first, int second, int rounds,
                                           int64_t trips = 100000);

} // namespace spcc::tools

#endif
