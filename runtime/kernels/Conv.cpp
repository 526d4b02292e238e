//===- Conv.cpp - Convolution kernel --------------------------------------===//
//
// Three strategies, chosen per call from the parameters:
// - depthwise (one input channel per group): in 2-D, Depthwise.cpp; otherwise
// direct loops per channel plane;
// - pointwise (1x1 kernel, stride 1, no padding): one GEMM per image and group,
// no copy;
// - otherwise im2col into the workspace, then one GEMM per image and group.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Depthwise.h"
#include "runtime/kernels/Gemm.h"
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"

#include <algorithm>
#include <cstring>
#include <vector>

using namespace spcc::kernels;

namespace {

/// Output positions o in [lo, hi) whose tap o * stride + offset lands inside
/// [0, in).
inline void validRange(int64_t in, int64_t out, int64_t stride, int64_t offset, int64_t &lo,
                       int64_t &hi) {
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = in - 1 - offset;
  hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  hi = std::max(lo, hi);
}

inline float applyPost(const spcc_conv_params &p, float v) {
  // Compare-and-select keeps NaN, as ONNX's Relu and Clip do.
  if (p.post_op == SPCC_POST_RELU) return v < 0.0f ? 0.0f : v;
  if (p.post_op == SPCC_POST_CLIP)
    return v < p.post_min ? p.post_min : v > p.post_max ? p.post_max : v;
  return v;
}

/// Adds the bias and applies the post-op to output channels [m0, m1) of one
/// image.
void finishChannels(const spcc_conv_params &p, const float *bias, float *y, int64_t plane,
                    int64_t m0, int64_t m1) {
  if (!bias && p.post_op == SPCC_POST_NONE) return;
  for (int64_t m = m0; m < m1; ++m) {
    float b = bias ? bias[m] : 0.0f;
    float *row = y + m * plane;
    if (p.post_op == SPCC_POST_NONE)
      for (int64_t i = 0; i < plane; ++i) row[i] += b;
    else
      for (int64_t i = 0; i < plane; ++i) row[i] = applyPost(p, row[i] + b);
  }
}

/// One output plane of a depthwise convolution: input plane x, kernel taps w.
void depthwisePlane(const spcc_conv_params &p, const float *x, const float *w, float bias,
                    float *y) {
  int64_t outPlane = p.out[0] * p.out[1] * p.out[2];
  std::fill(y, y + outPlane, bias);
  int64_t dLo, dHi, hLo, hHi, wLo, wHi;
  for (int64_t kd = 0; kd < p.kernel[0]; ++kd) {
    int64_t offD = kd * p.dilation[0] - p.pad_begin[0];
    validRange(p.in[0], p.out[0], p.stride[0], offD, dLo, dHi);
    for (int64_t kh = 0; kh < p.kernel[1]; ++kh) {
      int64_t offH = kh * p.dilation[1] - p.pad_begin[1];
      validRange(p.in[1], p.out[1], p.stride[1], offH, hLo, hHi);
      for (int64_t kw = 0; kw < p.kernel[2]; ++kw) {
        int64_t offW = kw * p.dilation[2] - p.pad_begin[2];
        validRange(p.in[2], p.out[2], p.stride[2], offW, wLo, wHi);
        float wv = w[(kd * p.kernel[1] + kh) * p.kernel[2] + kw];
        int64_t sw = p.stride[2];
        for (int64_t od = dLo; od < dHi; ++od) {
          int64_t id = od * p.stride[0] + offD;
          for (int64_t oh = hLo; oh < hHi; ++oh) {
            int64_t ih = oh * p.stride[1] + offH;
            const float *src = x + (id * p.in[1] + ih) * p.in[2];
            float *dst = y + (od * p.out[1] + oh) * p.out[2];
            if (sw == 1)
              for (int64_t ow = wLo; ow < wHi; ++ow) dst[ow] += wv * src[ow + offW];
            else
              for (int64_t ow = wLo; ow < wHi; ++ow) dst[ow] += wv * src[ow * sw + offW];
          }
        }
      }
    }
  }
  if (p.post_op != SPCC_POST_NONE)
    for (int64_t i = 0; i < outPlane; ++i) y[i] = applyPost(p, y[i]);
}

/// Row `row` of the im2col matrix of one image and group: for input channel c
/// and tap (kd, kh, kw), the input value each output position reads (0 in the
/// padding).
void im2colRow(const spcc_conv_params &p, const float *x, int64_t row, float *dst) {
  int64_t kw = row % p.kernel[2], kh = (row / p.kernel[2]) % p.kernel[1];
  int64_t kd = (row / (p.kernel[2] * p.kernel[1])) % p.kernel[0];
  int64_t c = row / (p.kernel[2] * p.kernel[1] * p.kernel[0]);
  const float *plane = x + c * p.in[0] * p.in[1] * p.in[2];
  int64_t offD = kd * p.dilation[0] - p.pad_begin[0];
  int64_t offH = kh * p.dilation[1] - p.pad_begin[1];
  int64_t offW = kw * p.dilation[2] - p.pad_begin[2];
  int64_t wLo, wHi;
  validRange(p.in[2], p.out[2], p.stride[2], offW, wLo, wHi);
  int64_t sw = p.stride[2];
  for (int64_t od = 0; od < p.out[0]; ++od) {
    int64_t id = od * p.stride[0] + offD;
    for (int64_t oh = 0; oh < p.out[1]; ++oh) {
      int64_t ih = oh * p.stride[1] + offH;
      float *out = dst + (od * p.out[1] + oh) * p.out[2];
      if (id < 0 || id >= p.in[0] || ih < 0 || ih >= p.in[1]) {
        std::memset(out, 0, size_t(p.out[2]) * sizeof(float));
        continue;
      }
      const float *src = plane + (id * p.in[1] + ih) * p.in[2];
      for (int64_t ow = 0; ow < wLo; ++ow) out[ow] = 0.0f;
      if (sw == 1)
        std::memcpy(out + wLo, src + wLo + offW, size_t(wHi - wLo) * sizeof(float));
      else
        for (int64_t ow = wLo; ow < wHi; ++ow) out[ow] = src[ow * sw + offW];
      for (int64_t ow = wHi; ow < p.out[2]; ++ow) out[ow] = 0.0f;
    }
  }
}

void convolve(const spcc_conv_params &p, const void *const *in, void *const *out,
              int32_t num_threads) {
  const float *x = static_cast<const float *>(in[0]);
  const float *w = static_cast<const float *>(in[1]);
  const float *bias = p.has_bias ? static_cast<const float *>(in[2]) : nullptr;
  float *y = static_cast<float *>(out[0]);
  int64_t inPlane = p.in[0] * p.in[1] * p.in[2];
  int64_t outPlane = p.out[0] * p.out[1] * p.out[2];
  int64_t taps = p.kernel[0] * p.kernel[1] * p.kernel[2];
  int64_t cinG = p.cin / p.group, coutG = p.cout / p.group;

  if (depthwiseConv2dApplies(p)) {
    depthwiseConv2d(p, x, w, bias, y, num_threads);
    return;
  }
  if (cinG == 1 && coutG == 1) {
    parallelFor(p.n * p.cout, num_threads, [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        int64_t m = plane % p.cout;
        depthwisePlane(p, x + plane * inPlane, w + m * taps, bias ? bias[m] : 0.0f,
                       y + plane * outPlane);
      }
    });
    return;
  }

  bool pointwise = taps == 1 && p.pad_begin[0] == 0 && p.pad_begin[1] == 0 && p.pad_begin[2] == 0 &&
                   p.stride[0] == 1 && p.stride[1] == 1 && p.stride[2] == 1 &&
                   p.in[0] == p.out[0] && p.in[1] == p.out[1] && p.in[2] == p.out[2];
  float *columns = pointwise ? nullptr : static_cast<float *>(out[1]);
  int64_t depth = cinG * taps; // the GEMM's k
  for (int64_t n = 0; n < p.n; ++n) {
    for (int64_t g = 0; g < p.group; ++g) {
      const float *image = x + (n * p.cin + g * cinG) * inPlane;
      const float *b = image;
      if (!pointwise) {
        parallelFor(
            depth, num_threads,
            [&](int64_t r0, int64_t r1) {
              for (int64_t r = r0; r < r1; ++r) im2colRow(p, image, r, columns + r * outPlane);
            },
            4);
        b = columns;
      }
      float *result = y + (n * p.cout + g * coutG) * outPlane;
      gemm({w + g * coutG * depth, depth}, {b, outPlane}, result, outPlane, coutG, outPlane, depth,
           1.0f, false, num_threads);
      const float *groupBias = bias ? bias + g * coutG : nullptr;
      parallelFor(
          coutG, num_threads,
          [&](int64_t m0, int64_t m1) { finishChannels(p, groupBias, result, outPlane, m0, m1); },
          8);
    }
  }
}

} // namespace

extern "C" int32_t spcc_kernel_conv(const void *const *in, void *const *out, const void *params,
                                    int32_t num_threads) {
  const auto &p = *static_cast<const spcc_conv_params *>(params);
  if (!p.has_residual) {
    convolve(p, in, out, num_threads);
    return SPCC_KERNEL_OK;
  }
  // The residual comes before the activation: convolve without it, then one pass for both.
  spcc_conv_params plain = p;
  plain.post_op = SPCC_POST_NONE;
  convolve(plain, in, out, num_threads);
  const float *residual = static_cast<const float *>(in[3]);
  float *y = static_cast<float *>(out[0]);
  parallelFor(
      p.n * p.cout * p.out[0] * p.out[1] * p.out[2], num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) y[i] = applyPost(p, y[i] + residual[i]);
      },
      4096);
  return SPCC_KERNEL_OK;
}
