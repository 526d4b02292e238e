//===- Transpose.h - 2-D float transpose for staging sparse layers -------===//
//
// Sparse layers of token-major MatMuls read their input transposed and write
// their result transposed back; at BERT sizes ([128 x 768] per product) a
// scalar transpose cost more than the sparse product itself. This one moves
// 16 x 16 tiles as 8 x 8 blocks through registers with AVX shuffles and can add a residual
// while it writes, so a fused residual costs no extra pass.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_TRANSPOSE_H
#define SPCC_RUNTIME_KERNELS_TRANSPOSE_H

#include "runtime/kernels/Parallel.h"

#include <algorithm>
#include <cstdint>

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace spcc::kernels {

namespace detail {

/// dst[c * ldd + r] = src[r * lds + c] (+ addend[c * ldd + r]) for r < rows, c < cols.
inline void transposeScalar(const float *src, int64_t lds, float *dst, int64_t ldd,
                            const float *addend, int64_t rows, int64_t cols) {
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = 0; r < rows; ++r)
      dst[c * ldd + r] = src[r * lds + c] + (addend ? addend[c * ldd + r] : 0.0f);
}

#ifdef __AVX2__
/// Transposes the 8 x 8 floats of \p r in place: r[i] lane j becomes r[j] lane i.
inline void transpose8x8InRegisters(__m256 (&r)[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // r[0..3] hold columns 0..3 of rows 0-3 | 4-7 interleaved by 128-bit lane.
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
    t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
  }
  for (int i = 0; i < 8; ++i) r[i] = t[i];
}

/// One full 8 x 8 block of transposeScalar.
inline void transpose8x8(const float *src, int64_t lds, float *dst, int64_t ldd,
                         const float *addend) {
  __m256 r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  transpose8x8InRegisters(r);
  for (int c = 0; c < 8; ++c) {
    __m256 v = r[c];
    if (addend) v = _mm256_add_ps(v, _mm256_loadu_ps(addend + c * ldd));
    _mm256_storeu_ps(dst + c * ldd, v);
  }
}
#endif

} // namespace detail

/// dst[cols x rows] = transpose of src[rows x cols], plus \p addend (of dst's
/// shape) when it is not null.
inline void transposeInto(const float *src, float *dst, int64_t rows, int64_t cols, int32_t threads,
                          const float *addend = nullptr) {
  // Tiles of 16 x 16 read and write whole cache lines; a row of tiles (16 source columns, so
  // 16 whole dst rows) is the unit of parallel work.
  constexpr int64_t tile = 16;
  auto transposeTile = [&](int64_t r0, int64_t c0, int64_t height, int64_t width) {
    const float *add = addend ? addend + c0 * rows + r0 : nullptr;
#ifdef __AVX2__
    if (height == tile && width == tile) {
      constexpr int64_t block = 8;
      for (int64_t r = 0; r < tile; r += block)
        for (int64_t c = 0; c < tile; c += block)
          detail::transpose8x8(src + (r0 + r) * cols + c0 + c, cols, dst + (c0 + c) * rows + r0 + r,
                               rows, add ? add + c * rows + r : nullptr);
      return;
    }
#endif
    detail::transposeScalar(src + r0 * cols + c0, cols, dst + c0 * rows + r0, rows, add, height,
                            width);
  };
  parallelFor((cols + tile - 1) / tile, threads,
              [&](int64_t t0, int64_t t1) {
                for (int64_t c0 = t0 * tile; c0 < std::min(cols, t1 * tile); c0 += tile)
                  for (int64_t r0 = 0; r0 < rows; r0 += tile)
                    transposeTile(r0, c0, std::min(tile, rows - r0), std::min(tile, cols - c0));
              },
              /*grain=*/4);
}

} // namespace spcc::kernels

#endif
