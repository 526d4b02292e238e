//===- StridedWalk.h - Walking strided operands of a row-major output ----===//
#ifndef SPCC_RUNTIME_KERNELS_STRIDEDWALK_H
#define SPCC_RUNTIME_KERNELS_STRIDEDWALK_H

#include "runtime/kernels/KernelParams.h"

#include <algorithm>
#include <cstdint>

namespace spcc::kernels {

/// Visits the elements [begin, end) of a row-major output of \p rank dims (rank
/// >= 1) in runs along the last axis: fn(outIndex, offsets, length), where
/// offsets[i] is the element offset of operand i (walking strides[i]) at the
/// run's first element. Within a run, operand i advances by strides[i][rank -
/// 1] per element.
template <int N, typename Fn>
void walkRuns(int rank, const int64_t *dims, const int64_t *const (&strides)[N], int64_t begin,
              int64_t end, Fn &&fn) {
  int64_t index[SPCC_KERNEL_MAX_RANK];
  int64_t offsets[N] = {};
  int64_t rest = begin;
  for (int d = rank - 1; d >= 0; --d) {
    index[d] = rest % dims[d];
    rest /= dims[d];
    for (int i = 0; i < N; ++i) offsets[i] += index[d] * strides[i][d];
  }
  int last = rank - 1;
  for (int64_t pos = begin; pos < end;) {
    int64_t length = std::min(dims[last] - index[last], end - pos);
    fn(pos, static_cast<const int64_t *>(offsets), length);
    pos += length;
    if (pos >= end) break;
    index[last] += length;
    for (int i = 0; i < N; ++i) offsets[i] += length * strides[i][last];
    for (int d = last; d > 0 && index[d] == dims[d]; --d) {
      index[d] = 0;
      ++index[d - 1];
      for (int i = 0; i < N; ++i) offsets[i] += strides[i][d - 1] - dims[d] * strides[i][d];
    }
  }
}

/// The number of elements of \p rank dims.
inline int64_t productOf(const int64_t *dims, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= dims[d];
  return n;
}

} // namespace spcc::kernels

#endif
