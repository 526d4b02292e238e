//===- Reduce.cpp - The Reduce* kernel ------------------------------------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/StridedWalk.h"

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <type_traits>

using namespace spcc::kernels;

namespace {

/// Calls \p fn(src, n, stride) for each run of the elements output \p o reduces.
template <typename T, typename Fn>
void forEachRun(const spcc_reduce_params &p, const T *x, int64_t o, Fn fn) {
  int64_t base = 0, rest = o;
  for (int d = p.kept_rank - 1; d >= 0; --d) {
    base += (rest % p.kept_dims[d]) * p.kept_strides[d];
    rest /= p.kept_dims[d];
  }
  int64_t count = productOf(p.reduced_dims, p.reduced_rank);
  int64_t innerStride = p.reduced_strides[p.reduced_rank - 1];
  const int64_t *const strides[1] = {p.reduced_strides};
  walkRuns<1>(p.reduced_rank, p.reduced_dims, strides, 0, count,
              [&](int64_t, const int64_t *offsets, int64_t n) {
                fn(x + base + offsets[0], n, innerStride);
              });
}

/// The reduction of output \p o: floats accumulate in double, integers wrap around.
template <typename T> T reduceOne(const spcc_reduce_params &p, const T *x, int64_t o) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
  int op = p.op;
  if (op == SPCC_REDUCE_MAX || op == SPCC_REDUCE_MIN) {
    bool isMax = op == SPCC_REDUCE_MAX;
    T best = isMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    if constexpr (std::is_floating_point_v<T>)
      best = isMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    forEachRun(p, x, o, [&](const T *src, int64_t n, int64_t stride) {
      for (int64_t i = 0; i < n; ++i) {
        T v = src[i * stride];
        if (v != v || (best == best && (isMax ? v > best : v < best))) best = v;
      }
    });
    return best;
  }
  if (op == SPCC_REDUCE_PROD) {
    Acc acc = 1;
    forEachRun(p, x, o, [&](const T *src, int64_t n, int64_t stride) {
      for (int64_t i = 0; i < n; ++i) acc *= Acc(src[i * stride]);
    });
    return T(acc);
  }
  double shift = 0; // LogSumExp: the maximum, so that no exp overflows
  if (op == SPCC_REDUCE_LOG_SUM_EXP) {
    spcc_reduce_params maxParams = p;
    maxParams.op = SPCC_REDUCE_MAX;
    shift = double(reduceOne(maxParams, x, o));
    if (!std::isfinite(shift)) shift = 0;
  }
  Acc acc = 0;
  forEachRun(p, x, o, [&](const T *src, int64_t n, int64_t stride) {
    if constexpr (std::is_floating_point_v<T>) {
      if ((op == SPCC_REDUCE_SUM || op == SPCC_REDUCE_MEAN || op == SPCC_REDUCE_LOG_SUM) &&
          stride == 1) {
        acc += Acc(Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(src, n).sum());
        return;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      T v = src[i * stride];
      switch (op) {
      case SPCC_REDUCE_L1: acc += Acc(v < T(0) ? T(0) - v : v); break;
      case SPCC_REDUCE_L2:
      case SPCC_REDUCE_SUM_SQUARE: acc += Acc(v) * Acc(v); break;
      case SPCC_REDUCE_LOG_SUM_EXP:
        if constexpr (std::is_floating_point_v<T>) acc += std::exp(double(v) - shift);
        break;
      default: acc += Acc(v); break;
      }
    }
  });
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
    case SPCC_REDUCE_MEAN: return T(acc / double(p.count)); // 0 / 0: NaN, as the reference
    case SPCC_REDUCE_L2: return T(std::sqrt(acc));
    case SPCC_REDUCE_LOG_SUM: return T(std::log(acc));
    case SPCC_REDUCE_LOG_SUM_EXP: return T(std::log(acc) + shift);
    default: return T(acc);
    }
  } else {
    return T(acc);
  }
}

template <typename T>
void reduce(const spcc_reduce_params &p, const T *x, T *y, int32_t numThreads) {
  int64_t outputs = productOf(p.kept_dims, p.kept_rank);
  int64_t count = productOf(p.reduced_dims, p.reduced_rank);
  parallelFor(
      outputs, numThreads,
      [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) y[o] = reduceOne(p, x, o);
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

namespace {

template <typename T>
void argReduce(const spcc_arg_reduce_params &p, const T *x, int64_t *y, int32_t numThreads) {
  parallelFor(
      p.outer * p.inner, numThreads,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          int64_t o = t / p.inner, i = t % p.inner;
          const T *src = x + o * p.axis_dim * p.inner + i;
          int64_t best = 0;
          for (int64_t k = 1; k < p.axis_dim; ++k) {
            T v = src[k * p.inner], b = src[best * p.inner];
            if (b != b) break; // a NaN is beyond everything; the first one wins
            bool better = v != v || (p.is_max ? v > b : v < b) || (p.select_last_index && v == b);
            if (better) best = k;
          }
          if (p.one_hot) {
            float *lane = reinterpret_cast<float *>(y) + o * p.axis_dim * p.inner + i;
            for (int64_t k = 0; k < p.axis_dim; ++k) lane[k * p.inner] = k == best ? 1.0f : 0.0f;
          } else {
            y[t] = best;
          }
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(p.axis_dim, 1)));
}

} // namespace

extern "C" int32_t spcc_kernel_arg_reduce(const void *const *in, void *const *out,
                                          const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_arg_reduce_params *>(params);
  int64_t *y = static_cast<int64_t *>(out[0]);
  switch (p.dtype) {
  case SPCC_KDT_I64: argReduce(p, static_cast<const int64_t *>(in[0]), y, num_threads); break;
  case SPCC_KDT_I32: argReduce(p, static_cast<const int32_t *>(in[0]), y, num_threads); break;
  default: argReduce(p, static_cast<const float *>(in[0]), y, num_threads); break;
  }
  return SPCC_KERNEL_OK;
}

namespace {

template <typename T> bool topKBefore(T a, int64_t ia, T b, int64_t ib, bool largest) {
  bool nanA = a != a, nanB = b != b; // NaN only for floats
  if (nanA || nanB) {
    if (nanA && nanB) return ia < ib;
    return largest ? nanA : nanB;
  }
  if (a != b) return largest ? a > b : a < b;
  return ia < ib;
}

template <typename T>
void topK(const spcc_top_k_params &p, const T *x, T *values, int64_t *indices, int32_t numThreads) {
  parallelFor(
      p.outer * p.inner, numThreads,
      [&](int64_t begin, int64_t end) {
        std::vector<int64_t> order(size_t(p.axis_dim));
        for (int64_t t = begin; t < end; ++t) {
          int64_t o = t / p.inner, i = t % p.inner;
          const T *row = x + o * p.axis_dim * p.inner + i;
          for (int64_t j = 0; j < p.axis_dim; ++j) order[size_t(j)] = j;
          // Index order breaks ties, so the partial sort is deterministic.
          std::partial_sort(
              order.begin(), order.begin() + p.k, order.end(), [&](int64_t a, int64_t b) {
                return topKBefore(row[a * p.inner], a, row[b * p.inner], b, p.largest != 0);
              });
          for (int64_t j = 0; j < p.k; ++j) {
            int64_t e = (o * p.k + j) * p.inner + i;
            indices[e] = order[size_t(j)];
            values[e] = row[order[size_t(j)] * p.inner];
          }
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(p.axis_dim, 1)));
}

} // namespace

extern "C" int32_t spcc_kernel_top_k(const void *const *in, void *const *out, const void *params,
                                     int32_t num_threads) {
  const auto &p = *static_cast<const spcc_top_k_params *>(params);
  auto *indices = static_cast<int64_t *>(out[1]);
  switch (p.dtype) {
  case SPCC_KDT_I64:
    topK(p, static_cast<const int64_t *>(in[0]), static_cast<int64_t *>(out[0]), indices,
         num_threads);
    break;
  case SPCC_KDT_I32:
    topK(p, static_cast<const int32_t *>(in[0]), static_cast<int32_t *>(out[0]), indices,
         num_threads);
    break;
  default:
    topK(p, static_cast<const float *>(in[0]), static_cast<float *>(out[0]), indices, num_threads);
    break;
  }
  return SPCC_KERNEL_OK;
}

namespace {

template <typename T>
void cumsum(const spcc_cumsum_params &p, const T *x, T *y, int32_t numThreads) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
  parallelFor(
      p.outer * p.inner, numThreads,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          int64_t o = t / p.inner, i = t % p.inner;
          Acc acc = 0;
          for (int64_t s = 0; s < p.axis_dim; ++s) {
            int64_t k = p.reverse ? p.axis_dim - 1 - s : s;
            int64_t e = (o * p.axis_dim + k) * p.inner + i;
            Acc v = Acc(x[e]);
            if (!p.exclusive) acc += v;
            y[e] = T(acc);
            if (p.exclusive) acc += v;
          }
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(p.axis_dim, 1)));
}

} // namespace

extern "C" int32_t spcc_kernel_cumsum(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_cumsum_params *>(params);
  switch (p.dtype) {
  case SPCC_KDT_I64:
    cumsum(p, static_cast<const int64_t *>(in[0]), static_cast<int64_t *>(out[0]), num_threads);
    break;
  case SPCC_KDT_I32:
    cumsum(p, static_cast<const int32_t *>(in[0]), static_cast<int32_t *>(out[0]), num_threads);
    break;
  default:
    cumsum(p, static_cast<const float *>(in[0]), static_cast<float *>(out[0]), num_threads);
    break;
  }
  return SPCC_KERNEL_OK;
}
