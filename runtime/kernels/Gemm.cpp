//===- Gemm.cpp - Eigen matrix products split across threads -------------===//
#include "runtime/kernels/Gemm.h"

#include "runtime/kernels/Parallel.h"

#include <Eigen/Core>

namespace spcc::kernels {
namespace {

using Stride = Eigen::OuterStride<>;
template <int Order>
using ConstMatrix = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Order>,
                               Eigen::Unaligned, Stride>;
using OutMatrix = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
                             Eigen::Unaligned, Stride>;

/// Rows or columns per thread below which splitting a product is not worth it.
constexpr int64_t minBlock = 16;

/// The rows [r0, r1) and columns [c0, c1) of C.
template <typename A, typename B>
void block(const A &a, const B &b, OutMatrix &c, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
           float alpha, bool accumulate) {
  auto out = c.block(r0, c0, r1 - r0, c1 - c0);
  auto lhs = a.middleRows(r0, r1 - r0);
  auto rhs = b.middleCols(c0, c1 - c0);
  if (accumulate)
    out.noalias() += alpha * lhs * rhs;
  else if (alpha == 1.0f)
    out.noalias() = lhs * rhs;
  else
    out.noalias() = alpha * lhs * rhs;
}

template <typename A, typename B>
void split(const A &a, const B &b, OutMatrix &c, int64_t m, int64_t n, float alpha, bool accumulate,
           int32_t numThreads) {
  if (m >= n)
    parallelFor(
        m, numThreads,
        [&](int64_t r0, int64_t r1) { block(a, b, c, r0, r1, 0, n, alpha, accumulate); }, minBlock);
  else
    parallelFor(
        n, numThreads,
        [&](int64_t c0, int64_t c1) { block(a, b, c, 0, m, c0, c1, alpha, accumulate); }, minBlock);
}

} // namespace

void gemm(MatrixRef a, MatrixRef b, float *c, int64_t ldc, int64_t m, int64_t n, int64_t k,
          float alpha, bool accumulate, int32_t numThreads) {
  if (m == 0 || n == 0) return;
  OutMatrix cm(c, m, n, Stride(ldc));
  if (k == 0) {
    if (!accumulate) cm.setZero();
    return;
  }
  // Eigen's blocking sizes are process-wide statics: initialise them before any
  // thread does.
  Eigen::initParallel();
  ConstMatrix<Eigen::RowMajor> aRow(a.data, m, k, Stride(a.ld));
  ConstMatrix<Eigen::ColMajor> aCol(a.data, m, k, Stride(a.ld));
  ConstMatrix<Eigen::RowMajor> bRow(b.data, k, n, Stride(b.ld));
  ConstMatrix<Eigen::ColMajor> bCol(b.data, k, n, Stride(b.ld));
  if (!a.transposed && !b.transposed)
    split(aRow, bRow, cm, m, n, alpha, accumulate, numThreads);
  else if (!a.transposed)
    split(aRow, bCol, cm, m, n, alpha, accumulate, numThreads);
  else if (!b.transposed)
    split(aCol, bRow, cm, m, n, alpha, accumulate, numThreads);
  else
    split(aCol, bCol, cm, m, n, alpha, accumulate, numThreads);
}

} // namespace spcc::kernels
