//===- StridedCopy.h - Gathering every s-th float ------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_STRIDEDCOPY_H
#define SPCC_RUNTIME_KERNELS_STRIDEDCOPY_H

#include <cstdint>
#include <cstring>

namespace spcc::kernels {

/// dst[i] = src[i * stride] for i < count; strides 1 and 2 (convolutions' and pools' common
/// ones) spelled out as constants so the loops vectorize.
inline void copyStrided(float *dst, const float *src, int64_t count, int64_t stride) {
  if (count <= 0) return;
  if (stride == 1) {
    std::memcpy(dst, src, size_t(count) * sizeof(float));
  } else if (stride == 2) {
    for (int64_t i = 0; i < count; ++i) dst[i] = src[2 * i];
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = src[i * stride];
  }
}

} // namespace spcc::kernels

#endif
