//===- SparseLaunch.cpp - The kernel behind every generated sparse layer -===//
#include "runtime/kernels/SparseLaunch.h"
#include "runtime/kernels/KernelAbi.h"

extern "C" int32_t spcc_kernel_sparse(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_sparse_params *>(params);
  float *workspace = p.workspace_floats > 0 ? static_cast<float *>(out[1]) : nullptr;
  spcc::kernels::runSparseImages(p, static_cast<const float *>(in[0]),
                                 static_cast<const float *>(in[1]), static_cast<float *>(out[0]),
                                 workspace, num_threads);
  return SPCC_KERNEL_OK;
}
