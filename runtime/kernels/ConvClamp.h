//===- ConvClamp.h - A convolution's fused Relu / Clip as a clamp ---------===//
#ifndef SPCC_RUNTIME_KERNELS_CONVCLAMP_H
#define SPCC_RUNTIME_KERNELS_CONVCLAMP_H

#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/VectorLanes.h"

#include <limits>

namespace spcc::kernels {

/// The clamp that implements p.post_op (none: the whole float range).
struct Clamp {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  explicit Clamp(const spcc_conv_params &p) {
    if (p.post_op == SPCC_POST_RELU) lo = 0.0f;
    if (p.post_op == SPCC_POST_CLIP) lo = p.post_min, hi = p.post_max;
  }
};

/// Clamps \p v (compare-and-select keeps NaN, as ONNX's Relu and Clip do).
template <int Lanes>
inline FloatVector<Lanes> clampVector(FloatVector<Lanes> v, FloatVector<Lanes> lo,
                                      FloatVector<Lanes> hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

} // namespace spcc::kernels

#endif
