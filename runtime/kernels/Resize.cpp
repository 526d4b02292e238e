//===- Resize.cpp - Resize: nearest, linear and cubic interpolation ------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace spcc::kernels;

namespace {

int tapsOf(int32_t mode) {
  return mode == SPCC_RESIZE_NEAREST ? 1 : mode == SPCC_RESIZE_LINEAR ? 2 : 4;
}

/// The input coordinate output coordinate \p x of an axis maps to.
double sourceCoordinate(const spcc_resize_params &p, double x, double scale, int64_t in,
                        int64_t out) {
  // The resized length is in * scale, as in ONNX: not an integer when scales are given.
  double resized = double(in) * scale;
  switch (p.coordinates) {
  case SPCC_RESIZE_ASYMMETRIC: return x / scale;
  case SPCC_RESIZE_ALIGN_CORNERS: return resized == 1 ? 0.0 : x * double(in - 1) / (resized - 1);
  case SPCC_RESIZE_PYTORCH_HALF_PIXEL: return resized > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  case SPCC_RESIZE_HALF_PIXEL_SYMMETRIC: {
    double adjustment = double(out) / (scale * double(in));
    return double(in) / 2.0 * (1.0 - adjustment) + (x + 0.5) / scale - 0.5;
  }
  default: return (x + 0.5) / scale - 0.5;
  }
}

int64_t nearestIndex(int32_t mode, double x) {
  double floor = std::floor(x);
  switch (mode) {
  case SPCC_RESIZE_FLOOR: return int64_t(floor);
  case SPCC_RESIZE_CEIL: return int64_t(std::ceil(x));
  default:
    if (x - floor == 0.5) return int64_t(mode == SPCC_RESIZE_ROUND_PREFER_CEIL ? floor + 1 : floor);
    return int64_t(std::round(x));
  }
}

/// Fills \p index and \p weight ([out][taps]) for one axis.
void axisTaps(const spcc_resize_params &p, int d, int64_t *index, float *weight) {
  int64_t in = p.in_dims[d], out = p.out_dims[d];
  int taps = tapsOf(p.mode);
  double a = p.cubic_coeff_a;
  for (int64_t o = 0; o < out; ++o) {
    double x = sourceCoordinate(p, double(o), p.scales[d], in, out);
    int64_t *idx = index + o * taps;
    float *w = weight + o * taps;
    if (p.mode == SPCC_RESIZE_NEAREST) {
      idx[0] = std::min(std::max<int64_t>(nearestIndex(p.nearest_mode, x), 0), in - 1);
      w[0] = 1.0f;
      continue;
    }
    double floor = std::floor(x), t = x - floor, s = 1.0 - t;
    int64_t first = int64_t(floor) - (p.mode == SPCC_RESIZE_CUBIC ? 1 : 0);
    double c[4] = {1.0 - t, t, 0, 0};
    if (p.mode == SPCC_RESIZE_CUBIC) {
      c[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
      c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
      c[2] = ((a + 2) * s - (a + 3)) * s * s + 1;
      c[3] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
    }
    double sum = 0;
    for (int k = 0; k < taps; ++k) {
      int64_t i = first + k;
      if (p.exclude_outside && (i < 0 || i >= in)) c[k] = 0;
      sum += c[k];
    }
    for (int k = 0; k < taps; ++k) {
      idx[k] = std::min(std::max<int64_t>(first + k, 0), in - 1);
      w[k] = float(p.exclude_outside && sum != 0 ? c[k] / sum : c[k]);
    }
  }
}

} // namespace

extern "C" int32_t spcc_kernel_resize(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_resize_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  float *y = static_cast<float *>(out[0]);
  int rank = p.rank, taps = tapsOf(p.mode);
  // The workspace: each axis's neighbour indices, then its weights.
  auto *workspace = static_cast<unsigned char *>(out[1]);
  int64_t *indices[SPCC_KERNEL_MAX_RANK];
  float *weights[SPCC_KERNEL_MAX_RANK];
  int count[SPCC_KERNEL_MAX_RANK]; // neighbours visited per axis: 1 where it maps o to o
  int64_t outputs = 1, inStrides[SPCC_KERNEL_MAX_RANK];
  for (int d = 0; d < rank; ++d) {
    indices[d] = reinterpret_cast<int64_t *>(workspace);
    workspace += sizeof(int64_t) * size_t(p.out_dims[d] * taps);
    weights[d] = reinterpret_cast<float *>(workspace);
    workspace += sizeof(int64_t) * size_t(p.out_dims[d] * taps); // keeps 8-byte alignment
    axisTaps(p, d, indices[d], weights[d]);
    bool identity = p.in_dims[d] == p.out_dims[d];
    for (int64_t o = 0; o < p.out_dims[d] && identity; ++o)
      identity = indices[d][o * taps] == o && weights[d][o * taps] == 1.0f;
    count[d] = identity ? 1 : taps;
    outputs *= p.out_dims[d];
  }
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    inStrides[d] = stride;
    stride *= p.in_dims[d];
  }
  parallelFor(
      outputs, num_threads,
      [&](int64_t begin, int64_t end) {
        int64_t coord[SPCC_KERNEL_MAX_RANK];
        int tap[SPCC_KERNEL_MAX_RANK];
        for (int64_t o = begin; o < end; ++o) {
          int64_t rest = o;
          for (int d = rank - 1; d >= 0; --d) {
            coord[d] = rest % p.out_dims[d];
            rest /= p.out_dims[d];
          }
          // Every combination of the axes' neighbours.
          std::fill(tap, tap + rank, 0);
          float sum = 0;
          while (true) {
            float weight = 1;
            int64_t offset = 0;
            for (int d = 0; d < rank; ++d) {
              int64_t k = coord[d] * taps + tap[d];
              weight *= weights[d][k];
              offset += indices[d][k] * inStrides[d];
            }
            if (weight != 0) sum += weight * x[offset];
            int d = rank - 1;
            while (d >= 0 && ++tap[d] == count[d]) tap[d--] = 0;
            if (d < 0) break;
          }
          y[o] = sum;
        }
      },
      1024);
  return SPCC_KERNEL_OK;
}
