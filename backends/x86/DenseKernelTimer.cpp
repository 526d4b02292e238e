//===- DenseKernelTimer.cpp - Timing the dense kernel a layer would run --===//
#include "backends/x86/DenseKernelTimer.h"

#include "backends/x86/ColdRunTimer.h"
#include "compiler/support/Error.h"
#include "runtime/kernels/KernelAbi.h"

#include <random>

namespace spcc::x86 {
namespace {

/// A 64-byte aligned zeroed buffer of \p bytes.
struct AlignedBuffer {
  explicit AlignedBuffer(int64_t bytes) : storage(size_t(bytes + 64), 0) {}
  void *data() {
    auto address = reinterpret_cast<uintptr_t>(storage.data());
    return reinterpret_cast<void *>((address + 63) / 64 * 64);
  }
  std::vector<uint8_t> storage;
};

} // namespace

llvm::Expected<double> DenseKernelTimer::time(const Node &node, const KernelCall &call, int threads,
                                              double minSeconds) {
  auto found = jit.libraryKernel(isa, call.symbol);
  if (!found) return found.takeError();
  spcc_kernel_fn kernel = *found;
  std::mt19937 random(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<AlignedBuffer> buffers;
  buffers.reserve(node.getNumInputs() + node.getNumOutputs() + 1);
  std::vector<const void *> inputs;
  std::vector<HotBytes> hot;
  for (size_t i = 0; i < node.getNumInputs(); ++i) {
    const Value *in = node.getInput(i);
    if (!in) {
      inputs.push_back(nullptr);
    } else if (in->isConstant()) {
      inputs.push_back(in->getConstant().getBytes().data());
    } else {
      AlignedBuffer &buffer = buffers.emplace_back(in->getType().getSizeInBytes());
      if (in->getType().getDType() == DType::Float32) {
        auto *values = static_cast<float *>(buffer.data());
        for (int64_t e = 0; e < in->getType().getNumElements(); ++e) values[e] = uniform(random);
      }
      inputs.push_back(buffer.data());
      hot.push_back({buffer.data(), size_t(in->getType().getSizeInBytes())});
    }
  }
  std::vector<void *> outputs;
  for (size_t i = 0; i < node.getNumOutputs(); ++i)
    outputs.push_back(buffers.emplace_back(node.getOutput(i)->getType().getSizeInBytes()).data());
  if (call.workspaceBytes > 0) outputs.push_back(buffers.emplace_back(call.workspaceBytes).data());
  const void *params = call.params.empty() ? nullptr : call.params.data();
  return timeRuns([&] { kernel(inputs.data(), outputs.data(), params, threads); }, minSeconds,
                  threads, hot, CacheState::Cold);
}

} // namespace spcc::x86
