/*===- KernelAbi.h - How generated model code calls kernels ---------------===
 *
 * Every kernel of the kernel library has this signature. The model's entry
 *function calls one kernel per node with pointers to its input and output
 *tensors (arena slots, weights in the model's constant data, or the caller's
 *buffers) and a pointer to the node's parameters: a per-op struct from
 *KernelParams.h, filled by the compiler (backends/common/KernelLowering) and
 *emitted as constant data. Kernels never allocate per call beyond small stack
 *buffers and parallelize with OpenMP over at most `num_threads` threads.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SPCC_RUNTIME_KERNELABI_H
#define SPCC_RUNTIME_KERNELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*spcc_kernel_fn)(const void *const *inputs, void *const *outputs, const void *params,
                               int32_t num_threads);

#ifdef __cplusplus
}
#endif

#endif /* SPCC_RUNTIME_KERNELABI_H */
