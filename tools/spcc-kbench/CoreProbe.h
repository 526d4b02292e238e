//===- CoreProbe.h - The instruction mixes of spcc's kernels, timed alone --===//
//
// spcc-kbench --probe: how fast this core runs the few instruction mixes the generated sparse
// kernels are made of (vector FMAs fed from registers, from their own vector loads, from loads
// shared by several FMAs, from broadcast weights), each in a loop JIT-compiled through LLVM
// for the host's ISA level, with its data in L1. The ratios to register-only FMAs are ceilings
// that no tiling built from that mix can pass, measured where hardware counters are missing.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_TOOLS_KBENCH_COREPROBE_H
#define SPCC_TOOLS_KBENCH_COREPROBE_H

namespace spcc::kbench {

/// Times every mix at every vector width of the host's level, \p rounds interleaved rounds,
/// and prints the table to stdout. Returns the process exit code (1 when no JIT).
int runCoreProbe(int rounds);

/// Times a cache line's round trip between the first CPU this process may use and each other
/// one (CoreToCoreProbe.cpp), \p rounds rounds, and prints the table to stdout.
void printCoreToCoreProbe(int rounds);

} // namespace spcc::kbench

#endif
