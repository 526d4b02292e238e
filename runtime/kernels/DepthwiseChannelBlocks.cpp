//===- DepthwiseChannelBlocks.cpp - Depthwise convolution with channels in lanes ---===//
//
// A plane of 7x7 outputs (the last blocks of MobileNet and its kin) fills under half of a
// vector per row, and convolved plane by plane each such plane pays its own setup (weights
// broadcast, border masks, row pointers) for 49 outputs; a 5x5 or 7x7 kernel read in place
// needs a masked or shifted vector per tap. Here a block of kWideLanes channels is moved into
// a zero-bordered scratch plane whose every position is one vector of the block's channels
// (8 x 8 register transposes), convolved there with one whole-vector multiply-add per tap and
// output (no masks, no lane shifts, the weights one vector per tap), and moved back. Channels
// past the last whole block are left to the plane-by-plane kernel.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/DepthwiseChannelBlocks.h"

#include "runtime/kernels/ConvClamp.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/Transpose.h"
#include "runtime/kernels/VectorLanes.h"

#include <Eigen/Core>

#include <algorithm>
#include <vector>

namespace spcc::kernels {
namespace {

constexpr int64_t kLanes = kWideLanes;
using Vector = FloatVector<kLanes>;
/// The channel vector at \p p (a position of the scratch, the outputs or the weights: aligned).
inline Vector &vectorAt(float *p) { return *reinterpret_cast<Vector *>(p); }
inline Vector vectorAt(const float *p) { return *reinterpret_cast<const Vector *>(p); }
/// 64-byte aligned (Eigen's alignment for AVX-512), so every position is one aligned vector.
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

/// Output columns computed together, one accumulator each, every tap's weight vector loaded
/// once for all of them.
constexpr int kMaxRunColumns = 8;
/// Largest padded input window (positions) kept in the scratch: 256 KiB of 16-lane vectors,
/// a 7x7 kernel's window over 56x56 planes (62 x 62). Small planes' windows stay in L1.
constexpr int64_t kMaxWindowPositions = 4096;
/// Largest output plane the blocks take for kernels under kMinTapsAnyPlane taps: wider planes
/// fill whole vectors plane by plane, where a 3x3 reads its input in place (512 channels of
/// 14x14 at stride 1 measured 35 us in blocks, 28 as planes; 256 x 28x28 71 against 45; Zen 4).
constexpr int64_t kMaxOutputPositions = 64;
/// Kernels of this many taps or more go in blocks at every plane size: the planes' 5x5 and
/// generic paths measured slower everywhere (Zen 4, one thread, x86-64-v4 / v3: 5x5 480 x 14x14
/// 1.96x / 2.63x, 240 x 28x28 1.19x / 1.89x, 144 x 56x56 at stride 2 1.09x / 1.41x; 7x7
/// 384 x 14x14 1.82x / 1.85x, 96 x 56x56 1.48x / 1.34x faster in blocks).
constexpr int64_t kMinTapsAnyPlane = 25;
/// Fewest multiply-adds per input position for which the blocks are the faster way: moving a
/// position in costs about this many (its transposes; at 16 lanes a position's two 8-lane
/// halves take one shuffle more). 3x3 at stride 2 has 2.25: in MobileNet V1 on Zen 4 its
/// 512 x 14x14 layer took 0.020-0.022 ms as planes and 0.023-0.027 in blocks of 16, and with
/// x86-64-v3 0.026-0.029 as planes and 0.024-0.025 in blocks of 8.
constexpr int64_t kMinMultiplyAddsPerInput = kLanes == 16 ? 4 : 2;

/// Rows x columns of the padded input window the outputs of \p p read.
int64_t windowRows(const spcc_conv_params &p) {
  return (p.out[1] - 1) * p.stride[1] + (p.kernel[1] - 1) * p.dilation[1] + 1;
}
int64_t windowColumns(const spcc_conv_params &p) {
  return (p.out[2] - 1) * p.stride[2] + (p.kernel[2] - 1) * p.dilation[2] + 1;
}

/// The scratch layout of one call, the same for every block.
struct ChannelBlockLayout {
  int64_t rows = 0, columns = 0; ///< the padded input window the outputs read
  int64_t inPlane = 0, outPlane = 0;
  /// Scratch position of each input position: rows * columns for those no output reads.
  std::vector<int32_t> slotOf;
  /// Position offset of each tap from its output's first tap.
  std::vector<int32_t> tapOffsets;

  explicit ChannelBlockLayout(const spcc_conv_params &p) {
    rows = windowRows(p);
    columns = windowColumns(p);
    inPlane = p.in[1] * p.in[2];
    outPlane = p.out[1] * p.out[2];
    slotOf.resize(size_t(inPlane));
    for (int64_t ih = 0; ih < p.in[1]; ++ih)
      for (int64_t iw = 0; iw < p.in[2]; ++iw) {
        int64_t r = ih + p.pad_begin[1], c = iw + p.pad_begin[2];
        slotOf[size_t(ih * p.in[2] + iw)] =
            int32_t(r < rows && c < columns ? r * columns + c : rows * columns);
      }
    for (int64_t kh = 0; kh < p.kernel[1]; ++kh)
      for (int64_t kw = 0; kw < p.kernel[2]; ++kw)
        tapOffsets.push_back(int32_t(kh * p.dilation[1] * columns + kw * p.dilation[2]));
  }

  /// Scratch floats: the window and the one slot nothing reads.
  int64_t scratchFloats() const { return (rows * columns + 1) * kLanes; }
  /// Output floats, rounded up to whole 8-position transposes.
  int64_t outputFloats() const { return (outPlane + 7) / 8 * 8 * kLanes; }
};

/// Channels [half, half + 8) of a channel vector, and a vector from its two halves: the
/// transposes move 8 x 8 floats; scratch and outputs are read and written as whole vectors
/// (a 512-bit load of two 256-bit stores just made waits for both to reach the cache).
inline __m256 halfOf(Vector v, int64_t half) {
#ifdef __AVX512F__
  return half == 0 ? _mm512_castps512_ps256(__m512(v)) : _mm512_extractf32x8_ps(__m512(v), 1);
#else
  (void)half;
  return __m256(v);
#endif
}
inline Vector joinHalves(const __m256 (&halves)[kLanes / 8]) {
#ifdef __AVX512F__
  return Vector(_mm512_insertf32x8(_mm512_castps256_ps512(halves[0]), halves[1], 1));
#else
  return Vector(halves[0]);
#endif
}

/// Count consecutive positions of the kLanes planes at \p x (\p inPlane floats apart) as
/// channel vectors, stored at their \p slots in \p scratch. Count < 8 reads only those
/// positions.
template <int Count>
[[gnu::always_inline]] inline void fillPositions(const float *x, int64_t inPlane,
                                                 const int32_t *slots, float *scratch) {
  __m256 columns[8][kLanes / 8];
  for (int64_t half = 0; half < kLanes / 8; ++half) {
    __m256 r[8];
    const float *src = x + half * 8 * inPlane;
    for (int i = 0; i < 8; ++i)
      r[i] = Count == 8 ? _mm256_loadu_ps(src + i * inPlane)
                        : __m256(loadMasked<8>(src + i * inPlane, laneRange(0, Count)));
    detail::transpose8x8InRegisters(r);
    for (int j = 0; j < Count; ++j) columns[j][half] = r[j];
  }
  for (int j = 0; j < Count; ++j) vectorAt(scratch + slots[j] * kLanes) = joinHalves(columns[j]);
}

/// Copies the kLanes planes at \p x into \p scratch, position by position as channel
/// vectors; padding slots are left as they are (zero).
void fillBlock(const ChannelBlockLayout &layout, const float *x, float *scratch) {
  // Locals: the scratch stores could alias the layout's fields, which the compiler would
  // otherwise reload after each.
  const int32_t *slots = layout.slotOf.data();
  int64_t inPlane = layout.inPlane, p0 = 0;
  for (; p0 + 8 <= inPlane; p0 += 8) fillPositions<8>(x + p0, inPlane, slots + p0, scratch);
  const float *tail = x + p0;
  switch (inPlane - p0) {
  case 7: return fillPositions<7>(tail, inPlane, slots + p0, scratch);
  case 6: return fillPositions<6>(tail, inPlane, slots + p0, scratch);
  case 5: return fillPositions<5>(tail, inPlane, slots + p0, scratch);
  case 4: return fillPositions<4>(tail, inPlane, slots + p0, scratch);
  case 3: return fillPositions<3>(tail, inPlane, slots + p0, scratch);
  case 2: return fillPositions<2>(tail, inPlane, slots + p0, scratch);
  case 1: return fillPositions<1>(tail, inPlane, slots + p0, scratch);
  }
}

/// Eight consecutive positions' channel vectors at \p outputs stored to the kLanes planes at
/// \p y (\p outPlane floats apart), the first \p count of them (the rest are past the plane).
void storePositions(const float *outputs, int64_t outPlane, int64_t count, float *y) {
  Vector positions[8];
  for (int j = 0; j < 8; ++j) positions[j] = vectorAt(outputs + j * kLanes);
  for (int64_t half = 0; half < kLanes / 8; ++half) {
    __m256 r[8];
    for (int j = 0; j < 8; ++j) r[j] = halfOf(positions[j], half);
    detail::transpose8x8InRegisters(r);
    float *dst = y + half * 8 * outPlane;
    for (int i = 0; i < 8; ++i)
      if (count == 8)
        _mm256_storeu_ps(dst + i * outPlane, r[i]);
      else
        storeFirst<8>(dst + i * outPlane, FloatVector<8>(r[i]), count);
  }
}

/// Copies the channel vectors of \p outputs back to the kLanes planes at \p y.
void storeBlock(const ChannelBlockLayout &layout, const float *outputs, float *y) {
  int64_t outPlane = layout.outPlane, p0 = 0;
  for (; p0 + 8 <= outPlane; p0 += 8) storePositions(outputs + p0 * kLanes, outPlane, 8, y + p0);
  if (p0 < outPlane) storePositions(outputs + p0 * kLanes, outPlane, outPlane - p0, y + p0);
}

/// weights[t * kLanes + l] = w[l * taps + t]: the block's taps as channel vectors, by 8 x 8
/// transposes and a gather per tap left over (clang vectorized the plain loop into scatters,
/// ~10% of a 7x7 layer's time).
void transposeWeights(const float *w, int64_t taps, float *weights) {
  for (int64_t half = 0; half < kLanes; half += 8) {
    int64_t t0 = 0;
    for (; t0 + 8 <= taps; t0 += 8)
      detail::transpose8x8(w + half * taps + t0, taps, weights + t0 * kLanes + half, kLanes,
                           nullptr);
    for (; t0 < taps; ++t0) {
      __m256 column =
          _mm256_i32gather_ps(w + half * taps + t0,
                              _mm256_mullo_epi32(_mm256_set1_epi32(int(taps)),
                                                 _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                              4);
      _mm256_store_ps(weights + t0 * kLanes + half, column);
    }
  }
}

/// The block's weights (one vector per tap), bias and clamp.
struct BlockConstants {
  const float *weights; ///< taps x kLanes
  Vector bias, lo, hi;
};

/// Clamps Columns accumulators and stores them as consecutive channel vectors.
template <int Columns>
[[gnu::always_inline]] inline void finishRun(const Vector (&acc)[Columns], const BlockConstants &k,
                                             float *out) {
  for (int c = 0; c < Columns; ++c)
    vectorAt(out + c * kLanes) = clampVector<kLanes>(acc[c], k.lo, k.hi);
}

/// Columns consecutive outputs of one row, any kernel: \p window is the first output's first
/// tap, \p step the positions between two outputs' windows.
template <int Columns>
void genericRun(const float *window, int64_t step, const ChannelBlockLayout &layout,
                const BlockConstants &k, float *out) {
  Vector acc[Columns];
  for (int c = 0; c < Columns; ++c) acc[c] = k.bias;
  for (size_t t = 0; t < layout.tapOffsets.size(); ++t) {
    Vector weight = vectorAt(k.weights + t * kLanes);
    const float *tap = window + layout.tapOffsets[t] * kLanes;
    for (int c = 0; c < Columns; ++c) acc[c] += weight * vectorAt(tap + c * step * kLanes);
  }
  finishRun<Columns>(acc, k, out);
}

/// Columns consecutive outputs of one row, a K x K kernel at stride Stride, undilated: each
/// input row's vectors are loaded once and feed every output whose window holds them.
template <int Columns, int K, int Stride>
void fixedRun(const float *window, const ChannelBlockLayout &layout, const BlockConstants &k,
              float *out) {
  constexpr int kInputs = (Columns - 1) * Stride + K;
  Vector acc[Columns];
  for (int c = 0; c < Columns; ++c) acc[c] = k.bias;
  for (int kh = 0; kh < K; ++kh) {
    const float *row = window + kh * layout.columns * kLanes;
    Vector in[kInputs];
    for (int i = 0; i < kInputs; ++i) in[i] = vectorAt(row + i * kLanes);
    for (int kw = 0; kw < K; ++kw) {
      Vector weight = vectorAt(k.weights + (kh * K + kw) * kLanes);
      for (int c = 0; c < Columns; ++c) acc[c] += weight * in[c * Stride + kw];
    }
  }
  finishRun<Columns>(acc, k, out);
}

/// Calls run.operator()<Columns>() with Columns = \p count, 1 to kMaxRunColumns.
template <typename Run> inline void withColumns(int64_t count, Run &&run) {
  static_assert(kMaxRunColumns == 8, "one case per count");
  switch (count) {
  case 8: return run.template operator()<8>();
  case 7: return run.template operator()<7>();
  case 6: return run.template operator()<6>();
  case 5: return run.template operator()<5>();
  case 4: return run.template operator()<4>();
  case 3: return run.template operator()<3>();
  case 2: return run.template operator()<2>();
  default: return run.template operator()<1>();
  }
}

/// Every output of the block from the filled \p scratch into \p outputs; K and Stride
/// nonzero: a K x K kernel at that stride, undilated (fixedRun), else any (genericRun).
template <int K, int Stride>
void convolveBlockWith(const spcc_conv_params &p, const ChannelBlockLayout &layout,
                       const float *scratch, const BlockConstants &k, float *outputs) {
  int64_t step = p.stride[2];
  for (int64_t oh = 0; oh < p.out[1]; ++oh)
    for (int64_t ow = 0; ow < p.out[2]; ow += kMaxRunColumns) {
      const float *window = scratch + (oh * p.stride[1] * layout.columns + ow * step) * kLanes;
      float *out = outputs + (oh * p.out[2] + ow) * kLanes;
      withColumns(std::min<int64_t>(kMaxRunColumns, p.out[2] - ow), [&]<int Columns>() {
        if constexpr (K > 0)
          fixedRun<Columns, K, Stride>(window, layout, k, out);
        else
          genericRun<Columns>(window, step, layout, k, out);
      });
    }
}

void convolveBlock(const spcc_conv_params &p, const ChannelBlockLayout &layout,
                   const float *scratch, const BlockConstants &k, float *outputs) {
  bool undilated = p.dilation[1] == 1 && p.dilation[2] == 1;
  bool square = p.kernel[1] == p.kernel[2] && p.stride[1] == p.stride[2];
  int64_t size = undilated && square ? p.kernel[1] : 0, stride = p.stride[1];
  if (size == 3 && stride == 1) return convolveBlockWith<3, 1>(p, layout, scratch, k, outputs);
  if (size == 3 && stride == 2) return convolveBlockWith<3, 2>(p, layout, scratch, k, outputs);
  if (size == 5 && stride == 1) return convolveBlockWith<5, 1>(p, layout, scratch, k, outputs);
  if (size == 5 && stride == 2) return convolveBlockWith<5, 2>(p, layout, scratch, k, outputs);
  convolveBlockWith<0, 0>(p, layout, scratch, k, outputs);
}

} // namespace

int64_t depthwiseChannelBlockCount(const spcc_conv_params &p) {
  if (p.cout != p.cin || windowRows(p) * windowColumns(p) > kMaxWindowPositions) return 0;
  return p.cout / kLanes;
}

bool depthwiseChannelBlocksPreferred(const spcc_conv_params &p) {
  int64_t outPlane = p.out[1] * p.out[2], inPlane = p.in[1] * p.in[2];
  int64_t taps = p.kernel[1] * p.kernel[2];
  return (outPlane <= kMaxOutputPositions || taps >= kMinTapsAnyPlane) &&
         taps * outPlane >= kMinMultiplyAddsPerInput * inPlane && depthwiseChannelBlockCount(p) > 0;
}

int64_t depthwiseChannelBlockLanes() { return kLanes; }

void depthwiseChannelBlocks(const spcc_conv_params &p, const float *x, const float *w,
                            const float *bias, float *y, int32_t numThreads) {
  int64_t blocks = depthwiseChannelBlockCount(p);
  ChannelBlockLayout layout(p);
  int64_t taps = p.kernel[1] * p.kernel[2];
  Clamp clamp(p);
  parallelFor(p.n * blocks, numThreads, [&](int64_t begin, int64_t end) {
    AlignedFloats scratch(size_t(layout.scratchFloats()), 0.0f);
    AlignedFloats outputs(size_t(layout.outputFloats()), 0.0f);
    AlignedFloats weights(size_t(taps * kLanes));
    for (int64_t index = begin; index < end; ++index) {
      int64_t n = index / blocks, c0 = index % blocks * kLanes;
      transposeWeights(w + c0 * taps, taps, weights.data());
      BlockConstants k{weights.data(), bias ? loadLanes<kLanes>(bias + c0) : Vector{},
                       splatLanes<kLanes>(clamp.lo), splatLanes<kLanes>(clamp.hi)};
      fillBlock(layout, x + (n * p.cin + c0) * layout.inPlane, scratch.data());
      convolveBlock(p, layout, scratch.data(), k, outputs.data());
      storeBlock(layout, outputs.data(), y + (n * p.cout + c0) * layout.outPlane);
    }
  });
}

} // namespace spcc::kernels
