//===- MaxPool2d.cpp - 2-D max pooling over channel planes, read in place -===//
//
// One vector of output columns at a time, down every output row of the plane: for each window
// row inside the plane, the taps' vectors are joined into a maximum (MAXPS), and the lanes that
// saw a NaN are tracked apart and made NaN once, before the one store. A vector that crosses the
// plane's left or right border loads only its columns inside it, the others reading as -inf; at
// stride 2 the taps are the even and odd floats of two vectors (3-wide windows take the rows'
// maximum first, then split it once); window rows above or below the plane are skipped (a
// maximum with -inf changes nothing). Windows 2 and 3 columns wide have their taps unrolled.
// 3-wide stride-2 windows (ResNet's pool) go an output row at a time instead, NaN-blind, the
// plane pooled again this way only where its values may hold a NaN (rowMaxPlane).
// The generic kernel (Pool.cpp) walks each tap over a whole output row instead: a load and a
// store of every output per tap, with strided loads at stride 2.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/MaxPool2d.h"

#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/PlanePrefetch.h"
#include "runtime/kernels/VectorLanes.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spcc::kernels {
namespace {

constexpr int64_t kMaxTapsPerRow = 8;
constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();

/// The running maximum of some taps, and which lanes saw a NaN. The maximum is MAXPS (one
/// instruction, which returns its second operand when either is NaN); the NaN lanes are tracked
/// apart and only the final value takes them, so that a NaN tap gives NaN, as numpy's and
/// PyTorch's max do. Joining the NaN test into each step (compare, compare, or, blend) made a
/// chain of nine dependent steps per output vector: the kernel ran at that latency, 3.6x
/// ONNX Runtime's time with its input in L2.
template <int Lanes> struct MaxWithNaN {
  using Lanemask = decltype(FloatVector<Lanes>{} != FloatVector<Lanes>{});
  FloatVector<Lanes> max;
  Lanemask nan;

  static MaxWithNaN of(FloatVector<Lanes> v) { return {v, v != v}; }
  void join(FloatVector<Lanes> v) {
    max = max > v ? max : v;
    nan |= v != v;
  }
  void join(const MaxWithNaN &other) {
    max = max > other.max ? max : other.max;
    nan |= other.nan;
  }
  FloatVector<Lanes> value() const {
    return nan ? splatLanes<Lanes>(std::numeric_limits<float>::quiet_NaN()) : max;
  }
};

/// The taps of one window row for Lanes outputs whose first tap is row[column], joined.
template <int Lanes, int Stride, bool Masked>
inline MaxWithNaN<Lanes> rowMax(const float *row, int64_t column, int64_t width, int64_t taps) {
  auto tap = [&](int64_t first) {
    return Masked ? loadMaskedOr<Lanes>(row + first, laneRange(-first, width - first),
                                        kNegativeInfinity)
                  : loadLanes<Lanes>(row + first);
  };
  if constexpr (Stride == 1) {
    MaxWithNaN<Lanes> m = MaxWithNaN<Lanes>::of(tap(column));
    for (int64_t kw = 1; kw < taps; ++kw) m.join(tap(column + kw));
    return m;
  } else {
    EvenOdd<Lanes> pair = loadEvenOdd<Lanes, Masked>(row, column, width, kNegativeInfinity);
    MaxWithNaN<Lanes> m = MaxWithNaN<Lanes>::of(pair.evens);
    if (taps > 1) m.join(pair.odds);
    for (int64_t kw = 2; kw < taps; kw += 2) {
      pair = loadEvenOdd<Lanes, Masked>(row, column + kw, width, kNegativeInfinity);
      m.join(pair.evens);
      if (kw + 1 < taps) m.join(pair.odds);
    }
    return m;
  }
}

/// Lanes outputs of a 3-wide stride-2 window whose first tap is column \p column of rows
/// [row, row + rows * width) (rows inside the plane; with Masked, columns outside [0, width)
/// read as -inf, else columns [column, column + 2 * Lanes] are inside): the rows' maximum
/// first, per input column (two vectors and the one column after them), then the taps across
/// (evens, odds, evens moved down one). Three shuffles per output vector where taking each
/// row's taps across first costs twelve.
template <int Lanes, bool Masked>
inline FloatVector<Lanes> stride2Width3Max(const float *row, int64_t column, int64_t width,
                                           int64_t rows) {
  auto load = [&](const float *p, int64_t first) {
    return Masked
               ? loadMaskedOr<Lanes>(p + first, laneRange(-first, width - first), kNegativeInfinity)
               : loadLanes<Lanes>(p + first);
  };
  const int64_t after = column + 2 * Lanes;
  const bool afterInside = !Masked || (after >= 0 && after < width);
  auto loadAfter = [&](const float *p) {
    return splatLanes<Lanes>(afterInside ? p[after] : kNegativeInfinity);
  };
  MaxWithNaN<Lanes> a = MaxWithNaN<Lanes>::of(load(row, column));
  MaxWithNaN<Lanes> b = MaxWithNaN<Lanes>::of(load(row, column + Lanes));
  MaxWithNaN<Lanes> last = MaxWithNaN<Lanes>::of(loadAfter(row));
  for (int64_t r = 1; r < rows; ++r) {
    row += width;
    a.join(load(row, column));
    b.join(load(row, column + Lanes));
    last.join(loadAfter(row));
  }
  EvenOdd<Lanes> taps = splitEvenOdd<Lanes>(a.value(), b.value());
  MaxWithNaN<Lanes> m = MaxWithNaN<Lanes>::of(taps.evens);
  m.join(taps.odds);
  m.join(shiftDownOne<Lanes>(taps.evens, last.value()));
  return m.value();
}

/// One plane, a column block at a time: the block's masks at the plane's borders and its
/// unmasked test are the same in every output row, so they are worked out once (hoisted out of
/// the row loop) rather than per row, and with KW > 0 (the window's width known at compile
/// time) the taps unroll; KW == 0 reads the width from \p p. \p prefetch fetches the next
/// plane a share per output vector.
template <int Lanes, int Stride, int KW>
void poolPlane(const spcc_pool_params &p, const float *x, float *y, PlanePrefetch &prefetch) {
  int64_t height = p.in[1], width = p.in[2], outW = p.out[2];
  const int64_t taps = KW > 0 ? KW : p.kernel[2];
  for (int64_t ow = 0; ow < outW; ow += Lanes) {
    int64_t column = ow * Stride - p.pad_begin[2];
    // Unmasked loads read columns [column, column + Stride * Lanes + taps - 1).
    bool inside = column >= 0 && column + Stride * Lanes + taps - 1 <= width;
    auto block = [&]<bool Masked>() {
      for (int64_t oh = 0; oh < p.out[1]; ++oh) {
        int64_t firstRow = oh * p.stride[1] - p.pad_begin[1];
        // Window rows inside the plane (rows above or below it change no maximum).
        int64_t kh0 = std::max<int64_t>(0, -firstRow);
        int64_t kh1 = std::min<int64_t>(p.kernel[1], height - firstRow);
        FloatVector<Lanes> result = splatLanes<Lanes>(kNegativeInfinity);
        if constexpr (Stride == 2 && KW == 3 && Lanes == kWideLanes) {
          if (kh0 < kh1)
            result = stride2Width3Max<Lanes, Masked>(x + (firstRow + kh0) * width, column, width,
                                                     kh1 - kh0);
        } else if (kh0 < kh1) {
          const float *row = x + (firstRow + kh0) * width;
          MaxWithNaN<Lanes> acc = rowMax<Lanes, Stride, Masked>(row, column, width, taps);
          for (int64_t kh = kh0 + 1; kh < kh1; ++kh)
            acc.join(rowMax<Lanes, Stride, Masked>(row += width, column, width, taps));
          result = acc.value();
        }
        storeFirst<Lanes>(y + oh * outW + ow, result, outW - ow);
        prefetch.step();
      }
    };
    if (inside)
      block.template operator()<false>();
    else
      block.template operator()<true>();
  }
}

/// Floats of the row of window maxima that rowMaxPlane keeps on its stack: wider planes take
/// the column-strip path.
constexpr int64_t kMaxRowFloats = 4096;

/// Floats of that row before column 0 and after the last vector of columns, all -inf: the
/// windows' padding and the lanes the last output vector reads past the row's end.
template <int Lanes> constexpr int64_t kRowMargin = 3 * Lanes;

/// The floats of rowMaxPlane's row for planes \p width wide.
template <int Lanes> int64_t rowMaxFloats(int64_t width) {
  return kRowMargin<Lanes> + (width + Lanes - 1) / Lanes * Lanes + kRowMargin<Lanes>;
}

/// 3-wide stride-2 windows, an output row at a time, NaN-blind: false when the values read may
/// have held a NaN (their sum is not finite), for the caller to pool the plane again. First
/// the window rows' maximum over the whole input row, in whole vectors read in order,
/// into a row with -inf on both sides; then the taps across it: each output vector loads the
/// two vectors stored for its columns, so the loads take their values straight from those
/// stores (a load across two stores waits for both to reach the cache), and moves the evens
/// or odds by one lane for the window's left padding (0-2 columns). ResNet-50's pool after its
/// stem, alone (64 planes of 112x112), one thread of an AMD Zen 4: 0.175-0.207 -> 0.083-0.093 ms
/// (ONNX Runtime 0.059-0.074 ms). The column strips spend masked loads on half of such a
/// plane's vectors and a NaN test on every tap.
template <int Lanes, int PadLeft>
bool rowMaxPlane(const spcc_pool_params &p, const float *x, float *y, PlanePrefetch &prefetch) {
  const int64_t height = p.in[1], width = p.in[2], outW = p.out[2];
  const int64_t vectorWidth = (width + Lanes - 1) / Lanes * Lanes;
  const int64_t wholeWidth = width / Lanes * Lanes;
  alignas(64) float row[kMaxRowFloats];
  float *column0 = row + kRowMargin<Lanes>;
  std::fill(row, column0, kNegativeInfinity);
  std::fill(column0 + vectorWidth, column0 + vectorWidth + kRowMargin<Lanes>, kNegativeInfinity);
  const FloatVector<Lanes> none = splatLanes<Lanes>(kNegativeInfinity);
  // The sum of every value read, to tell whether one was NaN.
  FloatVector<Lanes> sum = {};
  for (int64_t oh = 0; oh < p.out[1]; ++oh) {
    int64_t firstRow = oh * p.stride[1] - p.pad_begin[1];
    int64_t kh0 = std::max<int64_t>(0, -firstRow);
    int64_t kh1 = std::min<int64_t>(p.kernel[1], height - firstRow);
    const float *top = x + (firstRow + kh0) * width;
    const int64_t rows = kh1 - kh0;
    if (rows == 3) {
      for (int64_t c = 0; c < wholeWidth; c += Lanes) {
        const float *in = top + c;
        FloatVector<Lanes> a = loadLanes<Lanes>(in), b = loadLanes<Lanes>(in + width),
                           d = loadLanes<Lanes>(in + 2 * width);
        sum += a + b + d;
        FloatVector<Lanes> m = a > b ? a : b;
        storeLanes<Lanes>(column0 + c, m > d ? m : d);
      }
    } else {
      for (int64_t c = 0; c < wholeWidth; c += Lanes) {
        const float *in = top + c;
        FloatVector<Lanes> m = none;
        for (int64_t kh = 0; kh < rows; ++kh, in += width) {
          FloatVector<Lanes> v = loadLanes<Lanes>(in);
          sum += v;
          m = m > v ? m : v;
        }
        storeLanes<Lanes>(column0 + c, m);
      }
    }
    if (wholeWidth < width) {
      // Lanes past the row's end read as 0 for the sum and are -inf in the row of maxima.
      const uint32_t lanes = laneRange(0, width - wholeWidth);
      const float *in = top + wholeWidth;
      FloatVector<Lanes> m = none;
      for (int64_t kh = 0; kh < rows; ++kh, in += width) {
        FloatVector<Lanes> v = loadMaskedOr<Lanes>(in, lanes, 0.0f);
        sum += v;
        m = m > v ? m : v;
      }
      storeLanes<Lanes>(column0 + wholeWidth, blendLanes<Lanes>(none, m, lanes));
    }
    for (int64_t ow = 0; ow < outW; ow += Lanes) {
      const float *first = column0 + 2 * ow;
      EvenOdd<Lanes> pair =
          splitEvenOdd<Lanes>(loadLanes<Lanes>(first), loadLanes<Lanes>(first + Lanes));
      FloatVector<Lanes> taps[3];
      if constexpr (PadLeft == 0) {
        taps[0] = pair.evens, taps[1] = pair.odds;
        taps[2] = shiftDownOne<Lanes>(pair.evens, splatLanes<Lanes>(first[2 * Lanes]));
      } else if constexpr (PadLeft == 1) {
        taps[0] = shiftUpOne<Lanes>(pair.odds, splatLanes<Lanes>(first[-1]));
        taps[1] = pair.evens, taps[2] = pair.odds;
      } else {
        taps[0] = shiftUpOne<Lanes>(pair.evens, splatLanes<Lanes>(first[-2]));
        taps[1] = shiftUpOne<Lanes>(pair.odds, splatLanes<Lanes>(first[-1]));
        taps[2] = pair.evens;
      }
      FloatVector<Lanes> m = taps[0] > taps[1] ? taps[0] : taps[1];
      m = m > taps[2] ? m : taps[2];
      storeFirst<Lanes>(y + oh * outW + ow, m, outW - ow);
      prefetch.step();
    }
  }
  float total = 0;
  for (int lane = 0; lane < Lanes; ++lane) total += sum[lane];
  return std::isfinite(total);
}

/// rowMaxPlane for the plane's left padding of 0, 1 or 2 columns.
template <int Lanes>
bool rowMaxPlaneAnyPad(const spcc_pool_params &p, const float *x, float *y,
                       PlanePrefetch &prefetch) {
  switch (p.pad_begin[2]) {
  case 0: return rowMaxPlane<Lanes, 0>(p, x, y, prefetch);
  case 1: return rowMaxPlane<Lanes, 1>(p, x, y, prefetch);
  default: return rowMaxPlane<Lanes, 2>(p, x, y, prefetch);
  }
}

template <int Lanes, int Stride, int KW>
void poolPlanes(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  int64_t inPlane = p.in[1] * p.in[2], outPlane = p.out[1] * p.out[2];
  // Past L2, the next plane is prefetched while this one is pooled (ResNet-50's 64 planes of
  // 112x112 after its stem, in the model: 0.28 -> 0.23 ms on one thread, 0.146 -> 0.117 ms on
  // two).
  const bool prefetching = planesOutgrowL2(p.planes * inPlane * int64_t(sizeof(float)));
  const int64_t stepsPerPlane = (p.out[2] + Lanes - 1) / Lanes * p.out[1];
  // 3-wide stride-2 windows go a row at a time (rowMaxPlane) where its row fits its stack.
  constexpr bool kRowMaxWindows = Stride == 2 && KW == 3 && Lanes == kWideLanes;
  const bool byRows =
      kRowMaxWindows && rowMaxFloats<Lanes>(p.in[2]) <= kMaxRowFloats && p.pad_begin[2] <= 2;
  parallelFor(p.planes, numThreads, [&](int64_t begin, int64_t end) {
    // Planes pooled a row at a time are read in order, first to last: their rows are one
    // stream through memory that the hardware prefetchers follow from plane to plane, and
    // software prefetches only add loads (ResNet-50's pool, in the model, one thread of an AMD
    // Zen 4: 0.124-0.129 ms last plane first with the next one prefetched, 0.097-0.113 ms in
    // order; after its stem alone, whichever way the stem wrote its planes: 0.091-0.106 ->
    // 0.084-0.091 ms). Column strips go last plane first: the layer before wrote the planes in
    // order (a convolution's register tiles, channel group by channel group), so where they
    // outgrow L2 the last ones written are the ones still there (0.222 -> 0.199 ms there).
    const int64_t planes = end - begin;
    for (int64_t i = 0; i < planes; ++i) {
      const int64_t plane = byRows ? begin + i : end - 1 - i;
      const float *next =
          prefetching && !byRows && i + 1 < planes ? x + (plane - 1) * inPlane : nullptr;
      PlanePrefetch prefetch(next, inPlane * int64_t(sizeof(float)), stepsPerPlane);
      // A plane whose values may hold a NaN is pooled again, NaN-aware.
      if constexpr (kRowMaxWindows)
        if (byRows &&
            rowMaxPlaneAnyPad<Lanes>(p, x + plane * inPlane, y + plane * outPlane, prefetch))
          continue;
      poolPlane<Lanes, Stride, KW>(p, x + plane * inPlane, y + plane * outPlane, prefetch);
    }
  });
}

template <int Lanes, int Stride>
void poolPlanes(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  if (p.kernel[2] == 2)
    poolPlanes<Lanes, Stride, 2>(p, x, y, numThreads);
  else if (p.kernel[2] == 3)
    poolPlanes<Lanes, Stride, 3>(p, x, y, numThreads);
  else
    poolPlanes<Lanes, Stride, 0>(p, x, y, numThreads);
}

template <int Lanes>
void poolPlanes(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  if (p.stride[2] == 1)
    poolPlanes<Lanes, 1>(p, x, y, numThreads);
  else
    poolPlanes<Lanes, 2>(p, x, y, numThreads);
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
