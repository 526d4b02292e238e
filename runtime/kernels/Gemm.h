//===- Gemm.h - The float32 matrix product shared by MatMul, Gemm, Conv --===//
#ifndef SPCC_RUNTIME_KERNELS_GEMM_H
#define SPCC_RUNTIME_KERNELS_GEMM_H

#include <cstdint>

namespace spcc::kernels {

/// A float32 matrix operand in memory: element (i, j) of the logical matrix is
/// at data[i * ld + j], or data[j * ld + i] when transposed.
struct MatrixRef {
  const float *data;
  int64_t ld;
  bool transposed = false;
};

/// C (m x n, element (i, j) at c[i * ldc + j]) = alpha * A * B (+ C when \p
/// accumulate), with A m x k and B k x n. Splits the larger of m and n across
/// at most \p numThreads threads.
void gemm(MatrixRef a, MatrixRef b, float *c, int64_t ldc, int64_t m, int64_t n, int64_t k,
          float alpha, bool accumulate, int32_t numThreads);

} // namespace spcc::kernels

#endif
