//===- VectorLanes.h - Float vectors of the ISA level, with masked ends ---===//
//
// The kernel library is compiled once per x86-64 level (v3: AVX2, v4: AVX-512). Kernels that
// pick their vector length by hand use these: a float vector of N lanes in clang's vector
// extension (arithmetic compiles for either level), loads/stores of its first lanes only, for
// the ends of rows (masked moves: no lane outside the mask is read or written, so a row's last
// partial vector never touches memory past it), and the even and odd floats of two vectors, for
// stride-2 windows.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_VECTORLANES_H
#define SPCC_RUNTIME_KERNELS_VECTORLANES_H

#include <immintrin.h>

#include <cstdint>

namespace spcc::kernels {

/// Lanes of the widest float vector the level executes natively.
#ifdef __AVX512F__
constexpr int kWideLanes = 16;
#else
constexpr int kWideLanes = 8;
#endif

template <int Lanes> struct FloatLanes {
  typedef float type __attribute__((vector_size(Lanes * sizeof(float))));
  /// The same lanes at any float's address, for loads and stores.
  typedef float unaligned __attribute__((vector_size(Lanes * sizeof(float)), aligned(4)));
};
template <int Lanes> using FloatVector = typename FloatLanes<Lanes>::type;

/// Lanes [lo, hi) set, as a bit mask (bounds outside [0, 32] clipped).
inline uint32_t laneRange(int64_t lo, int64_t hi) {
  lo = lo < 0 ? 0 : lo;
  hi = hi > 32 ? 32 : hi;
  if (hi <= lo) return 0;
  uint32_t upto = hi == 32 ? ~0u : (1u << hi) - 1;
  return upto & ~((1u << lo) - 1);
}

template <int Lanes> inline FloatVector<Lanes> splatLanes(float v) {
  // v - 0 is v for every v (v + 0 is not, for -0): the subtraction folds away, leaving a
  // broadcast.
  return v - FloatVector<Lanes>{};
}

template <int Lanes> inline FloatVector<Lanes> loadLanes(const float *p) {
  return *reinterpret_cast<const typename FloatLanes<Lanes>::unaligned *>(p);
}

template <int Lanes> inline void storeLanes(float *p, FloatVector<Lanes> v) {
  *reinterpret_cast<typename FloatLanes<Lanes>::unaligned *>(p) = v;
}

#ifndef __AVX512F__
/// AVX2's masked moves take the mask as a vector: lane j all ones when bit j is set.
inline __m256i laneMaskVector(uint32_t mask) {
  const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(int(mask)), bits), bits);
}
#endif

/// The lanes of \p mask loaded from p (others zero; memory outside the mask is not read).
template <int Lanes> inline FloatVector<Lanes> loadMasked(const float *p, uint32_t mask) {
  static_assert(Lanes == 8 || (Lanes == 16 && kWideLanes == 16), "no such vector here");
#ifdef __AVX512F__
  if constexpr (Lanes == 16)
    return FloatVector<16>(_mm512_maskz_loadu_ps(__mmask16(mask), p));
  else
    return FloatVector<8>(_mm256_maskz_loadu_ps(__mmask8(mask), p));
#else
  return FloatVector<8>(_mm256_maskload_ps(p, laneMaskVector(mask)));
#endif
}

/// The lanes of \p mask loaded from p, the others \p fill (memory outside the mask is not
/// read).
template <int Lanes>
inline FloatVector<Lanes> loadMaskedOr(const float *p, uint32_t mask, float fill) {
  static_assert(Lanes == 8 || (Lanes == 16 && kWideLanes == 16), "no such vector here");
#ifdef __AVX512F__
  if constexpr (Lanes == 16)
    return FloatVector<16>(_mm512_mask_loadu_ps(_mm512_set1_ps(fill), __mmask16(mask), p));
  else
    return FloatVector<8>(_mm256_mask_loadu_ps(_mm256_set1_ps(fill), __mmask8(mask), p));
#else
  __m256i lanes = laneMaskVector(mask);
  return FloatVector<8>(_mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, lanes),
                                         _mm256_castsi256_ps(lanes)));
#endif
}

/// The lanes of \p mask from \p b, the others from \p a.
template <int Lanes>
inline FloatVector<Lanes> blendLanes(FloatVector<Lanes> a, FloatVector<Lanes> b, uint32_t mask) {
  static_assert(Lanes == 8 || (Lanes == 16 && kWideLanes == 16), "no such vector here");
#ifdef __AVX512F__
  if constexpr (Lanes == 16)
    return FloatVector<16>(_mm512_mask_blend_ps(__mmask16(mask), __m512(a), __m512(b)));
  else
    return FloatVector<8>(_mm256_mask_blend_ps(__mmask8(mask), __m256(a), __m256(b)));
#else
  return FloatVector<8>(
      _mm256_blendv_ps(__m256(a), __m256(b), _mm256_castsi256_ps(laneMaskVector(mask))));
#endif
}

/// Stores the lanes of \p mask to p (memory outside the mask is not written).
template <int Lanes> inline void storeMasked(float *p, FloatVector<Lanes> v, uint32_t mask) {
  static_assert(Lanes == 8 || (Lanes == 16 && kWideLanes == 16), "no such vector here");
#ifdef __AVX512F__
  if constexpr (Lanes == 16)
    _mm512_mask_storeu_ps(p, __mmask16(mask), __m512(v));
  else
    _mm256_mask_storeu_ps(p, __mmask8(mask), __m256(v));
#else
  _mm256_maskstore_ps(p, laneMaskVector(mask), __m256(v));
#endif
}

/// Stores the first \p count lanes of v to p (all of them with one plain store when count >=
/// Lanes): a row's last vector writes nothing past the row.
template <int Lanes> inline void storeFirst(float *p, FloatVector<Lanes> v, int64_t count) {
  if (count >= Lanes) return storeLanes<Lanes>(p, v);
#ifdef __AVX512F__
  storeMasked<Lanes>(p, v, laneRange(0, count));
#else
  // AVX2's masked store (VMASKMOVPS) is microcoded on AMD cores before Zen 4: ~19 cycles a
  // store on Zen 3, measured, against ~6 for these plain stores of 4, 2 and 1 lanes.
  if (count <= 0) return;
  __m128 part = _mm256_castps256_ps128(__m256(v));
  if (count & 4) {
    _mm_storeu_ps(p, part);
    p += 4;
    part = _mm256_extractf128_ps(__m256(v), 1);
  }
  if (count & 2) {
    _mm_storeu_si64(p, _mm_castps_si128(part));
    p += 2;
    part = _mm_movehl_ps(part, part);
  }
  if (count & 1) _mm_store_ss(p, part);
#endif
}

/// Evens and odds of 2 * Lanes consecutive floats of a row: the inputs of Lanes stride-2
/// outputs.
template <int Lanes> struct EvenOdd {
  FloatVector<Lanes> evens, odds;
};

/// The evens and odds of the 2 * Lanes floats a then b (already in registers).
template <int Lanes>
inline EvenOdd<Lanes> splitEvenOdd(FloatVector<Lanes> a, FloatVector<Lanes> b) {
#ifdef __AVX512F__
  static_assert(Lanes == 16, "8-lane vectors load their evens and odds in one vector");
  const __m512i evenLanes =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i oddLanes = _mm512_add_epi32(evenLanes, _mm512_set1_epi32(1));
  return {FloatVector<16>(_mm512_permutex2var_ps(__m512(a), evenLanes, __m512(b))),
          FloatVector<16>(_mm512_permutex2var_ps(__m512(a), oddLanes, __m512(b)))};
#else
  static_assert(Lanes == 8, "no such vector here");
  // Per 128-bit half: a0 a2 b0 b2 | a4 a6 b4 b6; then 64-bit pairs in order 0, 2, 1, 3.
  auto order = [](__m256 v) {
    return FloatVector<8>(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8)));
  };
  return {order(_mm256_shuffle_ps(__m256(a), __m256(b), _MM_SHUFFLE(2, 0, 2, 0))),
          order(_mm256_shuffle_ps(__m256(a), __m256(b), _MM_SHUFFLE(3, 1, 3, 1)))};
#endif
}

/// v's lanes moved down by one, \p next's first lane shifted in at the top.
template <int Lanes>
inline FloatVector<Lanes> shiftDownOne(FloatVector<Lanes> v, FloatVector<Lanes> next) {
#ifdef __AVX512F__
  static_assert(Lanes == 16, "16-lane vectors only");
  return FloatVector<16>(_mm512_castsi512_ps(
      _mm512_alignr_epi32(_mm512_castps_si512(__m512(next)), _mm512_castps_si512(__m512(v)), 1)));
#else
  static_assert(Lanes == 8, "no such vector here");
  __m256 rotated = _mm256_permutevar8x32_ps(__m256(v), _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 0));
  __m256 top = _mm256_permutevar8x32_ps(__m256(next), _mm256_setzero_si256());
  return FloatVector<8>(_mm256_blend_ps(rotated, top, 0x80));
#endif
}

/// v's lanes moved up by one, \p previous's last lane shifted in at the bottom.
template <int Lanes>
inline FloatVector<Lanes> shiftUpOne(FloatVector<Lanes> v, FloatVector<Lanes> previous) {
#ifdef __AVX512F__
  static_assert(Lanes == 16, "16-lane vectors only");
  return FloatVector<16>(_mm512_castsi512_ps(_mm512_alignr_epi32(
      _mm512_castps_si512(__m512(v)), _mm512_castps_si512(__m512(previous)), 15)));
#else
  static_assert(Lanes == 8, "no such vector here");
  __m256 rotated = _mm256_permutevar8x32_ps(__m256(v), _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6));
  __m256 bottom = _mm256_permutevar8x32_ps(__m256(previous), _mm256_set1_epi32(7));
  return FloatVector<8>(_mm256_blend_ps(rotated, bottom, 0x01));
#endif
}

#ifdef __AVX512F__
using LoadedFloats = __m512;
#else
using LoadedFloats = __m256;
#endif

/// The evens and odds of the floats loadEvenOdd loaded: two vectors of 16 for 16 lanes, one
/// (\p a) for 8 lanes with AVX-512, two of 8 with AVX2.
template <int Lanes> inline EvenOdd<Lanes> evenOddOfLoaded(LoadedFloats a, LoadedFloats b) {
#ifdef __AVX512F__
  if constexpr (Lanes == 16) {
    return splitEvenOdd<16>(FloatVector<16>(a), FloatVector<16>(b));
  } else {
    const __m512i evenLanes =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i oddLanes = _mm512_add_epi32(evenLanes, _mm512_set1_epi32(1));
    return {FloatVector<8>(_mm512_castps512_ps256(_mm512_permutexvar_ps(evenLanes, a))),
            FloatVector<8>(_mm512_castps512_ps256(_mm512_permutexvar_ps(oddLanes, a)))};
  }
#else
  static_assert(Lanes == 8, "no such vector here");
  return splitEvenOdd<8>(FloatVector<8>(a), FloatVector<8>(b));
#endif
}

/// Floats per load of loadEvenOdd: 16 with AVX-512 (one load for 8 lanes), else 8.
constexpr int64_t kEvenOddLoadFloats = kWideLanes;
/// Whether loadEvenOdd loads a second vector.
template <int Lanes> constexpr bool kEvenOddLoadsTwo = Lanes * 2 > kEvenOddLoadFloats;

/// p[2j] and p[2j + 1], j < Lanes, loading only the lanes of \p first (floats
/// p[0, kEvenOddLoadFloats)) and \p second (the next kEvenOddLoadFloats, when loaded), the
/// others read as \p fill.
template <int Lanes>
inline EvenOdd<Lanes> loadEvenOddMasked(const float *p, uint32_t first, uint32_t second,
                                        float fill) {
  constexpr int kLoaded = int(kEvenOddLoadFloats);
  auto a = LoadedFloats(loadMaskedOr<kLoaded>(p, first, fill));
  auto b =
      kEvenOddLoadsTwo<Lanes> ? LoadedFloats(loadMaskedOr<kLoaded>(p + kLoaded, second, fill)) : a;
  return evenOddOfLoaded<Lanes>(a, b);
}

/// The masks of loadEvenOddMasked's two loads for the pairs starting at row[column], columns
/// outside [0, width) masked off.
inline void evenOddLoadMasks(int64_t column, int64_t width, uint32_t &first, uint32_t &second) {
  first = laneRange(-column, width - column);
  int64_t next = column + kEvenOddLoadFloats;
  second = laneRange(-next, width - next);
}

/// row[column + 2j] and row[column + 2j + 1], j < Lanes; with Masked, columns outside
/// [0, width) read as \p fill (and are not read). Two loads (one for 8 lanes with AVX-512) and
/// a permute per half.
template <int Lanes, bool Masked>
inline EvenOdd<Lanes> loadEvenOdd(const float *row, int64_t column, int64_t width, float fill) {
  const float *p = row + column;
  if constexpr (Masked) {
    uint32_t first, second;
    evenOddLoadMasks(column, width, first, second);
    return loadEvenOddMasked<Lanes>(p, first, second, fill);
  }
  constexpr int kLoaded = int(kEvenOddLoadFloats);
  auto a = LoadedFloats(loadLanes<kLoaded>(p));
  auto b = kEvenOddLoadsTwo<Lanes> ? LoadedFloats(loadLanes<kLoaded>(p + kLoaded)) : a;
  return evenOddOfLoaded<Lanes>(a, b);
}

#ifndef __AVX512F__
/// AVX2: the evens and odds of the 16 floats a then b with their lanes in the order
/// 0 1 4 5 2 3 6 7, one shuffle each where splitEvenOdd takes two. Every split of a row in this
/// order agrees lane for lane, so sums of them need reordering once, by inPairOrder, not each
/// tap.
inline EvenOdd<8> splitEvenOddInPairs(FloatVector<8> a, FloatVector<8> b) {
  return {FloatVector<8>(_mm256_shuffle_ps(__m256(a), __m256(b), _MM_SHUFFLE(2, 0, 2, 0))),
          FloatVector<8>(_mm256_shuffle_ps(__m256(a), __m256(b), _MM_SHUFFLE(3, 1, 3, 1)))};
}

/// The lanes of a splitEvenOddInPairs result (or of sums of them) in order.
inline FloatVector<8> inPairOrder(FloatVector<8> v) {
  return FloatVector<8>(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(__m256(v)), 0xD8)));
}
#endif

} // namespace spcc::kernels

#endif
