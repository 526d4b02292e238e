//===- StridedCopy.h - Gathering every s-th float ------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_STRIDEDCOPY_H
#define SPCC_RUNTIME_KERNELS_STRIDEDCOPY_H

#include <cstdint>
#include <cstring>

namespace spcc::kernels {

// Convolution borders and rows are a few to a few dozen floats: a library call per piece
// costs more than the copy (it made filling a 14x14 layer's padded planes slower than its
// sparse product). These move whole 16-float chunks, then the tail in 8/4/2/1 chunks, all
// fixed-size, so the compiler emits them inline; long runs still go to memcpy / memset.
constexpr int64_t kInlineFloats = 256;

/// dst[i] = src[i] for i < count.
inline void copyFloats(float *dst, const float *src, int64_t count) {
  if (count >= kInlineFloats) {
    std::memcpy(dst, src, size_t(count) * sizeof(float));
    return;
  }
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) std::memcpy(dst + i, src + i, 16 * sizeof(float));
  for (int64_t chunk : {8, 4, 2, 1})
    if ((count - i) & chunk) {
      std::memcpy(dst + i, src + i, size_t(chunk) * sizeof(float));
      i += chunk;
    }
}

/// dst[i] = 0 for i < count.
inline void zeroFloats(float *dst, int64_t count) {
  if (count >= kInlineFloats) {
    std::memset(dst, 0, size_t(count) * sizeof(float));
    return;
  }
  static constexpr float kZeros[16] = {};
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) std::memcpy(dst + i, kZeros, sizeof(kZeros));
  for (int64_t chunk : {8, 4, 2, 1})
    if ((count - i) & chunk) {
      std::memcpy(dst + i, kZeros, size_t(chunk) * sizeof(float));
      i += chunk;
    }
}

/// dst[i] = src[i * stride] for i < count; strides 1 and 2 (convolutions' and pools' common
/// ones) spelled out as constants so the loops vectorize.
inline void copyStrided(float *dst, const float *src, int64_t count, int64_t stride) {
  if (count <= 0) return;
  if (stride == 1) {
    copyFloats(dst, src, count);
  } else if (stride == 2) {
    for (int64_t i = 0; i < count; ++i) dst[i] = src[2 * i];
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = src[i * stride];
  }
}

} // namespace spcc::kernels

#endif
