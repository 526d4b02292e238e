//===- DepthwiseChannelBlocks.h - Small depthwise planes, channels in lanes ---===//
#ifndef SPCC_RUNTIME_KERNELS_DEPTHWISECHANNELBLOCKS_H
#define SPCC_RUNTIME_KERNELS_DEPTHWISECHANNELBLOCKS_H

#include "runtime/kernels/KernelParams.h"

#include <cstdint>

namespace spcc::kernels {

/// How many blocks of depthwiseChannelBlockLanes() channels depthwiseChannelBlocks computes for
/// \p p (a depthwise convolution depthwiseConv2dApplies accepts): cout / lanes when every
/// output channel has its own input channel and the padded input window fits the scratch
/// (4096 positions), else 0.
int64_t depthwiseChannelBlockCount(const spcc_conv_params &p);

/// Whether the blocks are the faster way to compute \p p (measured): planes of at most 64
/// outputs, or kernels of 5x5 taps or more at any size, with enough multiply-adds per input
/// position to pay for moving it (not 3x3 at stride 2 with 16 lanes), and at least one block.
bool depthwiseChannelBlocksPreferred(const spcc_conv_params &p);

/// Channels per block: the lanes of the level's widest vector.
int64_t depthwiseChannelBlockLanes();

/// The first depthwiseChannelBlockCount(p) * depthwiseChannelBlockLanes() output channels of
/// every sample of Y = depthwise convolution of X with W, plus bias (when non-null), then
/// p.post_op; blocks split across at most \p numThreads threads.
void depthwiseChannelBlocks(const spcc_conv_params &p, const float *x, const float *w,
                            const float *bias, float *y, int32_t numThreads);

} // namespace spcc::kernels

#endif
