//===- MaxPool2d.cpp - 2-D max pooling over channel planes, read in place -===//
//
// One vector of output columns at a time, down every output row of the plane: for each window
// row inside the plane, the taps' vectors are joined into a maximum (MAXPS), and the lanes that
// saw a NaN are tracked apart and made NaN once, before the one store. A vector that crosses the
// plane's left or right border loads only its columns inside it, the others reading as -inf; at
// stride 2 the taps are the even and odd floats of two vectors (3-wide windows take the rows'
// maximum first, then split it once); window rows above or below the plane are skipped (a
// maximum with -inf changes nothing). Windows 2 and 3 columns wide have their taps unrolled.
// The generic kernel (Pool.cpp) walks each tap over a whole output row instead: a load and a
// store of every output per tap, with strided loads at stride 2.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/MaxPool2d.h"

#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/PlanePrefetch.h"
#include "runtime/kernels/VectorLanes.h"

#include <algorithm>
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
void poolPlane(const spcc_pool_params &p, const float *x, float *y, PlanePrefetch prefetch) {
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

template <int Lanes, int Stride, int KW>
void poolPlanes(const spcc_pool_params &p, const float *x, float *y, int32_t numThreads) {
  int64_t inPlane = p.in[1] * p.in[2], outPlane = p.out[1] * p.out[2];
  // Past L2, the next plane is prefetched while this one is pooled (ResNet-50's 64 planes of
  // 112x112 after its stem, in the model: 0.28 -> 0.23 ms on one thread, 0.146 -> 0.117 ms on
  // two).
  const bool prefetching = planesOutgrowL2(p.planes * inPlane * int64_t(sizeof(float)));
  const int64_t stepsPerPlane = (p.out[2] + Lanes - 1) / Lanes * p.out[1];
  parallelFor(p.planes, numThreads, [&](int64_t begin, int64_t end) {
    // Last plane first: the layer before wrote the planes in order (a convolution's register
    // tiles, channel group by channel group), so where they outgrow L2 the last ones written
    // are the ones still there; read first-to-last, every plane would come from L3 (ResNet-50's
    // 64 planes of 112x112 after its stem, one thread: 0.222 -> 0.199 ms).
    for (int64_t plane = end - 1; plane >= begin; --plane) {
      const float *next = prefetching && plane > begin ? x + (plane - 1) * inPlane : nullptr;
      poolPlane<Lanes, Stride, KW>(
          p, x + plane * inPlane, y + plane * outPlane,
          PlanePrefetch(next, inPlane * int64_t(sizeof(float)), stepsPerPlane));
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
