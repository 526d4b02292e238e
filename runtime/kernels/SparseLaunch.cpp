//===- SparseLaunch.cpp - The kernel behind every generated sparse layer -===//
#include "runtime/kernels/SparseLaunch.h"
#include "runtime/kernels/KernelAbi.h"

#include <algorithm>

extern "C" int32_t spcc_kernel_sparse(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_sparse_params *>(params);
  float *workspace = p.workspace_floats > 0 ? static_cast<float *>(out[1]) : nullptr;
  const auto *input = static_cast<const float *>(in[0]);
  const auto *residual = static_cast<const float *>(in[1]);
  auto *output = static_cast<float *>(out[0]);
  // Images one after another, each on all the threads: every image reuses the workspace.
  for (int64_t image = 0; image < std::max<int64_t>(1, p.images); ++image) {
    spcc::kernels::runSparse(p, input + image * p.image_in_floats,
                             residual ? residual + image * p.image_out_floats : nullptr,
                             output + image * p.image_out_floats, workspace, num_threads);
  }
  return SPCC_KERNEL_OK;
}
