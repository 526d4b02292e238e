/*===- KernelAbi.h - How generated model code calls kernels ---------------===
 *
 * Every kernel of the kernel library has this signature. The model's entry
 *function calls one kernel per node with pointers to its input and output
 *tensors (arena slots, weights in the model's constant data, or the caller's
 *buffers) and a pointer to the node's parameters: a per-op struct from
 *KernelParams.h, filled by the compiler (backends/common/KernelLowering) and
 *emitted as constant data. Kernels never allocate per call beyond small stack
 *buffers, parallelize with OpenMP over at most `num_threads` threads, and
 *return SPCC_KERNEL_OK or the failure below.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SPCC_RUNTIME_KERNELABI_H
#define SPCC_RUNTIME_KERNELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a kernel returns. A kernel that can fail on its input data (an index out of range)
 *  still writes every output element, and the model's run function reports the failure. */
enum {
  SPCC_KERNEL_OK = 0,
  SPCC_KERNEL_INDEX_OUT_OF_RANGE = 1,
};

typedef int32_t (*spcc_kernel_fn)(const void *const *inputs, void *const *outputs,
                                  const void *params, int32_t num_threads);

#ifdef __cplusplus
}
#endif

#endif /* SPCC_RUNTIME_KERNELABI_H */
