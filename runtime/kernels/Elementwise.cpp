//===- Elementwise.cpp - Unary, binary, Where and Cast kernels -----------===//
#include "runtime/kernels/ElementSize.h"
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/StridedWalk.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

using namespace spcc::kernels;

namespace {

/// Elements per thread below which splitting an elementwise loop costs more
/// than it saves.
constexpr int64_t elementwiseGrain = 16384;

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

void unaryFloat(const spcc_unary_params &p, const float *src, float *dst, float lo, float hi,
                int32_t numThreads) {
  parallelFor(
      p.count, numThreads,
      [&](int64_t begin, int64_t end) {
        const float *x = src + begin;
        float *y = dst + begin;
        int64_t n = end - begin;
        ConstArrayMap xs(x, n);
        ArrayMap ys(y, n);
        switch (p.op) {
#define SPCC_UNARY_OP(Op, CODE, ...)                                                               \
  case SPCC_UNARY_##CODE: __VA_ARGS__; break;
#include "runtime/kernels/UnaryOps.def"
        default: break;
        }
      },
      elementwiseGrain);
}

template <typename T>
void unaryInteger(const spcc_unary_params &p, const void *const *in, void *out,
                  int32_t numThreads) {
  const T *x = static_cast<const T *>(in[0]);
  T *y = static_cast<T *>(out);
  T lo = T(p.int_min), hi = T(p.int_max);
  if (p.min_from_input) lo = *static_cast<const T *>(in[1]);
  if (p.max_from_input) hi = *static_cast<const T *>(in[2]);
  using U = std::make_unsigned_t<T>;
  parallelFor(
      p.count, numThreads,
      [&](int64_t begin, int64_t end) {
        if (p.op == SPCC_UNARY_NEG)
          for (int64_t i = begin; i < end; ++i) y[i] = T(U(0) - U(x[i]));
        else
          for (int64_t i = begin; i < end; ++i) y[i] = std::min(std::max(x[i], lo), hi);
      },
      elementwiseGrain);
}

/// a OP b with integer overflow wrapping and integer division by zero giving 0.
template <int Op, typename T> inline T arith(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    if constexpr (Op == SPCC_BINARY_ADD) return T(U(a) + U(b));
    if constexpr (Op == SPCC_BINARY_SUB) return T(U(a) - U(b));
    if constexpr (Op == SPCC_BINARY_MUL) return T(U(a) * U(b));
    if constexpr (Op == SPCC_BINARY_DIV) {
      if (b == T(0)) return T(0);
      if (b == T(-1)) return T(U(0) - U(a));
      return T(a / b);
    }
  } else {
    if constexpr (Op == SPCC_BINARY_ADD) return a + b;
    if constexpr (Op == SPCC_BINARY_SUB) return a - b;
    if constexpr (Op == SPCC_BINARY_MUL) return a * b;
    if constexpr (Op == SPCC_BINARY_DIV) return a / b;
  }
  return T(0);
}

/// max / min where a NaN operand gives NaN (numpy's maximum / minimum).
template <typename T> inline T maxOf(T a, T b) { return a != a || a > b ? a : b; }
template <typename T> inline T minOf(T a, T b) { return a != a || a < b ? a : b; }

/// The remainder of a / b with the divisor's sign (\p floored, ONNX Mod with fmod = 0) or the
/// dividend's (C); an integer division by zero gives 0.
template <bool Floored, typename T> inline T remainderOf(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == T(0)) return T(0);
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return T(0); // MIN % -1 overflows
    T r = T(a % b);
    if constexpr (Floored && std::is_signed_v<T>)
      if (r != T(0) && ((r < 0) != (b < 0))) r = T(r + b);
    return r;
  } else {
    T r = std::fmod(a, b);
    if constexpr (Floored)
      if (r != T(0) && ((r < 0) != (b < 0))) r += b;
    return r;
  }
}

/// One binary op over all runs, with the inner loop specialised on which
/// operand is contiguous and which is broadcast, so the common cases vectorize.
/// \p fn(a, b) -> result.
template <typename A, typename B, typename R, typename Fn>
void binaryRuns(const spcc_binary_params &p, const A *a, const B *b, R *out, Fn fn,
                int32_t numThreads) {
  int rank = p.rank;
  int64_t total = productOf(p.dims, rank);
  const int64_t *const strides[2] = {p.a_strides, p.b_strides};
  int64_t sa = p.a_strides[rank - 1], sb = p.b_strides[rank - 1];
  parallelFor(
      total, numThreads,
      [&](int64_t begin, int64_t end) {
        walkRuns<2>(rank, p.dims, strides, begin, end,
                    [&](int64_t pos, const int64_t *offsets, int64_t n) {
                      const A *x = a + offsets[0];
                      const B *y = b + offsets[1];
                      R *z = out + pos;
                      if (sa == 1 && sb == 1) {
                        for (int64_t i = 0; i < n; ++i) z[i] = fn(x[i], y[i]);
                      } else if (sa == 1 && sb == 0) {
                        B yv = *y;
                        for (int64_t i = 0; i < n; ++i) z[i] = fn(x[i], yv);
                      } else if (sa == 0 && sb == 1) {
                        A xv = *x;
                        for (int64_t i = 0; i < n; ++i) z[i] = fn(xv, y[i]);
                      } else {
                        for (int64_t i = 0; i < n; ++i) z[i] = fn(x[i * sa], y[i * sb]);
                      }
                    });
      },
      elementwiseGrain);
}

/// Equal, Greater, Less, GreaterOrEqual, LessOrEqual: bool output.
template <typename T>
void binaryCompare(const spcc_binary_params &p, const void *a, const void *b, void *out,
                   int32_t numThreads) {
  auto run = [&](auto fn) {
    binaryRuns(p, static_cast<const T *>(a), static_cast<const T *>(b), static_cast<uint8_t *>(out),
               fn, numThreads);
  };
  switch (p.op) {
  case SPCC_BINARY_EQUAL: run([](T x, T y) { return uint8_t(x == y ? 1 : 0); }); break;
  case SPCC_BINARY_GREATER: run([](T x, T y) { return uint8_t(x > y ? 1 : 0); }); break;
  case SPCC_BINARY_LESS: run([](T x, T y) { return uint8_t(x < y ? 1 : 0); }); break;
  case SPCC_BINARY_GREATER_OR_EQUAL: run([](T x, T y) { return uint8_t(x >= y ? 1 : 0); }); break;
  case SPCC_BINARY_LESS_OR_EQUAL: run([](T x, T y) { return uint8_t(x <= y ? 1 : 0); }); break;
  default: break;
  }
}

template <typename T>
void binaryArith(const spcc_binary_params &p, const void *a, const void *b, void *out,
                 int32_t numThreads) {
  auto run = [&](auto fn) {
    binaryRuns(p, static_cast<const T *>(a), static_cast<const T *>(b), static_cast<T *>(out), fn,
               numThreads);
  };
  switch (p.op) {
  case SPCC_BINARY_ADD: run([](T x, T y) { return arith<SPCC_BINARY_ADD>(x, y); }); break;
  case SPCC_BINARY_SUB: run([](T x, T y) { return arith<SPCC_BINARY_SUB>(x, y); }); break;
  case SPCC_BINARY_MUL: run([](T x, T y) { return arith<SPCC_BINARY_MUL>(x, y); }); break;
  case SPCC_BINARY_DIV: run([](T x, T y) { return arith<SPCC_BINARY_DIV>(x, y); }); break;
  case SPCC_BINARY_MAX: run([](T x, T y) { return maxOf(x, y); }); break;
  case SPCC_BINARY_MIN: run([](T x, T y) { return minOf(x, y); }); break;
  case SPCC_BINARY_MOD: run([](T x, T y) { return remainderOf<true>(x, y); }); break;
  case SPCC_BINARY_FMOD: run([](T x, T y) { return remainderOf<false>(x, y); }); break;
  case SPCC_BINARY_AND: run([](T x, T y) { return T(x && y ? 1 : 0); }); break;
  case SPCC_BINARY_OR: run([](T x, T y) { return T(x || y ? 1 : 0); }); break;
  case SPCC_BINARY_XOR: run([](T x, T y) { return T((x != 0) != (y != 0) ? 1 : 0); }); break;
  case SPCC_BINARY_PRELU:
    if constexpr (std::is_floating_point_v<T>) run([](T x, T y) { return x < T(0) ? x * y : x; });
    break;
  default: binaryCompare<T>(p, a, b, out, numThreads); break;
  }
}

template <typename E>
void binaryPow(const spcc_binary_params &p, const void *a, const void *b, void *out,
               int32_t numThreads) {
  binaryRuns(
      p, static_cast<const float *>(a), static_cast<const E *>(b), static_cast<float *>(out),
      [](float x, E y) {
        float e = float(y);
        return e == 2.0f ? x * x : std::pow(x, e);
      },
      numThreads);
}

/// Calls fn with a value of the C++ type of \p dtype (Bool and UInt8: uint8_t).
template <typename Fn> void dispatchType(int32_t dtype, Fn &&fn) {
  switch (dtype) {
  case SPCC_KDT_I64: fn(int64_t{}); break;
  case SPCC_KDT_I32: fn(int32_t{}); break;
  case SPCC_KDT_I8: fn(int8_t{}); break;
  case SPCC_KDT_U8:
  case SPCC_KDT_BOOL: fn(uint8_t{}); break;
  default: fn(float{}); break;
  }
}

template <typename From, typename To> inline To convert(From v, bool toBool) {
  if (toBool) return To(v != From(0) ? 1 : 0);
  if constexpr (std::is_integral_v<From> && std::is_floating_point_v<To>)
    return To(double(v)); // as the reference evaluation, through double
  else
    return To(v);
}

} // namespace

extern "C" int32_t spcc_kernel_unary(const void *const *in, void *const *out, const void *params,
                                     int32_t num_threads) {
  const auto &p = *static_cast<const spcc_unary_params *>(params);
  switch (p.dtype) {
  case SPCC_KDT_I64: unaryInteger<int64_t>(p, in, out[0], num_threads); return SPCC_KERNEL_OK;
  case SPCC_KDT_I32: unaryInteger<int32_t>(p, in, out[0], num_threads); return SPCC_KERNEL_OK;
  case SPCC_KDT_I8: unaryInteger<int8_t>(p, in, out[0], num_threads); return SPCC_KERNEL_OK;
  default: break;
  }
  float lo = p.alpha, hi = p.beta;
  if (p.op == SPCC_UNARY_CLIP) {
    if (p.min_from_input) lo = *static_cast<const float *>(in[1]);
    if (p.max_from_input) hi = *static_cast<const float *>(in[2]);
  }
  unaryFloat(p, static_cast<const float *>(in[0]), static_cast<float *>(out[0]), lo, hi,
             num_threads);
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_binary(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_binary_params *>(params);
  if (p.op == SPCC_BINARY_POW) {
    switch (p.b_dtype) {
    case SPCC_KDT_I64:
      binaryPow<int64_t>(p, in[0], in[1], out[0], num_threads);
      return SPCC_KERNEL_OK;
    case SPCC_KDT_I32:
      binaryPow<int32_t>(p, in[0], in[1], out[0], num_threads);
      return SPCC_KERNEL_OK;
    default: binaryPow<float>(p, in[0], in[1], out[0], num_threads); return SPCC_KERNEL_OK;
    }
  }
  switch (p.dtype) {
  case SPCC_KDT_I64:
    binaryArith<int64_t>(p, in[0], in[1], out[0], num_threads);
    return SPCC_KERNEL_OK;
  case SPCC_KDT_I32:
    binaryArith<int32_t>(p, in[0], in[1], out[0], num_threads);
    return SPCC_KERNEL_OK;
  case SPCC_KDT_U8:
  case SPCC_KDT_BOOL:
    binaryArith<uint8_t>(p, in[0], in[1], out[0], num_threads);
    return SPCC_KERNEL_OK;
  default: binaryArith<float>(p, in[0], in[1], out[0], num_threads); return SPCC_KERNEL_OK;
  }
}

extern "C" int32_t spcc_kernel_where(const void *const *in, void *const *out, const void *params,
                                     int32_t num_threads) {
  const auto &p = *static_cast<const spcc_where_params *>(params);
  int64_t total = productOf(p.dims, p.rank);
  const int64_t *const strides[3] = {p.cond_strides, p.x_strides, p.y_strides};
  const uint8_t *cond = static_cast<const uint8_t *>(in[0]);
  dispatchSize(p.elem_size, [&](auto zero) {
    using T = decltype(zero);
    const T *x = static_cast<const T *>(in[1]);
    const T *y = static_cast<const T *>(in[2]);
    T *z = static_cast<T *>(out[0]);
    int last = p.rank - 1;
    int64_t sc = p.cond_strides[last], sx = p.x_strides[last], sy = p.y_strides[last];
    parallelFor(
        total, num_threads,
        [&](int64_t begin, int64_t end) {
          walkRuns<3>(p.rank, p.dims, strides, begin, end,
                      [&](int64_t pos, const int64_t *o, int64_t n) {
                        for (int64_t i = 0; i < n; ++i)
                          z[pos + i] = cond[o[0] + i * sc] ? x[o[1] + i * sx] : y[o[2] + i * sy];
                      });
        },
        elementwiseGrain);
  });
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_predicate(const void *const *in, void *const *out,
                                         const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_predicate_params *>(params);
  uint8_t *y = static_cast<uint8_t *>(out[0]);
  parallelFor(
      p.count, num_threads,
      [&](int64_t begin, int64_t end) {
        if (p.op == SPCC_PREDICATE_NOT) {
          const uint8_t *x = static_cast<const uint8_t *>(in[0]);
          for (int64_t i = begin; i < end; ++i) y[i] = x[i] ? 0 : 1;
          return;
        }
        const float *x = static_cast<const float *>(in[0]);
        float inf = std::numeric_limits<float>::infinity();
        for (int64_t i = begin; i < end; ++i)
          y[i] = p.op == SPCC_PREDICATE_IS_NAN ? uint8_t(x[i] != x[i])
                                               : uint8_t((p.detect_positive && x[i] == inf) ||
                                                         (p.detect_negative && x[i] == -inf));
      },
      elementwiseGrain);
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_cast(const void *const *in, void *const *out, const void *params,
                                    int32_t num_threads) {
  const auto &p = *static_cast<const spcc_cast_params *>(params);
  bool toBool = p.to == SPCC_KDT_BOOL;
  dispatchType(p.from, [&](auto fromZero) {
    using From = decltype(fromZero);
    dispatchType(p.to, [&](auto toZero) {
      using To = decltype(toZero);
      const From *x = static_cast<const From *>(in[0]);
      To *y = static_cast<To *>(out[0]);
      parallelFor(
          p.count, num_threads,
          [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) y[i] = convert<From, To>(x[i], toBool);
          },
          elementwiseGrain);
    });
  });
  return SPCC_KERNEL_OK;
}
