//===- SoftmaxExp.h - The exps of a softmax, without subnormals ----------===//
//
// A softmax's scores far below their maximum (a masked key: -1e4, -inf or the lowest float
// added) weigh nothing, but exp computes them as subnormals below -87.3, each at the cost of
// a microcode assist, as is every FMA that later reads one: BERT's attention compiled for
// x86-64-v3 ran 38x slower. These exps are zero below the floor instead; NaN stays NaN.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_SOFTMAXEXP_H
#define SPCC_RUNTIME_KERNELS_SOFTMAXEXP_H

#include "runtime/kernels/VectorLanes.h"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>

namespace spcc::kernels {

/// exp is zero below this (exp(-87) = 1.6e-38 is still a normal float).
constexpr float kSoftmaxExpFloor = -87.0f;

using SoftmaxVector = FloatVector<kWideLanes>;

/// exp(x) lane by lane, on Eigen's vectorized exp; zero below kSoftmaxExpFloor (computed as
/// the exp of the floor, then zeroed).
inline SoftmaxVector softmaxExp(SoftmaxVector x) {
  using Packet = Eigen::internal::packet_traits<float>::type;
  static_assert(sizeof(Packet) == sizeof(SoftmaxVector), "Eigen's packet is the widest vector");
  auto belowFloor = x < kSoftmaxExpFloor;
  SoftmaxVector e = SoftmaxVector(Eigen::internal::pexp(Packet(belowFloor ? kSoftmaxExpFloor : x)));
  return belowFloor ? SoftmaxVector{} : e;
}

/// The same for one float.
inline float softmaxExp(float x) { return x < kSoftmaxExpFloor ? 0.0f : std::exp(x); }

/// y[j] = softmaxExp(x[j] - shift) for j < n (y may be x); returns their sum.
inline float expShifted(const float *x, float *y, int64_t n, float shift) {
  constexpr int kLanes = kWideLanes;
  SoftmaxVector sum{};
  for (int64_t j = 0; j < n; j += kLanes) {
    // Lanes past the row read -inf: their exp is zero.
    SoftmaxVector e =
        softmaxExp(loadMaskedOr<kLanes>(x + j, laneRange(0, n - j), -INFINITY) - shift);
    storeFirst<kLanes>(y + j, e, n - j);
    sum += e;
  }
  float total = 0;
  for (int lane = 0; lane < kLanes; ++lane) total += sum[lane];
  return total;
}

} // namespace spcc::kernels

#endif
