//===- SpccImpl.cpp - spcc's generated kernels in spcc-kbench ------------===//
//
// The layer is planned, tuned and compiled exactly as `spcc -o` does for a
// model made of that one layer, then loaded into this process (KernelJit).
//
//===----------------------------------------------------------------------===//
#include "tools/spcc-kbench/KernelImpl.h"

#include "backends/common/CompileOptions.h"
#include "backends/x86/LoadedSparseLayer.h"
#include "backends/x86/SparseTuner.h"
#include "compiler/support/Error.h"

#include <cstdio>
#include <optional>
#include <string>

namespace spcc::kbench {
namespace {

/// The tiling tuned for the problem prepared last. The instances that run the same problem on
/// other thread counts compile it instead of tuning again: tuned on one thread either way, a
/// second tuning would only add its timing noise, and a problem's rows would then differ in
/// more than their threads.
struct TunedProblem {
  std::string key;
  SpmmTiling tiling;
};

TunedProblem &lastTuned() {
  static TunedProblem memo;
  return memo;
}

class SpccImpl final : public KernelImpl {
public:
  std::string name() const override { return "spcc"; }

  std::string prepare(const KernelProblem &problem, int threadCount) override {
    threads = threadCount;
    if (!jit) {
      auto created = x86::KernelJit::create();
      if (!created) return takeMessage(created.takeError());
      jit = std::move(*created);
      auto host = x86::selectTargetIsa("host");
      if (!host) return takeMessage(host.takeError());
      isa = *host;
    }
    SparseLayer layer;
    if (problem.kind == KernelProblem::Kind::Spmm) {
      Tensor dense(TensorType(DType::Float32, {problem.m, problem.k}));
      std::copy(problem.a.begin(), problem.a.end(), dense.getMutableData<float>().begin());
      layer = planMatrixProduct(SparseTensor::fromDense(dense), problem.n);
    } else {
      Tensor dense(TensorType(DType::Float32, {problem.cout, problem.cin, problem.kh, problem.kw}));
      std::copy(problem.a.begin(), problem.a.end(), dense.getMutableData<float>().begin());
      ConvGeometry g;
      g.inChannels = problem.cin;
      g.inH = problem.h;
      g.inW = problem.w;
      g.kernelH = problem.kh;
      g.kernelW = problem.kw;
      g.stride = problem.stride;
      g.padTop = g.padLeft = g.padBottom = g.padRight = problem.pad;
      layer = planConvolution(dense, g, {});
    }
    char key[256];
    std::snprintf(key, sizeof(key), "%s %.17g seed=%llu", problem.describe().c_str(),
                  problem.sparsity, (unsigned long long)problem.seed);
    TunedProblem &memo = lastTuned();
    if (memo.key != key) {
      x86::TuneOptions options;
      options.level = TuneLevel::Fast;
      // The straight-line budget of a model made of this one layer.
      options.unrolledBudget =
          x86::unrolledBudgets({x86::unrolledLayerSize(layer.spec.weights)}, options.level)[0];
      // Tuned on as many threads as `spcc -o` tunes on by default, whatever it then runs on.
      options.threads = CompileOptions().tuneThreads;
      // Timed as this benchmark times every implementation: back to back.
      options.caches = x86::CacheState::Warm;
      auto tuned = x86::tuneSparseLayer(*jit, layer, isa, options);
      if (!tuned) return takeMessage(tuned.takeError());
      memo = {key, tuned->tiling};
      loaded.emplace(std::move(tuned->loaded));
    } else {
      auto compiled = x86::LoadedSparseLayer::compile(*jit, layer, memo.tiling, isa);
      if (!compiled) return takeMessage(compiled.takeError());
      loaded.emplace(std::move(*compiled));
    }
    chosen = memo.tiling.describe();
    code.codeBytes = loaded->getStats().codeBytes;
    code.dataBytes = loaded->getStats().dataBytes;
    code.compileSeconds = loaded->getStats().compileSeconds;
    code.csrBytes = layer.spec.weights.getCsrBytes();
    output_.assign(size_t(problem.outputSize()), 0.0f);
    input = problem.b.data();
    return "";
  }

  void run() override { loaded->run(input, nullptr, output_.data(), threads); }
  const float *output() const override { return output_.data(); }
  std::string variant() const override { return chosen; }
  std::optional<GeneratedCode> generatedCode() const override { return code; }

private:
  std::unique_ptr<x86::KernelJit> jit;
  x86::TargetIsa isa;
  std::optional<x86::LoadedSparseLayer> loaded;
  AlignedVector<float> output_;
  const float *input = nullptr;
  std::string chosen;
  GeneratedCode code;
  int threads = 1;
};

} // namespace

std::unique_ptr<KernelImpl> createSpccImpl() { return std::make_unique<SpccImpl>(); }

} // namespace spcc::kbench
