//===- Depthwise.h - 2-D depthwise convolution over channel planes --------===//
#ifndef SPCC_RUNTIME_KERNELS_DEPTHWISE_H
#define SPCC_RUNTIME_KERNELS_DEPTHWISE_H

#include "runtime/kernels/KernelParams.h"

#include <cstdint>

namespace spcc::kernels {

/// Whether depthwiseConv2d handles \p p: one input and one output channel per group, two
/// spatial axes, at most 64 taps, strides up to 4.
bool depthwiseConv2dApplies(const spcc_conv_params &p);

/// Y = depthwise convolution of X with W, plus bias (when non-null), then p.post_op; planes
/// split across at most \p numThreads threads.
void depthwiseConv2d(const spcc_conv_params &p, const float *x, const float *w, const float *bias,
                     float *y, int32_t numThreads);

} // namespace spcc::kernels

#endif
