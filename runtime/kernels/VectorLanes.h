//===- VectorLanes.h - Float vectors of the ISA level, with masked ends ---===//
//
// The kernel library is compiled once per x86-64 level (v3: AVX2, v4: AVX-512). Kernels that
// pick their vector length by hand use these: a float vector of N lanes in clang's vector
// extension (arithmetic compiles for either level), and loads/stores of its first lanes only,
// for the ends of rows (masked moves: no lane outside the mask is read or written, so a row's
// last partial vector never touches memory past it).
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
  return FloatVector<Lanes>{} + v;
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

} // namespace spcc::kernels

#endif
