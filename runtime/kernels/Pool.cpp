//===- Pool.cpp - Pooling kernels ----------------------------------------===//
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"

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

template <bool IsMax>
void pool(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  int64_t inPlane = p.in[0] * p.in[1] * p.in[2];
  int64_t outPlane = p.out[0] * p.out[1] * p.out[2];
  parallelFor(p.planes, numThreads, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float *in = x + plane * inPlane;
      float *out = y + plane * outPlane;
      for (int64_t od = 0; od < p.out[0]; ++od) {
        Taps td = tapsAt(p, 0, od);
        for (int64_t oh = 0; oh < p.out[1]; ++oh) {
          Taps th = tapsAt(p, 1, oh);
          for (int64_t ow = 0; ow < p.out[2]; ++ow) {
            Taps tw = tapsAt(p, 2, ow);
            float acc = IsMax ? -std::numeric_limits<float>::infinity() : 0.0f;
            for (int64_t kd = td.lo; kd < td.hi; ++kd) {
              int64_t id = td.start + kd * p.dilation[0];
              for (int64_t kh = th.lo; kh < th.hi; ++kh) {
                int64_t ih = th.start + kh * p.dilation[1];
                const float *row = in + (id * p.in[1] + ih) * p.in[2];
                for (int64_t kw = tw.lo; kw < tw.hi; ++kw) {
                  float v = row[tw.start + kw * p.dilation[2]];
                  acc = IsMax ? std::max(acc, v) : acc + v;
                }
              }
            }
            if (!IsMax) {
              int64_t count = p.count_include_pad
                                  ? td.padded * th.padded * tw.padded
                                  : (td.hi - td.lo) * (th.hi - th.lo) * (tw.hi - tw.lo);
              acc = count > 0 ? acc / float(count) : 0.0f;
            }
            out[(od * p.out[1] + oh) * p.out[2] + ow] = acc;
          }
        }
      }
    }
  });
}

} // namespace

extern "C" void spcc_kernel_max_pool(const void *const *in, void *const *out, const void *params,
                                     int32_t num_threads) {
  pool<true>(*static_cast<const spcc_pool_params *>(params), static_cast<const float *>(in[0]),
             static_cast<float *>(out[0]), num_threads);
}

extern "C" void spcc_kernel_average_pool(const void *const *in, void *const *out,
                                         const void *params, int32_t num_threads) {
  pool<false>(*static_cast<const spcc_pool_params *>(params), static_cast<const float *>(in[0]),
              static_cast<float *>(out[0]), num_threads);
}

extern "C" void spcc_kernel_global_average_pool(const void *const *in, void *const *out,
                                                const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_global_pool_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  float *y = static_cast<float *>(out[0]);
  parallelFor(
      p.planes, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
          const float *src = x + plane * p.plane_size;
          double sum = 0.0;
          for (int64_t i = 0; i < p.plane_size; ++i) sum += src[i];
          y[plane] = p.plane_size > 0 ? float(sum / double(p.plane_size)) : 0.0f;
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(p.plane_size, 1)));
}
