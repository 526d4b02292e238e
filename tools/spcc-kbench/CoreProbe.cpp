//===- CoreProbe.cpp - The instruction mixes of spcc's kernels, timed alone -===//
#include "tools/spcc-kbench/CoreProbe.h"

#include "backends/x86/ColdRunTimer.h"
#include "backends/x86/KernelJit.h"
#include "backends/x86/LoadedSparseLayer.h"
#include "backends/x86/TargetIsa.h"
#include "compiler/support/AlignedVector.h"
#include "compiler/support/Error.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace spcc::kbench {
namespace {

/// Independent FMAs per loop iteration: enough to cover the FMA latency on two pipes. With 16
/// vector registers (AVX2) 10, so that the accumulators, the multiplier and the loads the
/// instruction scheduler moves ahead of their FMAs fit without spills.
constexpr int kFmas = 12;
constexpr int kFmasWith16Registers = 10;
/// Windows of data the iterations cycle through, so no load is loop-invariant (all in L1).
constexpr int kWindows = 4;
/// Windows of the mixes that read from L2: 768 KiB of 512-bit windows, visited in a scrambled
/// order (window i * kL2Scramble) that the hardware prefetchers cannot follow.
constexpr int kL2Windows = 1024;
constexpr int kL2Scramble = 613;

/// One instruction mix: a loop of vector FMAs (kFmas per iteration, fewer with 16 registers), their
/// operands as described.
struct Mix {
  const char *name;
  /// 0: the vector operand is a register; k: one vector load feeds k FMAs.
  int loadShare;
  /// Each FMA's multiplier is a float loaded and broadcast (a weight of a straight-line tile).
  bool broadcastEach;
  /// All FMAs add into one accumulator: the latency, not the throughput.
  bool chain;
  const char *models;
  /// The loads come from L2 (kL2Windows windows) instead of L1.
  bool fromL2 = false;
  /// Instead of the loop: this many FMAs of straight-line code per iteration, each
  /// weight a float of its own from a constant table, one load of B per loadShare FMAs (an
  /// unrolled tile's code, past the instruction caches).
  int straightLineFmas = 0;
  /// Floats the vector loads start past a cache line: a convolution tap's shifted window of B.
  int misalignFloats = 0;
  /// Each vector of B is instead lanes moved across two aligned windows (VALIGND), three such
  /// vectors of one pair of windows (a plane row's taps, shifted by this many floats and the
  /// two next): the straight-line convolution tiles' aligned tap windows.
  int windowShift = 0;
};

const Mix kMixes[] = {
    {"fma-registers", 0, false, false, "the FMA peak: independent FMAs, operands in registers"},
    {"fma-chain", 0, false, true, "one dependent chain: the FMA latency"},
    {"fma-load-each", 1, false, false,
     "nonzero loops: every FMA multiplies its own vector of B, loaded"},
    {"fma-load-each-l2", 1, false, false,
     "nonzero loops whose block of B outgrows L1: every FMA's vector loaded from L2", true},
    {"fma-load-per-2", 2, false, false, "straight-line tiles: one vector of B feeds two rows"},
    {"fma-load-per-4", 4, false, false, "straight-line tiles: one vector of B feeds four rows"},
    {"fma-load-each-split", 1, false, false,
     "convolution tiles at 95%: every FMA's vector of B read across two cache lines", false, 0, 1},
    {"fma-load-per-2-split", 2, false, false,
     "convolution tiles: B read at a tap's shift, every load across two cache lines", false, 0, 1},
    {"fma-load-per-4-split", 4, false, false, "the same, one vector of B for four rows", false, 0,
     1},
    {"fma-window-per-2", 2, false, false,
     "convolution tiles' aligned tap windows: a lane shift of two loaded windows for two rows",
     false, 0, 0, 1},
    {"fma-window-each", 1, false, false, "the same, a shifted window for every FMA", false, 0, 0,
     1},
    {"fma-broadcast-each", 0, true, false,
     "straight-line tiles, one vector: every FMA's weight broadcast from memory"},
    {"straight-line-16k", 4, true, false,
     "straight-line tiles past the instruction caches: 16384 FMAs of code, weights from a table",
     false, 16384},
    // At 90-95% sparsity a tile's columns hold one or two of its rows' nonzeros: these bound it.
    {"straight-line-per-2", 2, true, false,
     "the same, one vector of B for two rows (a tile at ~90% sparsity)", false, 16384},
    {"straight-line-each", 1, true, false,
     "the same, a vector of B for every FMA (a tile at ~95% sparsity and above)", false, 16384},
};

/// Accumulators of the straight-line mix: a register tile's worth (rows of one vector of
/// the unrolled tiles: 24 of AVX-512's 32 registers, 12 of AVX2's 16).
constexpr int kStraightLineAccumulators = 24;
constexpr int kStraightLineAccumulatorsWith16Registers = 12;
/// Vectors of B the straight-line mix cycles through (in L1).
constexpr int kStraightLineVectors = kWindows * kFmas;

/// How a mix's code is shaped for a register file of \p registers vector registers.
struct ProbeShape {
  int loopFmas;
  int straightLineAccumulators;
};

ProbeShape probeShapeFor(int registers) {
  if (registers >= 32) return {kFmas, kStraightLineAccumulators};
  return {kFmasWith16Registers, kStraightLineAccumulatorsWith16Registers};
}

int fmasPerIteration(const Mix &mix, const ProbeShape &shape) {
  return mix.straightLineFmas ? mix.straightLineFmas : shape.loopFmas;
}

/// The straight-line mix's FMAs into \p sums, B from \p data.
void emitStraightLine(llvm::IRBuilder<> &b, llvm::Module &module, const Mix &mix, llvm::Type *vecTy,
                      llvm::Value *data, std::vector<llvm::Value *> &sums) {
  llvm::Type *f32 = b.getFloatTy();
  int width = int(llvm::cast<llvm::FixedVectorType>(vecTy)->getNumElements());
  std::vector<float> weights(size_t(mix.straightLineFmas));
  for (size_t f = 0; f < weights.size(); ++f) weights[f] = 1e-3f * float(f % 7 + 1);
  auto *table = new llvm::GlobalVariable(
      module, llvm::ArrayType::get(f32, weights.size()), true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantDataArray::get(b.getContext(), weights), "weights");
  table->setAlignment(llvm::Align(64));
  llvm::Value *operand = nullptr;
  for (int f = 0; f < mix.straightLineFmas; ++f) {
    if (f % mix.loadShare == 0)
      operand = b.CreateAlignedLoad(
          vecTy,
          b.CreateConstInBoundsGEP1_64(f32, data,
                                       uint64_t(f / mix.loadShare % kStraightLineVectors * width)),
          llvm::Align(64));
    llvm::Value *weight = b.CreateVectorSplat(
        unsigned(width), b.CreateLoad(f32, b.CreateConstInBoundsGEP2_64(table->getValueType(),
                                                                        table, 0, uint64_t(f))));
    llvm::Value *&sum = sums[size_t(f) % sums.size()];
    sum = b.CreateIntrinsic(llvm::Intrinsic::fma, {vecTy}, {weight, operand, sum});
  }
}

/// One iteration of a looped mix (\p fmas FMAs): its loads from the window of
/// \p data that iteration \p i reads, \p x the multiplier kept in a register.
void emitLoopedMix(llvm::IRBuilder<> &b, const Mix &mix, int fmas, llvm::Type *vecTy,
                   llvm::Value *data, llvm::Value *i, llvm::Value *x,
                   std::vector<llvm::Value *> &sums) {
  llvm::Type *f32 = b.getFloatTy();
  int width = int(llvm::cast<llvm::FixedVectorType>(vecTy)->getNumElements());
  llvm::Value *windowIndex =
      mix.fromL2 ? b.CreateAnd(b.CreateMul(i, b.getInt64(kL2Scramble)), b.getInt64(kL2Windows - 1))
                 : b.CreateAnd(i, b.getInt64(kWindows - 1));
  llvm::Value *base =
      b.CreateInBoundsGEP(f32, data, b.CreateMul(windowIndex, b.getInt64(uint64_t(kFmas * width))));
  llvm::Value *operand = x;
  auto *intVecTy = llvm::FixedVectorType::get(b.getInt32Ty(), unsigned(width));
  llvm::Value *windows[2] = {nullptr, nullptr};
  for (int f = 0; f < fmas; ++f) {
    const int vectorOfB = mix.loadShare > 0 ? f / mix.loadShare : 0;
    if (mix.windowShift > 0 && f % mix.loadShare == 0) {
      // Integer lanes, as the emitter's TapWindows: the backend moves them with VALIGND.
      if (vectorOfB % 3 == 0)
        for (int w = 0; w < 2; ++w)
          windows[w] = b.CreateAlignedLoad(
              intVecTy,
              b.CreateConstInBoundsGEP1_64(f32, base, uint64_t((vectorOfB / 3 * 2 + w) * width)),
              llvm::Align(64));
      llvm::SmallVector<int, 16> lanes;
      for (int lane = 0; lane < width; ++lane)
        lanes.push_back(mix.windowShift + vectorOfB % 3 + lane);
      operand = b.CreateBitCast(b.CreateShuffleVector(windows[0], windows[1], lanes), vecTy);
    } else if (mix.loadShare > 0 && f % mix.loadShare == 0)
      operand = b.CreateAlignedLoad(
          vecTy,
          b.CreateConstInBoundsGEP1_64(f32, base,
                                       uint64_t(f / mix.loadShare * width + mix.misalignFloats)),
          mix.misalignFloats ? llvm::Align(4) : llvm::Align(64));
    llvm::Value *multiplier = x;
    if (mix.broadcastEach)
      multiplier = b.CreateVectorSplat(
          unsigned(width), b.CreateLoad(f32, b.CreateConstInBoundsGEP1_64(f32, base, uint64_t(f))));
    llvm::Value *&sum = sums[size_t(mix.chain ? 0 : f)];
    sum = b.CreateIntrinsic(llvm::Intrinsic::fma, {vecTy}, {multiplier, operand, sum});
  }
}

using ProbeFn = void (*)(const float *data, float *out, int64_t iterations);

/// void probe(const float *data, float *out, i64 iterations): the mix's loop, then every
/// accumulator stored to out, one vector of \p width floats each.
std::unique_ptr<llvm::Module> buildProbe(llvm::LLVMContext &context, const Mix &mix, int width,
                                         const ProbeShape &shape, const std::string &name) {
  auto module = std::make_unique<llvm::Module>(name, context);
  llvm::IRBuilder<> b(context);
  llvm::Type *f32 = b.getFloatTy();
  auto *vecTy = llvm::FixedVectorType::get(f32, unsigned(width));
  llvm::Type *ptr = b.getPtrTy(), *i64 = b.getInt64Ty();
  auto *fnTy = llvm::FunctionType::get(b.getVoidTy(), {ptr, ptr, i64}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::Function::ExternalLinkage, name, *module);
  llvm::Value *data = fn->getArg(0), *out = fn->getArg(1), *iterations = fn->getArg(2);

  auto *entry = llvm::BasicBlock::Create(context, "entry", fn);
  auto *loop = llvm::BasicBlock::Create(context, "loop", fn);
  auto *exit = llvm::BasicBlock::Create(context, "exit", fn);
  b.SetInsertPoint(entry);
  // The multiplier comes from memory, so nothing folds to a constant.
  llvm::Value *x = b.CreateVectorSplat(unsigned(width), b.CreateLoad(f32, data), "x");
  b.CreateBr(loop);

  b.SetInsertPoint(loop);
  llvm::PHINode *i = b.CreatePHI(i64, 2, "i");
  i->addIncoming(b.getInt64(0), entry);
  const int accumulators =
      mix.chain ? 1 : (mix.straightLineFmas ? shape.straightLineAccumulators : shape.loopFmas);
  std::vector<llvm::PHINode *> acc;
  for (int a = 0; a < accumulators; ++a) {
    acc.push_back(b.CreatePHI(vecTy, 2, "acc"));
    acc.back()->addIncoming(llvm::Constant::getNullValue(vecTy), entry);
  }
  std::vector<llvm::Value *> sums(acc.begin(), acc.end());
  if (mix.straightLineFmas)
    emitStraightLine(b, *module, mix, vecTy, data, sums);
  else
    emitLoopedMix(b, mix, shape.loopFmas, vecTy, data, i, x, sums);
  for (int a = 0; a < accumulators; ++a) acc[size_t(a)]->addIncoming(sums[size_t(a)], loop);
  llvm::Value *next = b.CreateAdd(i, b.getInt64(1));
  i->addIncoming(next, loop);
  b.CreateCondBr(b.CreateICmpSLT(next, iterations), loop, exit);

  b.SetInsertPoint(exit);
  // The last iteration's sums, not the phis: a phi stored after the loop stays live past its
  // FMA, so every FMA would need a register copy (and, with 16 vector registers, spills).
  for (int a = 0; a < accumulators; ++a)
    b.CreateAlignedStore(sums[size_t(a)],
                         b.CreateConstInBoundsGEP1_64(f32, out, uint64_t(a * width)),
                         llvm::Align(64));
  b.CreateRetVoid();
  return module;
}

double secondsOf(ProbeFn probe, const float *data, float *out, int64_t iterations) {
  auto start = std::chrono::steady_clock::now();
  probe(data, out, iterations);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Probe {
  const Mix *mix;
  int width;
  ProbeFn fn;
  int64_t iterations = 1;
  std::vector<double> fmasPerNs;
};

} // namespace

int runCoreProbe(int rounds) {
  auto host = x86::selectTargetIsa("host");
  if (!host) {
    std::fprintf(stderr, "spcc-kbench: error: %s\n", takeMessage(host.takeError()).c_str());
    return 1;
  }
  auto jit = x86::KernelJit::create();
  if (!jit) {
    std::fprintf(stderr, "spcc-kbench: error: %s\n", takeMessage(jit.takeError()).c_str());
    return 1;
  }
  llvm::LLVMContext context;
  std::vector<int> widths{x86::vectorWidthOf(*host)};
  if (widths[0] == 16) widths.push_back(8);
  // AVX-512 has 32 vector registers at either width, AVX2 16.
  const ProbeShape shape = probeShapeFor(host->kernelLevel == "x86-64-v4" ? 32 : 16);
  std::vector<Probe> probes;
  for (int width : widths)
    for (const Mix &mix : kMixes) {
      std::string name = (*jit)->uniqueName("spcc_probe_");
      auto address = (*jit)->load(buildProbe(context, mix, width, shape, name), *host, name);
      if (!address) {
        std::fprintf(stderr, "spcc-kbench: error: %s\n", takeMessage(address.takeError()).c_str());
        return 1;
      }
      probes.push_back({&mix, width, reinterpret_cast<ProbeFn>(*address)});
    }

  AlignedVector<float> data(size_t(kL2Windows * kFmas * 16), 0.5f),
      out(size_t(kStraightLineAccumulators * 16), 0.0f);
  // Each call runs >= 20 ms, so the timer's resolution and the call do not count.
  for (Probe &probe : probes)
    while (secondsOf(probe.fn, data.data(), out.data(), probe.iterations) < 0.02)
      probe.iterations *= 2;
  for (int round = 0; round < rounds; ++round)
    for (Probe &probe : probes) {
      double seconds = secondsOf(probe.fn, data.data(), out.data(), probe.iterations);
      probe.fmasPerNs.push_back(double(probe.iterations) * fmasPerIteration(*probe.mix, shape) /
                                seconds * 1e-9);
    }

  std::printf("== core probe: %d round%s, medians; a loop of %d vector FMAs per iteration (the "
              "straight-line mix: its code), B in L1 (the -l2 mix: in L2) ==\n",
              rounds, rounds == 1 ? "" : "s", shape.loopFmas);
  std::printf("%-20s %6s %9s %8s %8s  %s\n", "mix", "floats", "FMAs/ns", "GFLOP/s", "of peak",
              "what it models");
  for (int width : widths) {
    double peak = 0;
    for (Probe &probe : probes) {
      if (probe.width != width) continue;
      double median = x86::medianOf(probe.fmasPerNs);
      if (probe.mix == &kMixes[0]) peak = median;
      std::printf("%-20s %6d %9.2f %8.1f %7.0f%%  %s\n", probe.mix->name, width, median,
                  median * 2 * width, 100 * median / peak, probe.mix->models);
    }
  }
  std::printf("(of peak: against fma-registers of the same width. A kernel whose FMAs each take "
              "a fresh vector load cannot run faster than fma-load-each.)\n");
  printCoreToCoreProbe(rounds);
  return 0;
}

} // namespace spcc::kbench
