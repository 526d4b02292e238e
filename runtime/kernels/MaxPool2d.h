//===- MaxPool2d.h - 2-D max pooling over channel planes, read in place ---===//
#ifndef SPCC_RUNTIME_KERNELS_MAXPOOL2D_H
#define SPCC_RUNTIME_KERNELS_MAXPOOL2D_H

#include "runtime/kernels/KernelParams.h"

#include <cstdint>

namespace spcc::kernels {

/// Whether maxPool2d handles \p p: two spatial axes, no dilation, column stride 1 or 2, at
/// most 8 taps per row.
bool maxPool2dApplies(const spcc_pool_params &p);

/// Y = max pooling of X (a NaN in a window makes its maximum NaN; a window wholly in the
/// padding gives -inf); planes split across at most \p numThreads threads.
void maxPool2d(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads);

} // namespace spcc::kernels

#endif
