//===- Normalization.cpp - BatchNorm, LayerNorm and Softmax kernels -------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/SoftmaxExp.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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

/// Sums over features [j0, j1) of feature-major X less \p shift, and of their squares, for
/// \p count tokens from t0 (kTokenBlock of them in registers when Vector is TokenVector).
template <typename Vector>
void sumShifted(const float *x, int64_t rows, const float *shift, int64_t j0, int64_t j1,
                int64_t t0, int64_t count, float *sum, float *squares) {
  using Tokens = Eigen::Map<const Vector>;
  Vector s = Vector::Zero(count), q = Vector::Zero(count);
  Tokens sh(shift + t0, count);
  for (int64_t j = j0; j < j1; ++j) {
    Vector d = Tokens(x + j * rows + t0, count) - sh;
    s += d;
    q += d.square();
  }
  Eigen::Map<Vector>(sum, count) = s;
  Eigen::Map<Vector>(squares, count) = q;
}

/// Features [j0, j1) of feature-major Y for \p count tokens from t0: X normalized by each
/// token's \p mean and \p invStd (kept in registers when Vector is TokenVector), scaled and
/// biased.
template <typename Vector>
void normalizeTokens(const spcc_layer_norm_params &p, const float *x, const float *scale,
                     const float *bias, float *y, const float *mean, const float *invStd,
                     int64_t j0, int64_t j1, int64_t t0, int64_t count) {
  if (j0 >= j1) return;
  using Tokens = Eigen::Map<const Vector>;
  Vector m = Tokens(mean + t0, count), inv = Tokens(invStd + t0, count);
  // Scale and bias repeat with their periods: indices that wrap, not a division per feature.
  int64_t js = j0 % p.scale_period, jb = j0 % p.bias_period;
  for (int64_t j = j0; j < j1; ++j) {
    Eigen::Map<Vector> out(y + j * p.rows + t0, count);
    if (bias)
      out = (Tokens(x + j * p.rows + t0, count) - m) * inv * scale[js] + bias[jb];
    else
      out = (Tokens(x + j * p.rows + t0, count) - m) * inv * scale[js];
    if (++js == p.scale_period) js = 0;
    if (++jb == p.bias_period) jb = 0;
  }
}

/// Features per group of the feature-major layer norm's partial sums: a fixed size, so that
/// the statistics come out the same on any number of threads.
constexpr int64_t kFeatureGroup = 64;

/// Feature-major X and Y ([size, rows]: each feature's tokens contiguous). Threads take
/// contiguous ranges of features, never of tokens: first each group's sums over its features,
/// then each thread combines all groups' sums and normalizes its own features. Split by tokens,
/// two threads would write alternate runs of every feature's row, and the two cores' caches
/// pass the lines at every boundary back and forth: on AMD Zen 4 (EPYC, family 25), two
/// threads writing alternate 256-byte runs of a [768, 128] buffer took 3-10x as long as one
/// thread writing all of it, contiguous halves half as long.
void layerNormFeatureRows(const spcc_layer_norm_params &p, const float *x, const float *scale,
                          const float *bias, float *y, float *meanOut, float *invStdOut,
                          int32_t numThreads) {
  const int64_t n = p.size, rows = p.rows;
  auto feature = [&](int64_t j) { return ConstArrayMap(x + j * rows, rows); };
  // Each token's values are summed shifted by its first one: the variance E[(x - s)^2] -
  // E[x - s]^2 then cancels no more than the values' own spread. (A copy: Y may be X.)
  Eigen::ArrayXf shift = n > 0 ? Eigen::ArrayXf(feature(0)) : Eigen::ArrayXf::Zero(rows);
  int64_t groups = (n + kFeatureGroup - 1) / kFeatureGroup;
  // Group g's sums at [2g * rows, (2g + 1) * rows), its sums of squares after them.
  std::vector<float> partial(size_t(2 * groups * rows));
  int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, kFeatureGroup * rows));
  parallelFor(
      groups, numThreads,
      [&](int64_t g0, int64_t g1) {
        for (int64_t g = g0; g < g1; ++g)
          for (int64_t t0 = 0; t0 < rows; t0 += kTokenBlock) {
            int64_t j0 = g * kFeatureGroup, j1 = std::min(n, j0 + kFeatureGroup);
            float *sum = partial.data() + 2 * g * rows + t0, *squares = sum + rows;
            if (t0 + kTokenBlock <= rows)
              sumShifted<TokenVector>(x, rows, shift.data(), j0, j1, t0, kTokenBlock, sum, squares);
            else
              sumShifted<Eigen::ArrayXf>(x, rows, shift.data(), j0, j1, t0, rows - t0, sum,
                                         squares);
          }
      },
      grain);
  parallelFor(
      std::max<int64_t>(groups, 1), numThreads,
      [&](int64_t g0, int64_t g1) {
        // Every thread combines the groups itself, in group order: cheaper than another
        // parallel step and its wait (groups * rows additions against its share of n * rows).
        Eigen::ArrayXf sum = Eigen::ArrayXf::Zero(rows), squares = Eigen::ArrayXf::Zero(rows);
        for (int64_t g = 0; g < groups; ++g) {
          sum += ConstArrayMap(partial.data() + 2 * g * rows, rows);
          squares += ConstArrayMap(partial.data() + (2 * g + 1) * rows, rows);
        }
        float count = float(std::max<int64_t>(n, 1));
        Eigen::ArrayXf shiftedMean = sum / count;
        Eigen::ArrayXf mean = shift + shiftedMean;
        Eigen::ArrayXf invStd =
            ((squares / count - shiftedMean.square()).max(0.0f) + p.epsilon).sqrt().inverse();
        if (g0 == 0 && meanOut) ArrayMap(meanOut, rows) = mean;
        if (g0 == 0 && invStdOut) ArrayMap(invStdOut, rows) = invStd;
        int64_t j0 = g0 * kFeatureGroup, j1 = std::min(n, g1 * kFeatureGroup);
        for (int64_t t0 = 0; t0 < rows; t0 += kTokenBlock) {
          if (t0 + kTokenBlock <= rows)
            normalizeTokens<TokenVector>(p, x, scale, bias, y, mean.data(), invStd.data(), j0, j1,
                                         t0, kTokenBlock);
          else
            normalizeTokens<Eigen::ArrayXf>(p, x, scale, bias, y, mean.data(), invStd.data(), j0,
                                            j1, t0, rows - t0);
        }
      },
      grain);
}

/// Layer norm of tokens [t0, t1), at most kTokenBlock of them, with X and / or Y feature-major
/// (element (t, j) at j * rows + t instead of t * size + j).
template <bool InputFeatureMajor, bool OutputFeatureMajor>
void layerNormTokenBlock(const spcc_layer_norm_params &p, const float *x, const float *scale,
                         const float *bias, float *y, float *meanOut, float *invStdOut, int64_t t0,
                         int64_t t1) {
  int64_t n = p.size, rows = p.rows, count = t1 - t0;
  auto at = [&](int64_t t, int64_t j) {
    return InputFeatureMajor ? x[j * rows + t] : x[t * n + j];
  };
  float mean[kTokenBlock] = {}, invStd[kTokenBlock] = {};
  if (InputFeatureMajor) {
    // The sum shifted by each token's first value, as in layerNormFeatureRows: a sum of
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
  if (p.input_feature_major && p.output_feature_major) {
    layerNormFeatureRows(p, x, scale, bias, y, meanOut, invStdOut, num_threads);
    return SPCC_KERNEL_OK;
  }
  if (p.input_feature_major || p.output_feature_major) {
    auto run = p.input_feature_major ? layerNormFeatureMajor<true, false>
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
