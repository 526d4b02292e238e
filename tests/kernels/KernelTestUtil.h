//===- KernelTestUtil.h - Checking a kernel against the reference --------===//
#ifndef SPCC_TESTS_KERNELTESTUTIL_H
#define SPCC_TESTS_KERNELTESTUTIL_H

#include "runtime/kernels/KernelAbi.h"
#include "tests/ops/OpTestUtil.h"

namespace spcc::test {

/// Builds a one-node graph for \p call (inputs marked constant become
/// constants, the others graph inputs), evaluates it with the op's reference
/// evaluation, lowers the node with lowerToKernelCall and runs the kernel on 1,
/// 2 and 3 threads; each run's outputs must match the reference: floats within
/// |a - e| <= atol + rtol * |e|, other types exactly. An alias must return its
/// input unchanged. Returns the kernel's symbol ("" for an alias).
std::string checkKernel(const OpCall &call, double rtol = 1e-4, double atol = 1e-5);

/// As checkKernel, with the kernel reading its slotted inputs (featureMajorSlots) feature-major
/// when \p inputs and writing its output feature-major when \p output: the inputs are
/// transposed before the call and the output back after it.
std::string checkKernelFeatureMajor(const OpCall &call, bool inputs, bool output,
                                    double rtol = 1e-4, double atol = 1e-5);

/// What one kernel call returned and wrote.
struct KernelRun {
  int32_t status = -1;        // SPCC_KERNEL_OK or a failure (runtime/kernels/KernelAbi.h)
  TensorList outputs;         // every byte 0xff before the call
  std::string failureMessage; // KernelCall::failureMessage: what a run reports on failure
};

/// Lowers \p call's node (built as checkKernel does) and runs its kernel once on \p threads
/// threads, without comparing to the reference (which may reject the inputs).
KernelRun runKernel(const OpCall &call, int32_t threads);

/// The message of lowerToKernelCall's error for \p call (whose shape rule must
/// succeed); fails the test if the lowering succeeds.
std::string loweringError(const OpCall &call);

/// An int64 tensor of \p dims.
Tensor ints(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<int64_t> values);
/// A 1-D int64 tensor.
Tensor ints(llvm::ArrayRef<int64_t> values);

} // namespace spcc::test

#endif
