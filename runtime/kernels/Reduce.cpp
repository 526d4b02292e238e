//===- Reduce.cpp - ReduceSum / ReduceMean kernel ------------------------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/StridedWalk.h"

#include <Eigen/Core>

#include <type_traits>

using namespace spcc::kernels;

namespace {

template <typename T>
void reduce(const spcc_reduce_params &p, const T *x, T *y, int32_t numThreads) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
  int64_t outputs = productOf(p.kept_dims, p.kept_rank);
  int64_t count = productOf(p.reduced_dims, p.reduced_rank);
  int last = p.reduced_rank - 1;
  int64_t innerStride = p.reduced_strides[last];
  const int64_t *const strides[1] = {p.reduced_strides};
  parallelFor(
      outputs, numThreads,
      [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) {
          int64_t base = 0, rest = o;
          for (int d = p.kept_rank - 1; d >= 0; --d) {
            base += (rest % p.kept_dims[d]) * p.kept_strides[d];
            rest /= p.kept_dims[d];
          }
          Acc acc = 0;
          walkRuns<1>(p.reduced_rank, p.reduced_dims, strides, 0, count,
                      [&](int64_t, const int64_t *offsets, int64_t n) {
                        const T *src = x + base + offsets[0];
                        if constexpr (std::is_floating_point_v<T>) {
                          if (innerStride == 1) {
                            acc += Acc(
                                Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(src, n).sum());
                            return;
                          }
                        }
                        for (int64_t i = 0; i < n; ++i) acc += Acc(src[i * innerStride]);
                      });
          if constexpr (std::is_floating_point_v<T>)
            y[o] = T(p.is_mean ? acc / double(p.count) : acc); // 0 / 0: NaN, as the reference
          else
            y[o] = T(acc);
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(count, 1)));
}

} // namespace

extern "C" int32_t spcc_kernel_reduce(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_reduce_params *>(params);
  switch (p.dtype) {
  case SPCC_KDT_I64:
    reduce(p, static_cast<const int64_t *>(in[0]), static_cast<int64_t *>(out[0]), num_threads);
    return SPCC_KERNEL_OK;
  case SPCC_KDT_I32:
    reduce(p, static_cast<const int32_t *>(in[0]), static_cast<int32_t *>(out[0]), num_threads);
    return SPCC_KERNEL_OK;
  default:
    reduce(p, static_cast<const float *>(in[0]), static_cast<float *>(out[0]), num_threads);
    return SPCC_KERNEL_OK;
  }
}
