//===- DataMovement.cpp - Copy kernels: strided copy, Concat, Gather, Scatter, ... ===//
#include "runtime/kernels/ElementSize.h"
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/StridedWalk.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>

using namespace spcc::kernels;

namespace {

/// Bytes per thread below which splitting a copy is not worth it.
constexpr int64_t copyGrainBytes = 65536;

/// The input coordinate that output coordinate \p o of an axis padded by \p
/// begin reads, or -1 for the constant.
inline int64_t padSource(int64_t o, int64_t begin, int64_t dim, int32_t mode) {
  int64_t i = o - begin;
  if (i >= 0 && i < dim) return i;
  if (mode == SPCC_PAD_REFLECT) return i < 0 ? -i : 2 * (dim - 1) - i;
  if (mode == SPCC_PAD_EDGE) return std::clamp<int64_t>(i, 0, dim - 1);
  return -1;
}

/// Copies rows of a concat (\p toParts false: parts into the whole) or a split
/// (the reverse).
void concatOrSplit(const spcc_concat_params &p, uint8_t *whole, void *const *parts, bool toParts,
                   int32_t numThreads) {
  int64_t rowBytes = 0;
  for (int i = 0; i < p.num_parts; ++i) rowBytes += p.part_bytes[i];
  parallelFor(
      p.outer, numThreads,
      [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) {
          uint8_t *row = whole + o * rowBytes;
          for (int i = 0; i < p.num_parts; ++i) {
            int64_t size = p.part_bytes[i];
            uint8_t *part = static_cast<uint8_t *>(parts[i]) + o * size;
            if (size > 0) {
              if (toParts)
                std::memcpy(part, row, size_t(size));
              else
                std::memcpy(row, part, size_t(size));
            }
            row += size;
          }
        }
      },
      std::max<int64_t>(1, copyGrainBytes / std::max<int64_t>(rowBytes, 1)));
}

/// a combined with b by \p reduction (spcc_scatter_reduction); integers wrap. The reference
/// evaluation (compiler/ops/Indexing.cpp) combines alike.
template <typename T> inline T combine(int32_t reduction, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    if (reduction == SPCC_SCATTER_ADD) return T(U(a) + U(b));
    if (reduction == SPCC_SCATTER_MUL) return T(U(a) * U(b));
  } else {
    if (reduction == SPCC_SCATTER_ADD) return a + b;
    if (reduction == SPCC_SCATTER_MUL) return a * b;
  }
  if (reduction == SPCC_SCATTER_MAX) return std::max(a, b);
  if (reduction == SPCC_SCATTER_MIN) return std::min(a, b);
  return b;
}

/// Calls \p fn with a value of the element type a scatter works in: an unsigned type of
/// \p elemSize bytes when updates replace elements, else the C type of \p dtype.
template <typename Fn>
void dispatchScatter(int32_t reduction, int32_t dtype, int32_t elemSize, Fn &&fn) {
  if (reduction == SPCC_SCATTER_NONE) return dispatchSize(elemSize, fn);
  if (dtype == SPCC_KDT_I64) return fn(int64_t{});
  if (dtype == SPCC_KDT_I32) return fn(int32_t{});
  fn(float{});
}

/// Reads element \p i of an index tensor of \p dtype (int64 or int32).
inline int64_t readIndex(const void *indices, int32_t dtype, int64_t i) {
  return dtype == SPCC_KDT_I32 ? static_cast<const int32_t *>(indices)[i]
                               : static_cast<const int64_t *>(indices)[i];
}

/// Copies \p bytes from \p src to \p dst on up to \p numThreads threads (nothing when
/// they are the same buffer).
void parallelCopy(uint8_t *dst, const uint8_t *src, int64_t bytes, int32_t numThreads) {
  if (dst == src) return;
  parallelFor(
      bytes, numThreads,
      [&](int64_t begin, int64_t end) {
        std::memcpy(dst + begin, src + begin, size_t(end - begin));
      },
      copyGrainBytes);
}

} // namespace

extern "C" int32_t spcc_kernel_strided_copy(const void *const *in, void *const *out,
                                            const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_strided_copy_params *>(params);
  int64_t total = productOf(p.dims, p.rank);
  const int64_t *const strides[1] = {p.strides};
  int64_t inner = p.strides[p.rank - 1];
  dispatchSize(p.elem_size, [&](auto zero) {
    using T = decltype(zero);
    const T *src = static_cast<const T *>(in[0]) + p.offset;
    T *dst = static_cast<T *>(out[0]);
    parallelFor(
        total, num_threads,
        [&](int64_t begin, int64_t end) {
          walkRuns<1>(p.rank, p.dims, strides, begin, end,
                      [&](int64_t pos, const int64_t *offsets, int64_t n) {
                        const T *s = src + offsets[0];
                        T *d = dst + pos;
                        if (inner == 1)
                          std::memcpy(d, s, size_t(n) * sizeof(T));
                        else if (inner == 0)
                          std::fill(d, d + n, *s);
                        else
                          for (int64_t i = 0; i < n; ++i) d[i] = s[i * inner];
                      });
        },
        copyGrainBytes / p.elem_size);
  });
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_concat(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  concatOrSplit(*static_cast<const spcc_concat_params *>(params), static_cast<uint8_t *>(out[0]),
                const_cast<void *const *>(in), false, num_threads);
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_split(const void *const *in, void *const *out, const void *params,
                                     int32_t num_threads) {
  concatOrSplit(*static_cast<const spcc_concat_params *>(params),
                static_cast<uint8_t *>(const_cast<void *>(in[0])), out, true, num_threads);
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_gather(const void *const *in, void *const *out, const void *params,
                                      int32_t num_threads) {
  const auto &p = *static_cast<const spcc_gather_params *>(params);
  const uint8_t *data = static_cast<const uint8_t *>(in[0]);
  uint8_t *dst = static_cast<uint8_t *>(out[0]);
  size_t chunk = size_t(p.inner_bytes);
  // Negative indices count from the end (ONNX); one outside [-axis_dim, axis_dim) gives zeros
  // and fails the run.
  std::atomic<bool> outOfRange{false};
  parallelFor(
      p.outer * p.num_indices, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          int64_t o = t / p.num_indices, j = t % p.num_indices;
          int64_t index = p.index_dtype == SPCC_KDT_I32 ? static_cast<const int32_t *>(in[1])[j]
                                                        : static_cast<const int64_t *>(in[1])[j];
          if (index < 0) index += p.axis_dim;
          uint8_t *d = dst + size_t(t) * chunk;
          if (index < 0 || index >= p.axis_dim) {
            std::memset(d, 0, chunk);
            outOfRange.store(true, std::memory_order_relaxed);
          } else {
            std::memcpy(d, data + size_t(o * p.axis_dim + index) * chunk, chunk);
          }
        }
      },
      std::max<int64_t>(1, copyGrainBytes / std::max<int64_t>(p.inner_bytes, 1)));
  return outOfRange.load() ? SPCC_KERNEL_INDEX_OUT_OF_RANGE : SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_pad(const void *const *in, void *const *out, const void *params,
                                   int32_t num_threads) {
  const auto &p = *static_cast<const spcc_pad_params *>(params);
  int rank = p.rank, last = rank - 1;
  int64_t rowLength = p.out_dims[last];
  int64_t rows = productOf(p.out_dims, last);
  if (rowLength == 0) return SPCC_KERNEL_OK;
  int64_t inStrides[SPCC_KERNEL_MAX_RANK];
  int64_t stride = 1;
  for (int d = last; d >= 0; --d) {
    inStrides[d] = stride;
    stride *= p.in_dims[d];
  }
  dispatchSize(p.elem_size, [&](auto zero) {
    using T = decltype(zero);
    const T *src = static_cast<const T *>(in[0]);
    T *dst = static_cast<T *>(out[0]);
    T constant = p.has_value ? *static_cast<const T *>(in[2]) : T(0);
    parallelFor(
        rows, num_threads,
        [&](int64_t begin, int64_t end) {
          for (int64_t r = begin; r < end; ++r) {
            T *row = dst + r * rowLength;
            int64_t offset = 0, rest = r;
            bool inside = true;
            for (int d = last - 1; d >= 0; --d) {
              int64_t o = rest % p.out_dims[d];
              rest /= p.out_dims[d];
              int64_t i = padSource(o, p.pads_begin[d], p.in_dims[d], p.mode);
              inside &= i >= 0;
              offset += i * inStrides[d];
            }
            if (!inside) {
              std::fill(row, row + rowLength, constant);
              continue;
            }
            const T *srcRow = src + offset;
            for (int64_t o = 0; o < rowLength; ++o) {
              int64_t i = padSource(o, p.pads_begin[last], p.in_dims[last], p.mode);
              row[o] = i >= 0 ? srcRow[i] : constant;
            }
          }
        },
        std::max<int64_t>(1, 4096 / rowLength));
  });
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_trilu(const void *const *in, void *const *out, const void *params,
                                     int32_t num_threads) {
  const auto &p = *static_cast<const spcc_trilu_params *>(params);
  const uint8_t *src = static_cast<const uint8_t *>(in[0]);
  uint8_t *dst = static_cast<uint8_t *>(out[0]);
  size_t size = size_t(p.elem_size);
  parallelFor(
      p.matrices * p.rows, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          int64_t row = r % p.rows;
          // Columns kept: [row + k, cols) for the upper triangle, [0, row + k] for the lower.
          int64_t first = p.upper ? std::clamp<int64_t>(row + p.k, 0, p.cols) : 0;
          int64_t last = p.upper ? p.cols : std::clamp<int64_t>(row + p.k + 1, 0, p.cols);
          const uint8_t *x = src + size_t(r * p.cols) * size;
          uint8_t *y = dst + size_t(r * p.cols) * size;
          std::memset(y, 0, size_t(p.cols) * size);
          if (last > first)
            std::memcpy(y + size_t(first) * size, x + size_t(first) * size,
                        size_t(last - first) * size);
        }
      },
      std::max<int64_t>(1, copyGrainBytes / std::max<int64_t>(p.cols * p.elem_size, 1)));
  return SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_gather_elements(const void *const *in, void *const *out,
                                               const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_gather_elements_params *>(params);
  const uint8_t *data = static_cast<const uint8_t *>(in[0]);
  uint8_t *dst = static_cast<uint8_t *>(out[0]);
  size_t size = size_t(p.elem_size);
  int64_t count = productOf(p.dims, p.rank);
  std::atomic<bool> outOfRange{false};
  parallelFor(
      count, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t e = begin; e < end; ++e) {
          int64_t index = p.index_dtype == SPCC_KDT_I32 ? static_cast<const int32_t *>(in[1])[e]
                                                        : static_cast<const int64_t *>(in[1])[e];
          if (index < 0) index += p.axis_dim;
          if (index < 0 || index >= p.axis_dim) {
            std::memset(dst + size_t(e) * size, 0, size);
            outOfRange.store(true, std::memory_order_relaxed);
            continue;
          }
          int64_t rest = e, offset = 0;
          for (int d = p.rank - 1; d >= 0; --d) {
            int64_t coord = rest % p.dims[d];
            rest /= p.dims[d];
            offset += (d == p.axis ? index : coord) * p.data_strides[d];
          }
          std::memcpy(dst + size_t(e) * size, data + size_t(offset) * size, size);
        }
      },
      4096);
  return outOfRange.load() ? SPCC_KERNEL_INDEX_OUT_OF_RANGE : SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_scatter_nd(const void *const *in, void *const *out,
                                          const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_scatter_nd_params *>(params);
  const int64_t *indices = static_cast<const int64_t *>(in[1]);
  int64_t slices = productOf(p.dims, p.index_rank);
  int64_t strides[SPCC_KERNEL_MAX_RANK]; // in slices
  for (int64_t d = p.index_rank - 1, stride = 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= p.dims[d];
  }
  // The slice update u lands on, or -1 when an index lies outside its axis.
  auto target = [&](int64_t u) {
    int64_t pos = 0;
    for (int32_t j = 0; j < p.index_rank; ++j) {
      int64_t index = indices[u * p.index_rank + j];
      if (index < 0) index += p.dims[j];
      if (index < 0 || index >= p.dims[j]) return int64_t(-1);
      pos += index * strides[j];
    }
    return pos;
  };
  std::atomic<bool> outOfRange{slices == 0 && p.num_updates > 0};
  int64_t sliceBytes = p.slice_elems * p.elem_size;
  // Each thread owns a range of output slices: it copies them from data and applies, in order,
  // the updates that land there, so duplicates resolve as on one thread.
  dispatchScatter(p.reduction, p.dtype, p.elem_size, [&](auto zero) {
    using T = decltype(zero);
    const T *data = static_cast<const T *>(in[0]), *updates = static_cast<const T *>(in[2]);
    T *dst = static_cast<T *>(out[0]);
    parallelFor(
        slices, num_threads,
        [&](int64_t begin, int64_t end) {
          if (dst != data)
            std::memcpy(dst + begin * p.slice_elems, data + begin * p.slice_elems,
                        size_t((end - begin) * sliceBytes));
          for (int64_t u = 0; u < p.num_updates; ++u) {
            int64_t pos = target(u);
            if (pos < 0) outOfRange.store(true, std::memory_order_relaxed);
            if (pos < begin || pos >= end) continue;
            T *d = dst + pos * p.slice_elems;
            const T *s = updates + u * p.slice_elems;
            if (p.reduction == SPCC_SCATTER_NONE)
              std::memcpy(d, s, size_t(sliceBytes));
            else
              for (int64_t j = 0; j < p.slice_elems; ++j) d[j] = combine(p.reduction, d[j], s[j]);
          }
        },
        std::max<int64_t>(1, copyGrainBytes / std::max<int64_t>(sliceBytes, 1)));
  });
  return outOfRange.load() ? SPCC_KERNEL_INDEX_OUT_OF_RANGE : SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_scatter_elements(const void *const *in, void *const *out,
                                                const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_scatter_elements_params *>(params);
  parallelCopy(static_cast<uint8_t *>(out[0]), static_cast<const uint8_t *>(in[0]),
               p.data_elems * p.elem_size, num_threads);
  int64_t count = productOf(p.dims, p.rank);
  bool outOfRange = false;
  // One thread applies the updates in order: duplicates resolve as the reference does.
  dispatchScatter(p.reduction, p.dtype, p.elem_size, [&](auto zero) {
    using T = decltype(zero);
    const T *updates = static_cast<const T *>(in[2]);
    T *dst = static_cast<T *>(out[0]);
    for (int64_t e = 0; e < count; ++e) {
      int64_t index = readIndex(in[1], p.index_dtype, e);
      if (index < 0) index += p.axis_dim;
      if (index < 0 || index >= p.axis_dim) {
        outOfRange = true;
        continue;
      }
      int64_t rest = e, offset = 0;
      for (int d = p.rank - 1; d >= 0; --d) {
        int64_t coord = rest % p.dims[d];
        rest /= p.dims[d];
        offset += (d == p.axis ? index : coord) * p.data_strides[d];
      }
      dst[offset] = combine(p.reduction, dst[offset], updates[e]);
    }
  });
  return outOfRange ? SPCC_KERNEL_INDEX_OUT_OF_RANGE : SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_gather_nd(const void *const *in, void *const *out,
                                         const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_gather_nd_params *>(params);
  const uint8_t *data = static_cast<const uint8_t *>(in[0]);
  const int64_t *indices = static_cast<const int64_t *>(in[1]);
  uint8_t *dst = static_cast<uint8_t *>(out[0]);
  size_t chunk = size_t(p.slice_elems * p.elem_size);
  std::atomic<bool> outOfRange{false};
  parallelFor(
      p.batches * p.tuples, num_threads,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          int64_t offset = t / p.tuples * p.batch_stride;
          bool inside = true;
          for (int32_t j = 0; j < p.index_rank && inside; ++j) {
            int64_t index = indices[t * p.index_rank + j];
            if (index < 0) index += p.dims[j];
            inside = index >= 0 && index < p.dims[j];
            offset += index * p.strides[j];
          }
          if (!inside) {
            std::memset(dst + size_t(t) * chunk, 0, chunk);
            outOfRange.store(true, std::memory_order_relaxed);
          } else if (chunk > 0) {
            std::memcpy(dst + size_t(t) * chunk, data + size_t(offset * p.elem_size), chunk);
          }
        }
      },
      std::max<int64_t>(1, copyGrainBytes / std::max<int64_t>(int64_t(chunk), 1)));
  return outOfRange.load() ? SPCC_KERNEL_INDEX_OUT_OF_RANGE : SPCC_KERNEL_OK;
}

extern "C" int32_t spcc_kernel_one_hot(const void *const *in, void *const *out, const void *params,
                                       int32_t num_threads) {
  const auto &p = *static_cast<const spcc_one_hot_params *>(params);
  // The index on the one-hot axis (floats truncated, negative counted from the end), -1 outside
  // [-depth, depth): as the reference evaluation.
  auto indexAt = [&](int64_t i) {
    int64_t index;
    if (p.index_dtype == SPCC_KDT_F32) {
      double value = static_cast<const float *>(in[0])[i];
      if (!(value > double(-p.depth - 1) && value < double(p.depth))) return int64_t(-1);
      index = int64_t(value);
    } else {
      index = readIndex(in[0], p.index_dtype, i);
    }
    if (index < -p.depth || index >= p.depth) return int64_t(-1);
    return index < 0 ? index + p.depth : index;
  };
  dispatchSize(p.elem_size, [&](auto zero) {
    using T = decltype(zero);
    const T off = static_cast<const T *>(in[2])[0], on = static_cast<const T *>(in[2])[1];
    T *dst = static_cast<T *>(out[0]);
    parallelFor(
        p.outer * p.depth, num_threads,
        [&](int64_t begin, int64_t end) {
          for (int64_t r = begin; r < end; ++r) {
            int64_t o = r / p.depth, d = r % p.depth;
            T *row = dst + r * p.inner;
            for (int64_t i = 0; i < p.inner; ++i) row[i] = indexAt(o * p.inner + i) == d ? on : off;
          }
        },
        std::max<int64_t>(1, 4096 / std::max<int64_t>(p.inner, 1)));
  });
  return SPCC_KERNEL_OK;
}
