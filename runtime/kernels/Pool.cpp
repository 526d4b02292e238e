//===- Pool.cpp - Pooling kernels ----------------------------------------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/MaxPool2d.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/VectorLanes.h"

#include <algorithm>
#include <limits>
#include <utility>

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

/// Lane i of a pair fold at block size B: blocks of 2B lanes, each taking a's block of B lanes
/// that starts there, then b's (\p High: the next block of each instead).
constexpr int foldLane(int i, int lanes, int block, bool high) {
  int group = i / (2 * block) * 2 * block, within = i % (2 * block);
  int from = group + (within < block ? within : lanes + within - block);
  return from + (high ? block : 0);
}

/// a and b folded to half their lanes each, side by side in blocks of B: a block of a's lanes
/// plus the block after it, then the same of b's.
template <int Lanes, int Block, size_t... I>
inline FloatVector<Lanes> foldPair(FloatVector<Lanes> a, FloatVector<Lanes> b,
                                   std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, foldLane(int(I), Lanes, Block, false)...) +
         __builtin_shufflevector(a, b, foldLane(int(I), Lanes, Block, true)...);
}

/// Lane j of the result is the sum of v[j]'s lanes, for every j < Lanes (v is consumed). Each
/// level folds v[j] with v[j + half] in blocks of half the lanes before, so the planes come out
/// in order after the last: Lanes - 1 folds of two shuffles and an add, where one plane's own
/// horizontal sum costs log2(Lanes) of them.
template <int Lanes, int Block = Lanes / 2>
inline FloatVector<Lanes> transposeSum(FloatVector<Lanes> *v) {
  // 2 * Block vectors are left, each holding its planes' sums in blocks of 2 * Block lanes.
  for (int j = 0; j < Block; ++j)
    v[j] = foldPair<Lanes, Block>(v[j], v[j + Block], std::make_index_sequence<Lanes>());
  if constexpr (Block == 1)
    return v[0];
  else
    return transposeSum<Lanes, Block / 2>(v);
}

/// Planes of at most this many floats are summed in float lanes, each lane adding at most 16
/// of a plane's values before the lanes are added pairwise; larger planes in double
/// (sumInDouble).
constexpr int64_t kFloatSumMaxPlane = 16 * kWideLanes;

/// The averages of kWideLanes consecutive planes of \p size <= kFloatSumMaxPlane floats each:
/// each plane's vectors summed into one register (a masked load for its last floats, which
/// never reads the next plane), then the registers added across together (transposeSum) and
/// stored as one vector. ResNet-50's 2048 planes of 7x7 paid a horizontal sum and a scalar
/// tail per plane before.
inline void averagePlaneGroup(const float *x, int64_t size, float *y) {
  constexpr int L = kWideLanes;
  FloatVector<L> sums[L];
  const int64_t whole = size / L * L;
  const uint32_t tail = laneRange(0, size - whole);
  for (int j = 0; j < L; ++j, x += size) {
    FloatVector<L> sum = tail ? loadMasked<L>(x + whole, tail) : FloatVector<L>{};
    for (int64_t i = 0; i < whole; i += L) sum += loadLanes<L>(x + i);
    sums[j] = sum;
  }
  storeLanes<L>(y, transposeSum<L>(sums) / splatLanes<L>(float(size)));
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
  const bool grouped = p.plane_size > 0 && p.plane_size <= kFloatSumMaxPlane;
  parallelFor(
      p.planes, num_threads,
      [&](int64_t begin, int64_t end) {
        int64_t plane = begin;
        if (grouped)
          for (; plane + kWideLanes <= end; plane += kWideLanes)
            averagePlaneGroup(x + plane * p.plane_size, p.plane_size, y + plane);
        for (; plane < end; ++plane) {
          double sum = sumInDouble(x + plane * p.plane_size, p.plane_size);
          y[plane] = p.plane_size > 0 ? float(sum / double(p.plane_size)) : 0.0f;
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(p.plane_size, 1)));
  return SPCC_KERNEL_OK;
}
