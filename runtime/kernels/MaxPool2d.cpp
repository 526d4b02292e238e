//===- MaxPool2d.cpp - 2-D max pooling over channel planes, read in place -===//
//
// One output row at a time, one vector of columns per step: for each window row inside the
// plane, each tap column's vector joins the running maximum, stored once at the end. A vector
// that crosses the plane's left or right border loads only its columns inside it, the others
// reading as -inf; at stride 2 the taps are the even and odd floats of two vectors; window rows
// above or below the plane are skipped (a maximum with -inf changes nothing). The generic
// kernel (Pool.cpp) walks each tap over a whole output row instead: a load and a store of
// every output per tap, with strided loads at stride 2.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/MaxPool2d.h"

#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/VectorLanes.h"

#include <limits>

namespace spcc::kernels {
namespace {

constexpr int64_t kMaxTapsPerRow = 8;
constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();

/// max(acc, v), where a NaN on either side gives NaN (as numpy's and PyTorch's max do; MAXPS
/// alone returns its second operand when either is NaN, and AVX-512's VRANGEPS drops a quiet
/// NaN).
template <int Lanes>
inline FloatVector<Lanes> maxKeepingNaN(FloatVector<Lanes> acc, FloatVector<Lanes> v) {
  auto keep = (acc >= v) | (acc != acc);
  return keep ? acc : v;
}

/// acc joined with the taps of one window row for Lanes outputs whose first tap is
/// row[column].
template <int Lanes, int Stride, bool Masked>
inline FloatVector<Lanes> joinRow(FloatVector<Lanes> acc, const float *row, int64_t column,
                                  int64_t width, int64_t taps) {
  if constexpr (Stride == 1) {
    for (int64_t kw = 0; kw < taps; ++kw) {
      int64_t first = column + kw;
      acc = maxKeepingNaN<Lanes>(acc, Masked ? loadMaskedOr<Lanes>(row + first,
                                                                   laneRange(-first, width - first),
                                                                   kNegativeInfinity)
                                             : loadLanes<Lanes>(row + first));
    }
  } else {
    for (int64_t kw = 0; kw < taps; kw += 2) {
      EvenOdd<Lanes> pair = loadEvenOdd<Lanes, Masked>(row, column + kw, width, kNegativeInfinity);
      acc = maxKeepingNaN<Lanes>(acc, pair.evens);
      if (kw + 1 < taps) acc = maxKeepingNaN<Lanes>(acc, pair.odds);
    }
  }
  return acc;
}

template <int Lanes, int Stride>
void poolPlane(const spcc_pool_params &p, const float *x, float *y) {
  int64_t height = p.in[1], width = p.in[2], outW = p.out[2];
  for (int64_t oh = 0; oh < p.out[1]; ++oh) {
    int64_t firstRow = oh * p.stride[1] - p.pad_begin[1];
    for (int64_t ow = 0; ow < outW; ow += Lanes) {
      int64_t column = ow * Stride - p.pad_begin[2];
      // Unmasked loads read columns [column, column + Stride * Lanes + taps - 1).
      bool inside = column >= 0 && column + Stride * Lanes + p.kernel[2] - 1 <= width;
      FloatVector<Lanes> acc = splatLanes<Lanes>(kNegativeInfinity);
      for (int64_t kh = 0; kh < p.kernel[1]; ++kh) {
        int64_t ih = firstRow + kh;
        if (ih < 0 || ih >= height) continue;
        const float *row = x + ih * width;
        acc = inside ? joinRow<Lanes, Stride, false>(acc, row, column, width, p.kernel[2])
                     : joinRow<Lanes, Stride, true>(acc, row, column, width, p.kernel[2]);
      }
      storeFirst<Lanes>(y + oh * outW + ow, acc, outW - ow);
    }
  }
}

template <int Lanes>
void poolPlanes(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  int64_t inPlane = p.in[1] * p.in[2], outPlane = p.out[1] * p.out[2];
  parallelFor(p.planes, numThreads, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      if (p.stride[2] == 1)
        poolPlane<Lanes, 1>(p, x + plane * inPlane, y + plane * outPlane);
      else
        poolPlane<Lanes, 2>(p, x + plane * inPlane, y + plane * outPlane);
    }
  });
}

} // namespace

bool maxPool2dApplies(const spcc_pool_params &p) {
  return p.in[0] == 1 && p.out[0] == 1 && p.kernel[0] == 1 && p.dilation[1] == 1 &&
         p.dilation[2] == 1 && p.stride[1] >= 1 && (p.stride[2] == 1 || p.stride[2] == 2) &&
         p.kernel[1] >= 1 && p.kernel[2] >= 1 && p.kernel[2] <= kMaxTapsPerRow;
}

void maxPool2d(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  // Narrow planes (7 columns) waste less of a narrower vector.
  if (p.out[2] <= 8)
    poolPlanes<8>(p, x, y, numThreads);
  else
    poolPlanes<kWideLanes>(p, x, y, numThreads);
}

} // namespace spcc::kernels
