//===- MatMul.cpp - MatMul and Gemm kernels ------------------------------===//
#include "runtime/kernels/Gemm.h"
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/StridedWalk.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

using namespace spcc::kernels;

namespace {

/// FusedMatMul's epilogue on rows [r0, r1) of the [rows x n] result: bias, residual, post_op.
void finishRows(const spcc_matmul_params &p, const float *bias, const float *residual, float *c,
                int64_t r0, int64_t r1) {
  using Row = Eigen::Map<Eigen::ArrayXf>;
  using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
  for (int64_t r = r0; r < r1; ++r) {
    Row y(c + r * p.n, p.n);
    if (bias) y += ConstRow(bias, p.n);
    if (residual) y += ConstRow(residual + r * p.n, p.n);
    switch (p.post_op) {
    // Compare-and-select keeps NaN, as ONNX's Relu and Clip do (Eigen's max may not).
    case SPCC_POST_RELU: y = (y < 0.0f).select(0.0f, y); break;
    case SPCC_POST_CLIP:
      y = (y < p.post_min).select(p.post_min, (y > p.post_max).select(p.post_max, y));
      break;
    case SPCC_POST_GELU: y = 0.5f * y * (1.0f + (y * 0.7071067811865476f).erf()); break;
    default: break;
    }
  }
}

} // namespace

extern "C" int32_t spcc_kernel_matmul(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_matmul_params *>(params);
  const float *a = static_cast<const float *>(in[0]);
  const float *b = static_cast<const float *>(in[1]);
  float *c = static_cast<float *>(out[0]);
  int64_t batches = productOf(p.batch_dims, p.batch_rank);
  int threads = resolveThreads(num_threads);
  // Many small products (attention heads): one thread per batch range. Otherwise batches run
  // one after the other, each product split across the threads.
  bool perBatch = batches >= threads;
  auto runBatches = [&](int64_t begin, int64_t end, int32_t gemmThreads) {
    for (int64_t batch = begin; batch < end; ++batch) {
      int64_t aOffset = 0, bOffset = 0, rest = batch;
      for (int d = p.batch_rank - 1; d >= 0; --d) {
        int64_t i = rest % p.batch_dims[d];
        rest /= p.batch_dims[d];
        aOffset += i * p.a_batch_strides[d];
        bOffset += i * p.b_batch_strides[d];
      }
      gemm({a + aOffset, p.k}, {b + bOffset, p.n}, c + batch * p.m * p.n, p.n, p.m, p.n, p.k, 1.0f,
           false, gemmThreads);
    }
  };
  if (perBatch)
    parallelFor(batches, threads, [&](int64_t begin, int64_t end) { runBatches(begin, end, 1); });
  else
    runBatches(0, batches, threads);
  if (!p.has_bias && !p.has_residual && p.post_op == SPCC_POST_NONE) return SPCC_KERNEL_OK;
  const float *bias = p.has_bias ? static_cast<const float *>(in[2]) : nullptr;
  const float *residual = p.has_residual ? static_cast<const float *>(in[3]) : nullptr;
  parallelFor(
      batches * p.m, threads,
      [&](int64_t r0, int64_t r1) { finishRows(p, bias, residual, c, r0, r1); }, 16);
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_gemm(const void *const *in, void *const *out, const void *params,
                                    int32_t num_threads) {
  const auto &p = *static_cast<const spcc_gemm_params *>(params);
  float *y = static_cast<float *>(out[0]);
  bool accumulate = false;
  if (p.has_c && p.beta != 0.0f) {
    const float *c = static_cast<const float *>(in[2]);
    parallelFor(
        p.m, num_threads,
        [&](int64_t r0, int64_t r1) {
          for (int64_t i = r0; i < r1; ++i)
            for (int64_t j = 0; j < p.n; ++j)
              y[i * p.n + j] = p.beta * c[i * p.c_stride_m + j * p.c_stride_n];
        },
        64);
    accumulate = true;
  }
  MatrixRef a{static_cast<const float *>(in[0]), p.trans_a ? p.m : p.k, p.trans_a != 0};
  MatrixRef b{static_cast<const float *>(in[1]), p.trans_b ? p.k : p.n, p.trans_b != 0};
  gemm(a, b, y, p.n, p.m, p.n, p.k, p.alpha, accumulate, num_threads);
  return SPCC_KERNEL_OK;
}
