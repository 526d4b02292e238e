//===- HostCpu.h - The processor a benchmark's figures come from ---------===//
//
// A speed figure means little without the processor behind it: the same generated code runs at
// half the rate on a core that executes AVX-512 on 256-bit halves (AMD Zen 4) as on one with
// full 512-bit datapaths (Zen 5). spcc-bench and spcc-kbench print this beside every figure.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_TOOLS_COMMON_HOSTCPU_H
#define SPCC_TOOLS_COMMON_HOSTCPU_H

#include <string>

namespace spcc::tools {

/// "MODEL NAME (family F, model M)" from /proc/cpuinfo's first processor, e.g. "AMD EPYC
/// (family 25, model 17)"; "unknown CPU (family ?, model ?)" for what it does not say.
std::string hostCpuDescription();

/// The same from the text of a /proc/cpuinfo (exposed for tests).
std::string cpuDescriptionFromCpuinfo(const std::string &cpuinfo);

} // namespace spcc::tools

#endif
