//===- Normalization.cpp - BatchNorm, LayerNorm and Softmax kernels -------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/SoftmaxExp.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace spcc::kernels;

namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

/// Rows handled per thread at least, in elements of work.
inline int64_t rowGrain(int64_t rowSize) {
  return std::max<int64_t>(1, 8192 / std::max<int64_t>(rowSize, 1));
}

/// Softmax along a contiguous row of n elements.
void softmaxRow(const float *x, float *y, int64_t n, bool isLog) {
  ConstArrayMap xs(x, n);
  ArrayMap ys(y, n);
  float max = xs.maxCoeff();
  float sum = expShifted(x, y, n, max);
  if (isLog)
    ys = (xs - max) - std::log(sum);
  else
    ys *= 1.0f / sum;
}

/// Softmax along a strided axis of n elements, step apart.
void softmaxStrided(const float *x, float *y, int64_t n, int64_t step, bool isLog) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) max = std::max(max, x[j * step]);
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    float e = softmaxExp(x[j * step] - max);
    y[j * step] = e;
    sum += e;
  }
  float logSum = std::log(sum), inv = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j)
    y[j * step] = isLog ? (x[j * step] - max) - logSum : y[j * step] * inv;
}

} // namespace

extern "C" int32_t spcc_kernel_batch_norm(const void *const *in, void *const *out,
                                          const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_batch_norm_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  const float *scale = static_cast<const float *>(in[1]);
  const float *bias = static_cast<const float *>(in[2]);
  const float *mean = static_cast<const float *>(in[3]);
  const float *var = static_cast<const float *>(in[4]);
  float *y = static_cast<float *>(out[0]);
  parallelFor(
      p.n * p.c, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
          int64_t c = plane % p.c;
          float mul = scale[c] / std::sqrt(var[c] + p.epsilon);
          float add = bias[c] - mean[c] * mul;
          const float *src = x + plane * p.spatial;
          float *dst = y + plane * p.spatial;
          for (int64_t i = 0; i < p.spatial; ++i) dst[i] = src[i] * mul + add;
        }
      },
      rowGrain(p.spatial));
  return SPCC_KERNEL_OK;
}

namespace {

/// Tokens a feature-major layer norm handles together: one vector of them, so that the
/// statistics of a feature-major input accumulate lane by lane, and a token-major side is
/// walked across this many rows at once (each cache line is used whole).
constexpr int64_t kTokenBlock = 64;

using TokenVector = Eigen::Array<float, kTokenBlock, 1>;

/// Feature-major X and Y, a whole block of tokens: each feature's kTokenBlock values are one
/// contiguous vector.
void layerNormFullBlock(const spcc_layer_norm_params &p, const float *x, const float *scale,
                        const float *bias, float *y, float *meanOut, float *invStdOut, int64_t t0) {
  int64_t n = p.size, rows = p.rows;
  auto column = [&](int64_t j) { return Eigen::Map<const TokenVector>(x + j * rows + t0); };
  // One pass for both moments, each token's values shifted by its first one: the variance
  // E[(x - s)^2] - E[x - s]^2 then cancels no more than the values' own spread, and the block
  // is read twice instead of three times.
  TokenVector shift = column(0), sum = TokenVector::Zero(), squares = TokenVector::Zero();
  for (int64_t j = 0; j < n; ++j) {
    TokenVector d = column(j) - shift;
    sum += d;
    squares += d.square();
  }
  TokenVector shiftedMean = sum / float(n);
  TokenVector mean = shift + shiftedMean;
  TokenVector variance = (squares / float(n) - shiftedMean.square()).max(0.0f);
  TokenVector invStd = (variance + p.epsilon).sqrt().inverse();
  // Scale and bias repeat with their periods: indices that wrap, not a division per feature.
  for (int64_t j = 0, js = 0, jb = 0; j < n; ++j) {
    Eigen::Map<TokenVector> out(y + j * rows + t0);
    out = (column(j) - mean) * invStd * scale[js];
    if (bias) out += bias[jb];
    if (++js == p.scale_period) js = 0;
    if (++jb == p.bias_period) jb = 0;
  }
  if (meanOut) Eigen::Map<TokenVector>(meanOut + t0) = mean;
  if (invStdOut) Eigen::Map<TokenVector>(invStdOut + t0) = invStd;
}

/// Layer norm of tokens [t0, t1), at most kTokenBlock of them, with X and / or Y feature-major
/// (element (t, j) at j * rows + t instead of t * size + j).
template <bool InputFeatureMajor, bool OutputFeatureMajor>
void layerNormTokenBlock(const spcc_layer_norm_params &p, const float *x, const float *scale,
                         const float *bias, float *y, float *meanOut, float *invStdOut, int64_t t0,
                         int64_t t1) {
  int64_t n = p.size, rows = p.rows, count = t1 - t0;
  if (InputFeatureMajor && OutputFeatureMajor && count == kTokenBlock && n > 0)
    return layerNormFullBlock(p, x, scale, bias, y, meanOut, invStdOut, t0);
  auto at = [&](int64_t t, int64_t j) {
    return InputFeatureMajor ? x[j * rows + t] : x[t * n + j];
  };
  float mean[kTokenBlock] = {}, invStd[kTokenBlock] = {};
  if (InputFeatureMajor) {
    // The sum shifted by each token's first value, as in layerNormFullBlock: a sum of
    // hundreds of values far from zero would lose the mean's low digits.
    float sum[kTokenBlock] = {}, squares[kTokenBlock] = {}, shift[kTokenBlock] = {};
    for (int64_t t = 0; t < count && n > 0; ++t) shift[t] = at(t0 + t, 0);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t t = 0; t < count; ++t) sum[t] += at(t0 + t, j) - shift[t];
    for (int64_t t = 0; t < count; ++t) mean[t] = n > 0 ? shift[t] + sum[t] / float(n) : 0.0f;
    for (int64_t j = 0; j < n; ++j)
      for (int64_t t = 0; t < count; ++t) {
        float d = at(t0 + t, j) - mean[t];
        squares[t] += d * d;
      }
    for (int64_t t = 0; t < count; ++t)
      invStd[t] = 1.0f / std::sqrt((n > 0 ? squares[t] / float(n) : 0.0f) + p.epsilon);
  } else {
    for (int64_t t = 0; t < count; ++t) {
      ConstArrayMap row(x + (t0 + t) * n, n);
      mean[t] = n > 0 ? row.sum() / float(n) : 0.0f;
      float var = n > 0 ? (row - mean[t]).square().sum() / float(n) : 0.0f;
      invStd[t] = 1.0f / std::sqrt(var + p.epsilon);
    }
  }
  // One side is token-major: walk it along its rows, the other across kTokenBlock rows.
  // Feature j's scale and bias, at indices that wrap (not a division per element).
  auto normalized = [&](int64_t t, int64_t j, int64_t js, int64_t jb) {
    float v = (at(t0 + t, j) - mean[t]) * invStd[t] * scale[js];
    return bias ? v + bias[jb] : v;
  };
  auto next = [&](int64_t &js, int64_t &jb) {
    if (++js == p.scale_period) js = 0;
    if (++jb == p.bias_period) jb = 0;
  };
  if (OutputFeatureMajor) {
    for (int64_t j = 0, js = 0, jb = 0; j < n; ++j, next(js, jb))
      for (int64_t t = 0; t < count; ++t) y[j * rows + t0 + t] = normalized(t, j, js, jb);
  } else {
    // In tiles of kFeatureTile features: feature-major X then serves all tokens of a tile from
    // kFeatureTile cache lines (a feature's tokens are contiguous), instead of n per token.
    constexpr int64_t kFeatureTile = 16;
    for (int64_t j0 = 0, js0 = 0, jb0 = 0; j0 < n; j0 += kFeatureTile) {
      int64_t j1 = std::min(n, j0 + kFeatureTile), js = js0, jb = jb0;
      for (int64_t t = 0; t < count; ++t) {
        js = js0, jb = jb0; // every token walks the tile's features from the first
        for (int64_t j = j0; j < j1; ++j, next(js, jb))
          y[(t0 + t) * n + j] = normalized(t, j, js, jb);
      }
      js0 = js, jb0 = jb;
    }
  }
  for (int64_t t = 0; t < count; ++t) {
    if (meanOut) meanOut[t0 + t] = mean[t];
    if (invStdOut) invStdOut[t0 + t] = invStd[t];
  }
}

template <bool InputFeatureMajor, bool OutputFeatureMajor>
void layerNormFeatureMajor(const spcc_layer_norm_params &p, const float *x, const float *scale,
                           const float *bias, float *y, float *meanOut, float *invStdOut,
                           int32_t numThreads) {
  int64_t blocks = (p.rows + kTokenBlock - 1) / kTokenBlock;
  parallelFor(
      blocks, numThreads,
      [&](int64_t begin, int64_t end) {
        for (int64_t block = begin; block < end; ++block)
          layerNormTokenBlock<InputFeatureMajor, OutputFeatureMajor>(
              p, x, scale, bias, y, meanOut, invStdOut, block * kTokenBlock,
              std::min(p.rows, (block + 1) * kTokenBlock));
      },
      std::max<int64_t>(1, rowGrain(p.size) / kTokenBlock));
}

} // namespace

extern "C" int32_t spcc_kernel_layer_norm(const void *const *in, void *const *out,
                                          const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_layer_norm_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  const float *scale = static_cast<const float *>(in[1]);
  const float *bias = p.has_bias ? static_cast<const float *>(in[2]) : nullptr;
  float *y = static_cast<float *>(out[0]);
  float *meanOut = p.num_outputs > 1 ? static_cast<float *>(out[1]) : nullptr;
  float *invStdOut = p.num_outputs > 2 ? static_cast<float *>(out[2]) : nullptr;
  if (p.input_feature_major || p.output_feature_major) {
    auto run = p.input_feature_major ? (p.output_feature_major ? layerNormFeatureMajor<true, true>
                                                               : layerNormFeatureMajor<true, false>)
                                     : layerNormFeatureMajor<false, true>;
    run(p, x, scale, bias, y, meanOut, invStdOut, num_threads);
    return SPCC_KERNEL_OK;
  }
  int64_t n = p.size;
  bool fullScale = p.scale_period == n, fullBias = !bias || p.bias_period == n;
  parallelFor(
      p.rows, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          ConstArrayMap row(x + r * n, n);
          ArrayMap dst(y + r * n, n);
          float mean = n > 0 ? row.sum() / float(n) : 0.0f;
          float var = n > 0 ? (row - mean).square().sum() / float(n) : 0.0f;
          float invStd = 1.0f / std::sqrt(var + p.epsilon);
          if (fullScale && fullBias) {
            ConstArrayMap s(scale, n);
            if (bias)
              dst = (row - mean) * invStd * s + ConstArrayMap(bias, n);
            else
              dst = (row - mean) * invStd * s;
          } else {
            for (int64_t j = 0; j < n; ++j) {
              float v = (row[j] - mean) * invStd * scale[j % p.scale_period];
              dst[j] = bias ? v + bias[j % p.bias_period] : v;
            }
          }
          if (meanOut) meanOut[r] = mean;
          if (invStdOut) invStdOut[r] = invStd;
        }
      },
      rowGrain(n));
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_softmax(const void *const *in, void *const *out, const void *params,
                                       int32_t num_threads) {
  const auto &p = *static_cast<const spcc_softmax_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  float *y = static_cast<float *>(out[0]);
  bool isLog = p.is_log != 0;
  if (p.axis == 0) return SPCC_KERNEL_OK;
  // One task per softmax vector: outer * inner of them.
  parallelFor(
      p.outer * p.inner, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t v = begin; v < end; ++v) {
          int64_t o = v / p.inner, i = v % p.inner;
          int64_t base = o * p.axis * p.inner + i;
          if (p.inner == 1)
            softmaxRow(x + base, y + base, p.axis, isLog);
          else
            softmaxStrided(x + base, y + base, p.axis, p.inner, isLog);
        }
      },
      rowGrain(p.axis));
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_instance_norm(const void *const *in, void *const *out,
                                             const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_instance_norm_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  const float *scale = static_cast<const float *>(in[1]), *bias = static_cast<const float *>(in[2]);
  float *y = static_cast<float *>(out[0]);
  int64_t size = p.plane_size;
  parallelFor(
      p.planes, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
          const float *src = x + plane * size;
          double mean = 0, variance = 0;
          for (int64_t i = 0; i < size; ++i) mean += src[i];
          mean /= double(size);
          for (int64_t i = 0; i < size; ++i) variance += (src[i] - mean) * (src[i] - mean);
          variance /= double(size);
          int64_t c = plane % p.channels;
          float a = float(double(scale[c]) / std::sqrt(variance + double(p.epsilon)));
          float b = float(double(bias[c]) - mean * double(a));
          float *dst = y + plane * size;
          for (int64_t i = 0; i < size; ++i) dst[i] = src[i] * a + b;
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(size, 1)));
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_lrn(const void *const *in, void *const *out, const void *params,
                                   int32_t num_threads) {
  const auto &p = *static_cast<const spcc_lrn_params *>(params);
  const float *x = static_cast<const float *>(in[0]);
  float *y = static_cast<float *>(out[0]);
  int64_t below = (p.size - 1) / 2, above = p.size - 1 - below;
  float scale = p.alpha / float(p.size);
  parallelFor(
      p.n * p.channels, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t bc = begin; bc < end; ++bc) {
          int64_t b = bc / p.channels, c = bc % p.channels;
          int64_t first = std::max<int64_t>(0, c - below);
          int64_t last = std::min<int64_t>(p.channels - 1, c + above);
          const float *src = x + bc * p.plane;
          float *dst = y + bc * p.plane;
          for (int64_t i = 0; i < p.plane; ++i) {
            float sum = 0;
            for (int64_t k = first; k <= last; ++k) {
              float v = x[(b * p.channels + k) * p.plane + i];
              sum += v * v;
            }
            dst[i] = src[i] / std::pow(p.bias + scale * sum, p.beta);
          }
        }
      },
      1);
  return SPCC_KERNEL_OK;
}
