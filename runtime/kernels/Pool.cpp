//===- Pool.cpp - Pooling kernels ----------------------------------------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/MaxPool2d.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/VectorLanes.h"

#include <algorithm>
#include <limits>

using namespace spcc::kernels;

namespace {

/// The taps of one window along axis a: first input position, and the tap range
/// [lo, hi) inside the input; `padded` counts taps inside the padded input.
struct Taps {
  int64_t start, lo, hi, padded;
};

inline Taps tapsAt(const spcc_pool_params &p, int a, int64_t o) {
  Taps t{o * p.stride[a] - p.pad_begin[a], 0, 0, 0};
  int64_t d = p.dilation[a];
  // First tap with start + t * d >= 0, last with start + t * d < in.
  t.lo = t.start >= 0 ? 0 : (-t.start + d - 1) / d;
  t.hi = t.start >= p.in[a] ? 0 : std::min(p.kernel[a], (p.in[a] - 1 - t.start) / d + 1);
  t.hi = std::max(t.lo, t.hi);
  for (int64_t k = 0; k < p.kernel[a]; ++k) {
    int64_t i = t.start + k * d;
    t.padded += i >= -p.pad_begin[a] && i < p.in[a] + p.pad_end[a];
  }
  return t;
}

/// acc[i] = max(acc[i], src[i * stride]) (or +=) for i < count; strides 1 and 2 spelled out so
/// they vectorize.
template <bool IsMax>
inline void accumulateStrided(float *acc, const float *src, int64_t count, int64_t stride) {
  // A NaN in the window makes the maximum NaN, as numpy's and PyTorch's max do.
  auto combine = [](float a, float v) { return IsMax ? (a >= v || a != a ? a : v) : a + v; };
  if (stride == 1) {
    for (int64_t i = 0; i < count; ++i) acc[i] = combine(acc[i], src[i]);
  } else if (stride == 2) {
    for (int64_t i = 0; i < count; ++i) acc[i] = combine(acc[i], src[2 * i]);
  } else {
    for (int64_t i = 0; i < count; ++i) acc[i] = combine(acc[i], src[i * stride]);
  }
}

/// A whole output row at a time: for each tap (kd, kh, kw) in order, the outputs whose tap lies
/// inside the input are combined with it as one strided vector loop.
template <bool IsMax>
void pool(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  int64_t inPlane = p.in[0] * p.in[1] * p.in[2];
  int64_t outPlane = p.out[0] * p.out[1] * p.out[2];
  int64_t sw = p.stride[2];
  parallelFor(p.planes, numThreads, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float *in = x + plane * inPlane;
      float *out = y + plane * outPlane;
      for (int64_t od = 0; od < p.out[0]; ++od) {
        Taps td = tapsAt(p, 0, od);
        for (int64_t oh = 0; oh < p.out[1]; ++oh) {
          Taps th = tapsAt(p, 1, oh);
          float *dst = out + (od * p.out[1] + oh) * p.out[2];
          std::fill(dst, dst + p.out[2], IsMax ? -std::numeric_limits<float>::infinity() : 0.0f);
          for (int64_t kd = td.lo; kd < td.hi; ++kd) {
            int64_t id = td.start + kd * p.dilation[0];
            for (int64_t kh = th.lo; kh < th.hi; ++kh) {
              const float *row = in + (id * p.in[1] + th.start + kh * p.dilation[1]) * p.in[2];
              for (int64_t kw = 0; kw < p.kernel[2]; ++kw) {
                // Outputs ow with 0 <= ow * sw + offset < in: [lo, hi).
                int64_t offset = kw * p.dilation[2] - p.pad_begin[2];
                int64_t lo = offset >= 0 ? 0 : (-offset + sw - 1) / sw;
                int64_t last = p.in[2] - 1 - offset;
                int64_t hi = last < 0 ? 0 : std::min(p.out[2], last / sw + 1);
                if (lo < hi)
                  accumulateStrided<IsMax>(dst + lo, row + lo * sw + offset, hi - lo, sw);
              }
            }
          }
          if (!IsMax)
            for (int64_t ow = 0; ow < p.out[2]; ++ow) {
              Taps tw = tapsAt(p, 2, ow);
              int64_t count = p.count_include_pad
                                  ? td.padded * th.padded * tw.padded
                                  : (td.hi - td.lo) * (th.hi - th.lo) * (tw.hi - tw.lo);
              dst[ow] = count > 0 ? dst[ow] / float(count) : 0.0f;
            }
        }
      }
    }
  });
}

/// The sum of \p count floats in double precision: 16 a step into two vectors of 8 double lanes
/// (one chain of dependent adds per element ran 2x slower than ONNX Runtime on ResNet-50's 2048
/// 7x7 planes), the lanes then added pairwise (16 lanes added one after another took 0.019 ms
/// there, against ONNX Runtime's 0.008), the last count % 16 floats after them.
inline double sumInDouble(const float *src, int64_t count) {
  typedef double Doubles __attribute__((vector_size(8 * sizeof(double))));
  typedef double Quad __attribute__((vector_size(4 * sizeof(double))));
  typedef double Pair __attribute__((vector_size(2 * sizeof(double))));
  Doubles low = {}, high = {};
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    low += __builtin_convertvector(loadLanes<8>(src + i), Doubles);
    high += __builtin_convertvector(loadLanes<8>(src + i + 8), Doubles);
  }
  Doubles eight = low + high;
  Quad four = __builtin_shufflevector(eight, eight, 0, 1, 2, 3) +
              __builtin_shufflevector(eight, eight, 4, 5, 6, 7);
  Pair two = __builtin_shufflevector(four, four, 0, 1) + __builtin_shufflevector(four, four, 2, 3);
  double sum = two[0] + two[1];
  for (; i < count; ++i) sum += double(src[i]);
  return sum;
}

} // namespace

extern "C" int32_t spcc_kernel_max_pool(const void *const *in, void *const *out, const void *params,
                                        int32_t num_threads) {
  const auto &p = *static_cast<const spcc_pool_params *>(params);
  if (maxPool2dApplies(p)) {
    maxPool2d(p, static_cast<const float *>(in[0]), static_cast<float *>(out[0]), num_threads);
    return SPCC_KERNEL_OK;
  }
  pool<true>(*static_cast<const spcc_pool_params *>(params), static_cast<const float *>(in[0]),
             static_cast<float *>(out[0]), num_threads);
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_average_pool(const void *const *in, void *const *out,
                                            const void *params, int32_t num_threads) {
  pool<false>(*static_cast<const spcc_pool_params *>(params), static_cast<const float *>(in[0]),
              static_cast<float *>(out[0]), num_threads);
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_global_average_pool(const void *const *in, void *const *out,
                                                   const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_global_pool_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  float *y = static_cast<float *>(out[0]);
  parallelFor(
      p.planes, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
          double sum = sumInDouble(x + plane * p.plane_size, p.plane_size);
          y[plane] = p.plane_size > 0 ? float(sum / double(p.plane_size)) : 0.0f;
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(p.plane_size, 1)));
  return SPCC_KERNEL_OK;
}
