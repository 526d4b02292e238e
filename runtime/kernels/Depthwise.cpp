//===- Depthwise.cpp - 2-D depthwise convolution over channel planes ------===//
//
// Outputs are computed a block of rows by one vector of columns at a time, all taps
// accumulated in registers, bias and activation applied before the one store. Two ways to
// reach the taps:
// - 3x3 and 5x5 kernels (the depthwise layers of MobileNet, EfficientNet and their kin),
//   undilated, stride 1 or 2, read the input plane in place: rows above and below it read a
//   zero row, and vectors that cross its left or right border load only their columns inside
//   it (masked loads); at stride 2 two vectors' evens and odds are split by permutes. The taps
//   are compile-time constants, so a block loads each input row's tap vectors once and feeds
//   every output row that uses them (8 rows of a 3x3 at stride 1: 30 vectors loaded for 72
//   multiply-adds, not 72). The border masks of each column vector depend only on the plane's
//   geometry and are worked out once per call (ColumnVector). With AVX-512, planes whose
//   input rows fit one load and output rows one vector (MobileNet's 14x14 planes and their
//   7x7 outputs at stride 2) go one output row at a time instead, each input row loaded once
//   (OneVectorRows).
// - every other kernel goes through a zero-bordered scratch plane whose rows
//   are split into `stride` phases (phase k holds padded columns k, k + s, k + 2s, ...), so
//   that for every stride the inputs of consecutive outputs are consecutive floats: tap
//   (kh, kw) of output (oh, ow) sits at a fixed offset from oh * s * rowFloats + ow. The
//   scratch borders are written once per thread: planes of one call share their geometry.
// Planes of at most 64 outputs, and kernels of 5x5 or more, take whole blocks of channels at
// once, in vector lanes, where that measured faster (DepthwiseChannelBlocks.cpp).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/Depthwise.h"

#include "runtime/kernels/ConvClamp.h"
#include "runtime/kernels/DepthwiseChannelBlocks.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/StridedCopy.h"
#include "runtime/kernels/VectorLanes.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace spcc::kernels {
namespace {

constexpr int64_t kMaxTaps = 64;
constexpr int64_t kMaxStride = 4;
/// Output rows of a fixed-tap block: independent accumulators hide the multiply-add latency;
/// AVX2's 16 registers hold fewer of them beside a 3x3 kernel's nine weights. Only planes one
/// vector wide take 8 rows: a block over several column vectors streams its input rows side
/// by side, and at stride 2 each input row feeds at most two output rows, so taller blocks
/// only add register pressure. (Measured with AVX-512 on MobileNet's depthwise shapes: 4 rows
/// were 5-12% faster at stride 1 from 56 columns and at stride 2, 8 rows 2-6% faster on 14x14
/// planes at stride 1.)
constexpr int kTallBlockRows = kWideLanes == 16 ? 8 : 4;
constexpr int kBlockRows = 4;
/// Output rows of a generic-tap block.
constexpr int kGenericRows = 4;

/// Where the taps of an output sit in the phase-split scratch plane.
struct PhasedPlane {
  int64_t stride = 1;      ///< column stride = phases per row
  int64_t phaseLength = 0; ///< floats per phase of a row
  int64_t rowFloats = 0;   ///< stride * phaseLength
  int64_t rows = 0;        ///< padded rows kept
  int64_t numTaps = 0;
  int64_t tapOffsets[kMaxTaps] = {};

  PhasedPlane(const spcc_conv_params &p, int64_t lanes) {
    stride = p.stride[2];
    int64_t reachW = (p.kernel[2] - 1) * p.dilation[2];
    // Room for the last column block's full-width reads past the row's end.
    phaseLength = (p.out[2] + lanes - 1) / lanes * lanes + reachW / stride + 1;
    rowFloats = stride * phaseLength;
    rows = (p.out[1] - 1) * p.stride[1] + (p.kernel[1] - 1) * p.dilation[1] + 1;
    for (int64_t kh = 0; kh < p.kernel[1]; ++kh)
      for (int64_t kw = 0; kw < p.kernel[2]; ++kw) {
        int64_t column = kw * p.dilation[2];
        tapOffsets[numTaps++] =
            kh * p.dilation[1] * rowFloats + (column % stride) * phaseLength + column / stride;
      }
  }

  int64_t floats() const { return rows * rowFloats; }

  /// Copies input plane \p x into \p scratch, leaving the borders as they are (zero).
  void fill(const spcc_conv_params &p, const float *x, float *scratch) const {
    int64_t usableColumns = std::max<int64_t>(0, std::min(p.in[2], rowFloats - p.pad_begin[2]));
    for (int64_t ih = 0; ih < p.in[1]; ++ih) {
      int64_t row = ih + p.pad_begin[1];
      if (row >= rows) break;
      const float *src = x + ih * p.in[2];
      float *dst = scratch + row * rowFloats;
      if (stride == 1) {
        copyFloats(dst + p.pad_begin[2], src, usableColumns);
        continue;
      }
      if (stride == 2) {
        // Even and odd columns in one loop: it vectorizes as loads and shuffles, measured 1.4x
        // faster on MobileNet's stride-2 layers than two copyStrided passes.
        int64_t padL = p.pad_begin[2];
        float *evens = dst + (padL % 2) * phaseLength + padL / 2;
        float *odds = dst + ((padL + 1) % 2) * phaseLength + (padL + 1) / 2;
        int64_t pairs = usableColumns / 2;
        for (int64_t j = 0; j < pairs; ++j) {
          evens[j] = src[2 * j];
          odds[j] = src[2 * j + 1];
        }
        if (usableColumns % 2) evens[pairs] = src[2 * pairs];
        continue;
      }
      // Phase by phase, so each is one strided read and one contiguous write.
      for (int64_t phase = 0; phase < stride; ++phase) {
        int64_t first = (phase - p.pad_begin[2]) % stride; // first iw of this phase
        if (first < 0) first += stride;
        copyStrided(dst + phase * phaseLength + (first + p.pad_begin[2]) / stride, src + first,
                    (usableColumns - first + stride - 1) / stride, stride);
      }
    }
  }
};

/// Clamps \p v and stores its first \p columns lanes.
template <int Lanes>
inline void finishVector(FloatVector<Lanes> v, FloatVector<Lanes> lo, FloatVector<Lanes> hi,
                         float *dst, int64_t columns) {
  storeFirst<Lanes>(dst, clampVector<Lanes>(v, lo, hi), columns);
}

/// Calls block.operator()<Rows>(oh) over output rows [0, rows): blocks of MaxRows, then 4, 2
/// and 1 rows for the rest.
template <int MaxRows, typename Block> inline void forEachRowBlock(int64_t rows, Block &&block) {
  int64_t oh = 0;
  for (; oh + MaxRows <= rows; oh += MaxRows) block.template operator()<MaxRows>(oh);
  if constexpr (MaxRows > 4)
    if (rows - oh >= 4) block.template operator()<4>(oh), oh += 4;
  if (rows - oh >= 2) block.template operator()<2>(oh), oh += 2;
  if (rows - oh >= 1) block.template operator()<1>(oh);
}

//===----------------------------------------------------------------------===//
// Fixed taps: 3x3 and 5x5, undilated, stride 1 or 2, read in place
//===----------------------------------------------------------------------===//

/// One output plane's weights, bias and clamp as vectors.
template <int Lanes, int Taps> struct PlaneConstants {
  FloatVector<Lanes> weights[Taps];
  FloatVector<Lanes> bias, lo, hi;
  PlaneConstants(const float *w, float b, Clamp clamp) {
    for (int t = 0; t < Taps; ++t) weights[t] = splatLanes<Lanes>(w[t]);
    bias = splatLanes<Lanes>(b);
    lo = splatLanes<Lanes>(clamp.lo);
    hi = splatLanes<Lanes>(clamp.hi);
  }
};

/// What the loads and the stores of one column vector of outputs need, the same in every row
/// and plane of a call, so computed once: whether its loads stay inside the row, and if not
/// their lane masks; how many of its lanes are outputs.
template <int KW> struct ColumnVector {
  int64_t ow = 0;     ///< the first output column
  int64_t column = 0; ///< the input column of the first output's first tap
  bool inside = false;
  /// Stride 1: tap kw's load at column + kw ([kw][0]). Stride 2: the two loads of the pairs
  /// from column + kw, kw even (evenOddLoadMasks).
  uint32_t loads[KW][2] = {};
  int64_t outputs = 0; ///< the lanes whose outputs exist (the first ones)
  /// Stride 2: whether the column after the pairs (column + 2 * Lanes) is inside the row.
  bool afterInside = false;
  /// Stride 1: whether the first tap's load reaches the row's end, so that the other taps'
  /// columns past it are all outside the row (planes one vector wide).
  bool rowInFirstLoad = false;

  template <int Lanes, int Stride>
  static ColumnVector at(int64_t ow, int64_t padL, int64_t width, int64_t outW) {
    ColumnVector c;
    c.ow = ow;
    c.column = ow * Stride - padL;
    // Unmasked loads read columns [column, column + Stride * Lanes + KW - 1).
    c.inside = c.column >= 0 && c.column + Stride * Lanes + KW - 1 <= width;
    for (int kw = 0; kw < KW; ++kw) {
      int64_t first = c.column + kw;
      if (Stride == 1)
        c.loads[kw][0] = laneRange(-first, width - first);
      else
        evenOddLoadMasks(first, width, c.loads[kw][0], c.loads[kw][1]);
    }
    c.afterInside = c.column + 2 * Lanes >= 0 && c.column + 2 * Lanes < width;
    c.rowInFirstLoad = Stride == 1 && c.column + Lanes >= width;
    c.outputs = std::min<int64_t>(Lanes, outW - ow);
    return c;
  }
};

/// Whether stride-2 taps are split into evens and odds in pair order (AVX2's 8-lane vectors:
/// splitEvenOddInPairs): the outputs are put in order once, before their store.
template <int Stride> constexpr bool kTapsInPairOrder = Stride == 2 && kWideLanes == 8;

/// The KW tap vectors of one input row for the outputs of column vector \p c.
template <int Lanes, int Stride, int KW, bool Masked, bool Shifted>
[[gnu::always_inline]] inline void loadTapColumns(const float *row, const ColumnVector<KW> &c,
                                                  FloatVector<Lanes> (&taps)[KW]) {
  if constexpr (Shifted) {
    // The row ends inside the first tap's load: each next tap is the one before moved down a
    // lane with a zero shifted in, one load and KW - 1 shifts instead of KW masked loads.
    static_assert(Stride == 1 && Masked && Lanes == kWideLanes, "one-vector rows at stride 1");
    taps[0] = loadMasked<Lanes>(row + c.column, c.loads[0][0]);
    for (int kw = 1; kw < KW; ++kw)
      taps[kw] = shiftDownOne<Lanes>(taps[kw - 1], FloatVector<Lanes>{});
  } else if constexpr (Stride == 1) {
    for (int kw = 0; kw < KW; ++kw) {
      const float *first = row + c.column + kw;
      taps[kw] = Masked ? loadMasked<Lanes>(first, c.loads[kw][0]) : loadLanes<Lanes>(first);
    }
  } else if constexpr (kTapsInPairOrder<Stride>) {
#ifndef __AVX512F__
    // Each even tap's evens and odds from its own two loads: 2 loads and 2 shuffles a pair
    // (taps kw, kw + 1), where splitting in order and shifting the third tap out of the first
    // took 6-7 shuffles a row for a 3x3 (MobileNet's stride-2 layers alone, AMD Zen 3:
    // 1.2-1.4x faster).
    for (int kw = 0; kw < KW; kw += 2) {
      const float *first = row + c.column + kw;
      FloatVector<Lanes> a =
          Masked ? loadMasked<Lanes>(first, c.loads[kw][0]) : loadLanes<Lanes>(first);
      FloatVector<Lanes> b = Masked ? loadMasked<Lanes>(first + Lanes, c.loads[kw][1])
                                    : loadLanes<Lanes>(first + Lanes);
      EvenOdd<Lanes> pair = splitEvenOddInPairs(a, b);
      taps[kw] = pair.evens;
      if (kw + 1 < KW) taps[kw + 1] = pair.odds;
    }
#endif
  } else if constexpr (KW == 3 && Lanes == kWideLanes) {
    // The third tap's evens are the first's moved down one lane with the float after the pairs
    // shifted in: one scalar load and a shift instead of two vector loads and a permute.
    const float *first = row + c.column;
    EvenOdd<Lanes> pair = Masked
                              ? loadEvenOddMasked<Lanes>(first, c.loads[0][0], c.loads[0][1], 0.0f)
                              : loadEvenOdd<Lanes, false>(row, c.column, 0, 0.0f);
    float after = 0.0f;
    if (!Masked || c.afterInside) after = first[2 * Lanes];
    taps[0] = pair.evens;
    taps[1] = pair.odds;
    taps[2] = shiftDownOne<Lanes>(pair.evens, splatLanes<Lanes>(after));
  } else {
    for (int kw = 0; kw < KW; kw += 2) {
      const float *first = row + c.column + kw;
      EvenOdd<Lanes> pair =
          Masked ? loadEvenOddMasked<Lanes>(first, c.loads[kw][0], c.loads[kw][1], 0.0f)
                 : loadEvenOdd<Lanes, false>(row, c.column + kw, 0, 0.0f);
      taps[kw] = pair.evens;
      if (kw + 1 < KW) taps[kw + 1] = pair.odds;
    }
  }
}

/// Rows x Lanes outputs of a plane read in place: input row i of the block (row
/// oh * Stride - padTop + i) at rows[i], the outputs those of column vector \p c. Each input
/// vector is loaded once and multiplied into every output row whose window holds it.
/// With \p Spill, every row stores all Lanes lanes, past the plane row's end (rows one vector
/// wide: the lanes past it are the next rows' first outputs, stored after them).
template <int Lanes, int Rows, int Stride, int KH, int KW, bool Masked, bool Shifted, bool Spill>
[[gnu::always_inline]] inline void fixedTapBlock(const float *const *rows, const ColumnVector<KW> c,
                                                 const PlaneConstants<Lanes, KH * KW> &k, float *y,
                                                 int64_t yRowFloats) {
  using Vector = FloatVector<Lanes>;
  Vector acc[Rows];
  for (int r = 0; r < Rows; ++r) acc[r] = k.bias;
  constexpr int kInputRows = (Rows - 1) * Stride + KH;
#pragma clang loop unroll(full)
  for (int i = 0; i < kInputRows; ++i) {
    Vector taps[KW];
    loadTapColumns<Lanes, Stride, KW, Masked, Shifted>(rows[i], c, taps);
#pragma clang loop unroll(full)
    for (int r = 0; r < Rows; ++r) {
      int kh = i - r * Stride;
      if (kh >= 0 && kh < KH)
        for (int kw = 0; kw < KW; ++kw) acc[r] += k.weights[kh * KW + kw] * taps[kw];
    }
  }
  for (int r = 0; r < Rows; ++r) {
    FloatVector<Lanes> v = clampVector<Lanes>(acc[r], k.lo, k.hi);
#ifndef __AVX512F__
    if constexpr (kTapsInPairOrder<Stride>) v = inPairOrder(v);
#endif
    if (Spill)
      storeLanes<Lanes>(y + r * yRowFloats, v);
    else
      storeFirst<Lanes>(y + r * yRowFloats, v, c.outputs);
  }
}

/// One output plane read in place from x in blocks of up to MaxRows output rows; \p zeroRow
/// stands for the rows above and below it, \p columns are the column vectors of an output row.
template <int Lanes, int Stride, int K, int MaxRows>
void fixedTapPlane(const spcc_conv_params &p, const float *x, const float *zeroRow,
                   const std::vector<ColumnVector<K>> &columns,
                   const PlaneConstants<Lanes, K * K> &k, float *y) {
  int64_t height = p.in[1], width = p.in[2], outW = p.out[2];
  int64_t padT = p.pad_begin[1], outPlane = p.out[1] * outW;
  const float *rows[(MaxRows - 1) * Stride + K];
  forEachRowBlock<MaxRows>(p.out[1], [&]<int Rows>(int64_t oh) {
    for (int i = 0; i < (Rows - 1) * Stride + K; ++i) {
      int64_t ih = oh * Stride - padT + i;
      rows[i] = ih >= 0 && ih < height ? x + ih * width : zeroRow;
    }
    // Rows narrower than a vector are stored whole in every block but the plane's last: AVX2's
    // masked store (VMASKMOVPS) is microcoded on AMD cores before Zen 4, and the lanes past a
    // row are overwritten by the rows after it, stored later. (Wider rows end in a vector moved
    // back to end at the row's end, fixedTapPlanesOf.)
    bool spill = columns.size() == 1 && (oh + Rows - 1) * outW + Lanes <= outPlane;
    for (const ColumnVector<K> &c : columns) {
      float *dst = y + oh * outW + c.ow;
      auto block = [&]<bool Masked, bool Shifted>() {
        if (spill)
          fixedTapBlock<Lanes, Rows, Stride, K, K, Masked, Shifted, true>(rows, c, k, dst, outW);
        else
          fixedTapBlock<Lanes, Rows, Stride, K, K, Masked, Shifted, false>(rows, c, k, dst, outW);
      };
      if (c.inside)
        block.template operator()<false, false>();
      else if constexpr (Stride == 1 && Lanes == kWideLanes) {
        if (c.rowInFirstLoad)
          block.template operator()<true, true>();
        else
          block.template operator()<true, false>();
      } else
        block.template operator()<true, false>();
    }
  });
}

/// Whether the fixed-tap planes handle \p p.
bool fixedTapsApply(const spcc_conv_params &p) {
  bool square = p.kernel[1] == p.kernel[2] && (p.kernel[1] == 3 || p.kernel[1] == 5);
  return square && p.dilation[1] == 1 && p.dilation[2] == 1 && p.stride[1] == p.stride[2] &&
         (p.stride[1] == 1 || p.stride[1] == 2);
}

/// Calls fn(index, plane, m) for output planes [begin, end) of \p p: index the plane's place
/// in the output, plane the input plane it reads from \p x, m its output channel. Sample and
/// channel are counted rather than divided out of the index (the divisions cost 7x7 planes
/// ~5%).
template <typename Fn>
[[gnu::always_inline]] inline void forEachOutputPlane(const spcc_conv_params &p, const float *x,
                                                      int64_t begin, int64_t end, Fn &&fn) {
  const int64_t cout = p.cout, cin = p.cin, multiplier = cout / cin, inPlane = p.in[1] * p.in[2];
  int64_t n = begin / cout, m = begin % cout;
  for (int64_t index = begin; index < end; ++index) {
    fn(index, x + (n * cin + (multiplier == 1 ? m : m / multiplier)) * inPlane, m);
    if (++m == cout) m = 0, ++n;
  }
}

/// Every plane with one block height: each height its own function, so that the compiler
/// keeps every block's accumulators, weights and masks in registers.
template <int Lanes, int Stride, int K, int MaxRows>
void fixedTapPlanesOf(const spcc_conv_params &p, const float *x, const float *w, const float *bias,
                      float *y, int32_t numThreads) {
  int64_t outPlane = p.out[1] * p.out[2];
  Clamp clamp(p);
  // Rows wider than a vector end in a whole vector moved back to end at the row's end: it
  // recomputes a few outputs of the vector before (the same values) rather than storing its
  // lanes past the row's end under a mask.
  std::vector<ColumnVector<K>> columns;
  for (int64_t ow = 0; ow < p.out[2]; ow += Lanes) {
    int64_t first = p.out[2] > Lanes ? std::min(ow, p.out[2] - Lanes) : ow;
    columns.push_back(
        ColumnVector<K>::template at<Lanes, Stride>(first, p.pad_begin[2], p.in[2], p.out[2]));
  }
  parallelFor(p.n * p.cout, numThreads, [&](int64_t begin, int64_t end) {
    // Private copies: what the lambda captures is shared with the OpenMP region, so the
    // compiler would reload it from memory after every call (5-10% on small planes).
    const spcc_conv_params params = p;
    const std::vector<ColumnVector<K>> vectors = columns;
    std::vector<float> zeros(size_t(params.in[2]), 0.0f);
    forEachOutputPlane(params, x, begin, end, [&](int64_t index, const float *plane, int64_t m) {
      PlaneConstants<Lanes, K * K> k(w + m * K * K, bias ? bias[m] : 0.0f, clamp);
      fixedTapPlane<Lanes, Stride, K, MaxRows>(params, plane, zeros.data(), vectors, k,
                                               y + index * outPlane);
    });
  });
}

template <int Lanes, int K>
void fixedTapPlanes(const spcc_conv_params &p, const float *x, const float *w, const float *bias,
                    float *y, int32_t numThreads) {
  if (p.stride[1] == 2)
    fixedTapPlanesOf<Lanes, 2, K, kBlockRows>(p, x, w, bias, y, numThreads);
  else if (p.out[2] <= Lanes)
    fixedTapPlanesOf<Lanes, 1, K, kTallBlockRows>(p, x, w, bias, y, numThreads);
  else
    fixedTapPlanesOf<Lanes, 1, K, kBlockRows>(p, x, w, bias, y, numThreads);
}

#ifdef __AVX512F__
//===----------------------------------------------------------------------===//
// Rows of one vector, one output row at a time (AVX-512)
//===----------------------------------------------------------------------===//

/// How a 3x3 or 5x5 plane whose input rows fit one load reaches the taps of a row of outputs
/// one vector wide:
/// - stride 1, 16 lanes, rows of 9 to 16 outputs: the row's padded columns [0, 16) in one
///   masked load (MobileNet's 14x14 planes), each next tap the one before moved down a lane;
/// - stride 2, 8 lanes: padded columns [0, 16) as two masked 8-float loads, and tap kw of the
///   8 outputs (padded columns kw, kw + 2, ..., kw + 14) one two-source permute of them, three
///   a row for a 3x3 (MobileNet's 14x14 -> 7x7), where the even / odd splits of
///   fixedTapPlanes load a row twice and permute it three times at 512 bits.
/// Columns outside the row read as zero.
template <int Stride, int K> struct OneVectorRows {
  static constexpr int kLanes = Stride == 1 ? 16 : 8;
  using Vector = FloatVector<kLanes>;
  int64_t padT = 0, padL = 0, height = 0, width = 0;
  uint32_t inside = 0; ///< the padded columns of [0, 16) inside the row

  explicit OneVectorRows(const spcc_conv_params &p)
      : padT(p.pad_begin[1]), padL(p.pad_begin[2]), height(p.in[1]), width(p.in[2]),
        inside(laneRange(padL, padL + width) & 0xffff) {}

  /// Whether \p p is such a plane: every output's taps lie in padded columns [0, 16) (the
  /// last output's last tap, padded column Stride (out - 1) + K - 1, at most 15; at stride 1
  /// the columns past the load may be padding, shifted in as zeros), and a row of outputs
  /// fits a vector.
  static bool apply(const spcc_conv_params &p) {
    static_assert(K == 3 || K == 5, "the kernels of fixedTapsApply");
    if (!fixedTapsApply(p) || p.stride[1] != Stride || p.kernel[2] != K || p.out[2] > kLanes)
      return false;
    // Rows of at most 8 outputs at stride 1 stay on fixedTapPlanes' 8-lane vectors.
    return Stride == 1 ? p.out[2] > 8 && p.pad_begin[2] + p.in[2] <= 16 : 2 * p.out[2] + K <= 18;
  }

  /// Permute lanes of tap \p kw at stride 2; lanes past the outputs wrap around (their sums
  /// are never stored). A constant where kw is, so that a register copy of it is a reload.
  [[gnu::always_inline]] static __m256i tapLanes(int kw) {
    __m256i evens = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    return _mm256_and_si256(_mm256_add_epi32(evens, _mm256_set1_epi32(kw)), _mm256_set1_epi32(15));
  }

  /// The taps of input row \p ih of plane \p x (\p zeros above and below it).
  [[gnu::always_inline]] void loadTaps(const float *x, const float *zeros, int64_t ih,
                                       Vector (&taps)[K]) const {
    const float *row = ih >= 0 && ih < height ? x + ih * width - padL : zeros;
    if constexpr (Stride == 1) {
      taps[0] = loadMasked<16>(row, inside);
      for (int kw = 1; kw < K; ++kw) taps[kw] = shiftDownOne<16>(taps[kw - 1], Vector{});
    } else {
      __m256 low = __m256(loadMasked<8>(row, inside & 0xff));
      __m256 high = __m256(loadMasked<8>(row + 8, inside >> 8));
      for (int kw = 0; kw < K; ++kw)
        taps[kw] = Vector(_mm256_permutex2var_ps(low, tapLanes(kw), high));
    }
  }
};

/// One such plane \p x, output row by output row: the taps of the K - Stride input rows a
/// row's window shares with the next row's are carried over in registers, so every input row
/// is loaded once. (Blocks of several output rows, as fixedTapBlock computes them, had the
/// compiler hoist the block's loads ahead of their shifts or permutes and spill them to the
/// stack: row by row, MobileNet's 14x14 planes ran 0.80-0.84x the time of fixedTapPlanes' blocks
/// of 8 rows, its 7x7 stride-2 ones 0.72-0.81x of the even / odd splits, where the permutes in
/// one block of all 7 rows ran 0.91-0.94x; one thread, AMD Zen 4.)
template <int Stride, int K>
[[gnu::always_inline]] inline void
oneVectorRowsPlane(const OneVectorRows<Stride, K> &g, const float *x, const float *zeros,
                   const PlaneConstants<OneVectorRows<Stride, K>::kLanes, K * K> &k, float *y,
                   int64_t outH, int64_t outW) {
  constexpr int kLanes = OneVectorRows<Stride, K>::kLanes;
  using Vector = FloatVector<kLanes>;
  Vector window[K][K]; // [kh][kw]: the taps of input row oh * Stride + kh - padT
  int64_t first = -g.padT;
  for (int kh = 0; kh < K - Stride; ++kh) g.loadTaps(x, zeros, first + kh, window[kh]);
  for (int64_t oh = 0; oh < outH; ++oh, first += Stride) {
    for (int kh = K - Stride; kh < K; ++kh) g.loadTaps(x, zeros, first + kh, window[kh]);
    Vector acc = k.bias;
    for (int kh = 0; kh < K; ++kh)
      for (int kw = 0; kw < K; ++kw) acc += k.weights[kh * K + kw] * window[kh][kw];
    storeFirst<kLanes>(y + oh * outW, clampVector<kLanes>(acc, k.lo, k.hi), outW);
    for (int kh = 0; kh < K - Stride; ++kh)
      for (int kw = 0; kw < K; ++kw) window[kh][kw] = window[kh + Stride][kw];
  }
}

template <int Stride, int K>
void oneVectorRowPlanes(const spcc_conv_params &p, const float *x, const float *w,
                        const float *bias, float *y, int32_t numThreads) {
  constexpr int kLanes = OneVectorRows<Stride, K>::kLanes;
  int64_t outPlane = p.out[1] * p.out[2];
  Clamp clamp(p);
  const OneVectorRows<Stride, K> shared(p);
  parallelFor(p.n * p.cout, numThreads, [&](int64_t begin, int64_t end) {
    // Private copies, as in fixedTapPlanesOf.
    const spcc_conv_params params = p;
    const OneVectorRows<Stride, K> rows = shared;
    alignas(64) const float zeros[16] = {};
    forEachOutputPlane(params, x, begin, end, [&](int64_t index, const float *plane, int64_t m) {
      PlaneConstants<kLanes, K * K> k(w + m * K * K, bias ? bias[m] : 0.0f, clamp);
      oneVectorRowsPlane<Stride, K>(rows, plane, zeros, k, y + index * outPlane, params.out[1],
                                    params.out[2]);
    });
  });
}

/// Runs \p p through oneVectorRowPlanes where it applies; false where not.
bool oneVectorRowPlanesApplied(const spcc_conv_params &p, const float *x, const float *w,
                               const float *bias, float *y, int32_t numThreads) {
  bool applied = true;
  if (OneVectorRows<1, 3>::apply(p))
    oneVectorRowPlanes<1, 3>(p, x, w, bias, y, numThreads);
  else if (OneVectorRows<1, 5>::apply(p))
    oneVectorRowPlanes<1, 5>(p, x, w, bias, y, numThreads);
  else if (OneVectorRows<2, 3>::apply(p))
    oneVectorRowPlanes<2, 3>(p, x, w, bias, y, numThreads);
  else if (OneVectorRows<2, 5>::apply(p))
    oneVectorRowPlanes<2, 5>(p, x, w, bias, y, numThreads);
  else
    applied = false;
  return applied;
}
#endif

//===----------------------------------------------------------------------===//
// Generic taps: any kernel up to 64 taps, any dilation, strides up to 4
//===----------------------------------------------------------------------===//

/// Outputs of rows [oh, oh + Rows) and columns [ow, ow + Lanes) (clipped to the plane).
template <int Lanes, int Rows>
inline void genericBlock(const spcc_conv_params &p, const PhasedPlane &plane, const float *scratch,
                         const float *w, float bias, Clamp clamp, int64_t oh, int64_t ow,
                         float *y) {
  using Vector = FloatVector<Lanes>;
  Vector acc[Rows];
  for (int r = 0; r < Rows; ++r) acc[r] = splatLanes<Lanes>(bias);
  int64_t rowStep = p.stride[1] * plane.rowFloats;
  const float *base = scratch + oh * rowStep + ow;
  for (int64_t t = 0; t < plane.numTaps; ++t) {
    Vector weight = splatLanes<Lanes>(w[t]);
    const float *src = base + plane.tapOffsets[t];
    for (int r = 0; r < Rows; ++r) acc[r] += weight * loadLanes<Lanes>(src + r * rowStep);
  }
  Vector lo = splatLanes<Lanes>(clamp.lo), hi = splatLanes<Lanes>(clamp.hi);
  int64_t outputColumns = p.out[2] - ow;
  for (int r = 0; r < Rows; ++r)
    finishVector<Lanes>(acc[r], lo, hi, y + (oh + r) * p.out[2] + ow, outputColumns);
}

template <int Lanes>
void genericPlanes(const spcc_conv_params &p, const float *x, const float *w, const float *bias,
                   float *y, int32_t numThreads) {
  PhasedPlane plane(p, Lanes);
  int64_t inPlane = p.in[1] * p.in[2], outPlane = p.out[1] * p.out[2];
  int64_t taps = p.kernel[1] * p.kernel[2], multiplier = p.cout / p.cin;
  Clamp clamp(p);
  parallelFor(p.n * p.cout, numThreads, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(size_t(plane.floats()), 0.0f);
    int64_t filled = -1; // the input plane the scratch holds
    for (int64_t index = begin; index < end; ++index) {
      int64_t m = index % p.cout, n = index / p.cout;
      int64_t source = n * p.cin + m / multiplier;
      if (source != filled) plane.fill(p, x + source * inPlane, scratch.data());
      filled = source;
      const float *planeW = w + m * taps;
      float planeBias = bias ? bias[m] : 0.0f, *out = y + index * outPlane;
      int64_t oh = 0;
      for (; oh + kGenericRows <= p.out[1]; oh += kGenericRows)
        for (int64_t ow = 0; ow < p.out[2]; ow += Lanes)
          genericBlock<Lanes, kGenericRows>(p, plane, scratch.data(), planeW, planeBias, clamp, oh,
                                            ow, out);
      for (; oh < p.out[1]; ++oh)
        for (int64_t ow = 0; ow < p.out[2]; ow += Lanes)
          genericBlock<Lanes, 1>(p, plane, scratch.data(), planeW, planeBias, clamp, oh, ow, out);
    }
  });
}

template <int Lanes>
void convolvePlanes(const spcc_conv_params &p, const float *x, const float *w, const float *bias,
                    float *y, int32_t numThreads) {
#ifdef __AVX512F__
  if (oneVectorRowPlanesApplied(p, x, w, bias, y, numThreads)) return;
#endif
  if (!fixedTapsApply(p))
    genericPlanes<Lanes>(p, x, w, bias, y, numThreads);
  else if (p.kernel[1] == 3)
    fixedTapPlanes<Lanes, 3>(p, x, w, bias, y, numThreads);
  else
    fixedTapPlanes<Lanes, 5>(p, x, w, bias, y, numThreads);
}

} // namespace

bool depthwiseConv2dApplies(const spcc_conv_params &p) {
  return p.cin == p.group && p.cout % p.group == 0 && p.in[0] == 1 && p.out[0] == 1 &&
         p.kernel[0] == 1 && p.kernel[1] * p.kernel[2] <= kMaxTaps && p.stride[1] >= 1 &&
         p.stride[2] >= 1 && p.stride[2] <= kMaxStride;
}

void depthwiseConv2d(const spcc_conv_params &p, const float *x, const float *w, const float *bias,
                     float *y, int32_t numThreads) {
  // Small planes and large kernels: whole blocks of channels in vector lanes, the channels
  // after the last whole block plane by plane, below; but planes where the blocks are too few
  // to give every thread one.
  if (depthwiseChannelBlocksPreferred(p) &&
      p.n * depthwiseChannelBlockCount(p) >= resolveThreads(numThreads)) {
    int64_t blocked = depthwiseChannelBlockCount(p) * depthwiseChannelBlockLanes();
    depthwiseChannelBlocks(p, x, w, bias, y, numThreads);
    if (blocked == p.cout) return;
    spcc_conv_params rest = p;
    rest.n = 1;
    rest.cin = rest.cout = rest.group = p.cout - blocked;
    int64_t inPlane = p.in[1] * p.in[2], outPlane = p.out[1] * p.out[2];
    int64_t taps = p.kernel[1] * p.kernel[2];
    for (int64_t n = 0; n < p.n; ++n)
      depthwiseConv2d(rest, x + (n * p.cin + blocked) * inPlane, w + blocked * taps,
                      bias ? bias + blocked : nullptr, y + (n * p.cout + blocked) * outPlane,
                      numThreads);
    return;
  }
  // Narrow planes (7 columns in MobileNet's last blocks) waste less of a narrower vector.
  if (p.out[2] <= 8)
    convolvePlanes<8>(p, x, w, bias, y, numThreads);
  else
    convolvePlanes<kWideLanes>(p, x, w, bias, y, numThreads);
}

} // namespace spcc::kernels
