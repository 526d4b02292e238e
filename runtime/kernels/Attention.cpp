//===- Attention.cpp - FusedAttention kernel -----------------------------===//
//
// Token-major: one task per (batch, head, block of query rows); the block's scores live in a
// per-thread buffer of rows x kv_len floats between Eigen's two products, instead of a
// [batch, heads, q_len, kv_len] tensor in the arena. Feature-major (between sparse products):
// the transposed form below, one task per (batch, head, block of queries). Q, K, V and the
// output are read and written in place: token-major, a head's rows heads * dim apart;
// feature-major, a head's columns batch * len apart (its rows contiguous).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/SoftmaxExp.h"
#include "runtime/kernels/VectorLanes.h"

#include <Eigen/Core>

#include <algorithm>
#include <type_traits>
#include <vector>

using namespace spcc::kernels;

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::OuterStride<>;

/// Query rows per task when there are fewer heads than a few per thread: enough tasks to
/// balance the threads, enough rows to keep the products efficient. Otherwise a task takes a
/// whole head, so K and V are packed for the products once per head.
constexpr int64_t kRowBlock = 32;
constexpr int64_t kHeadsPerThread = 4;

/// Rows [row, row + rows) of head \p head of batch \p batch of a token-major [batch, len,
/// heads, dim] tensor, as a rows x dim matrix.
template <typename Pointer>
auto headRows(Pointer data, const spcc_attention_params &p, int64_t batch, int64_t len, int64_t dim,
              int64_t head, int64_t row, int64_t rows) {
  using View = Eigen::Map<
      std::conditional_t<std::is_const_v<std::remove_pointer_t<Pointer>>, const Matrix, Matrix>, 0,
      Strided>;
  return View(data + ((batch * len + row) * p.heads + head) * dim, rows, dim,
              Strided(p.heads * dim));
}

/// One task: softmax(scale * Q K^T + mask) V for a block of query rows of one head.
void attendRows(const spcc_attention_params &p, const float *q, const float *k, const float *v,
                const float *mask, float *o, Matrix &scores, int64_t b, int64_t h, int64_t i0,
                int64_t rows) {
  auto qs = headRows(q, p, b, p.q_len, p.head_dim, h, i0, rows);
  auto ks = headRows(k, p, b, p.kv_len, p.head_dim, h, 0, p.kv_len);
  auto vs = headRows(v, p, b, p.kv_len, p.value_dim, h, 0, p.kv_len);
  auto os = headRows(o, p, b, p.q_len, p.value_dim, h, i0, rows);
  auto s = scores.topRows(rows);
  s.noalias() = qs * ks.transpose();
  for (int64_t i = 0; i < rows; ++i) {
    auto row = s.row(i).array();
    row *= p.scale;
    if (mask) {
      const float *m =
          mask + b * p.mask_strides[0] + h * p.mask_strides[1] + (i0 + i) * p.mask_strides[2];
      if (p.mask_strides[3] == 1)
        row += Eigen::Map<const Eigen::ArrayXf>(m, p.kv_len).transpose();
      else
        for (int64_t j = 0; j < p.kv_len; ++j) row(j) += m[j * p.mask_strides[3]];
    }
    row *= 1.0f / expShifted(row.data(), row.data(), p.kv_len, row.maxCoeff());
  }
  os.noalias() = s * vs;
}

/// Feature-major attention, computed transposed: S^T = K^T Q (keys x a block of queries), a
/// softmax down each column, O^T = V^T P^T. Every product and the softmax then run along
/// vectors of queries (BERT's scores are 128 x 128: a row-wise softmax is horizontal, and
/// Eigen's products pack K and V for each 128-row block), and Q, K, V are read in place.
namespace transposed {

constexpr int kLanes = kWideLanes;
using Vec = FloatVector<kLanes>;

/// Queries per block: four vectors. Tiles of kTileRows keys (or value features) x four
/// vectors keep 24 (AVX-512) or 8 (AVX2: 16 registers) sums in registers.
constexpr int kBlockVectors = 4;
constexpr int64_t kBlock = kBlockVectors * kLanes;
constexpr int kTileRows = kLanes == 16 ? 6 : 2;

/// store(r, v, sum) of sum_t a[r * aRow + t * aCol] * b[t * kBlock + v * kLanes ...] for
/// r < R, v < V: one tile of a product whose right side is a block of queries.
template <int R, int V, typename Store>
void tile(const float *a, int64_t aRow, int64_t aCol, const float *b, int64_t depth,
          Store &&store) {
  Vec acc[R][V] = {};
  for (int64_t t = 0; t < depth; ++t) {
    Vec bv[V];
    for (int v = 0; v < V; ++v) bv[v] = loadLanes<kLanes>(b + t * kBlock + v * kLanes);
    for (int r = 0; r < R; ++r) {
      Vec ar = splatLanes<kLanes>(a[r * aRow + t * aCol]);
      for (int v = 0; v < V; ++v) acc[r][v] += ar * bv[v];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) store(r, v, acc[r][v]);
}

template <int R, typename Store>
void tileOfWidth(int vectors, const float *a, int64_t aRow, int64_t aCol, const float *b,
                 int64_t depth, Store &&store) {
  switch (vectors) {
  case 1: return tile<R, 1>(a, aRow, aCol, b, depth, store);
  case 2: return tile<R, 2>(a, aRow, aCol, b, depth, store);
  case 3: return tile<R, 3>(a, aRow, aCol, b, depth, store);
  default: return tile<R, 4>(a, aRow, aCol, b, depth, store);
  }
}

/// The last rows - kTileRows * k rows, in one tile of that height.
template <int R, typename Store>
void lastTile(int64_t rows, int vectors, const float *a, int64_t aRow, int64_t aCol, const float *b,
              int64_t depth, Store &&store) {
  if constexpr (R > 0) {
    if (rows == R) return tileOfWidth<R>(vectors, a, aRow, aCol, b, depth, store);
    lastTile<R - 1>(rows, vectors, a, aRow, aCol, b, depth, store);
  }
}

/// Rows [0, rows) of the product (row r of the left side at a + r * aRow): store(row, v, sum).
template <typename Store>
void product(int64_t rows, int vectors, const float *a, int64_t aRow, int64_t aCol, const float *b,
             int64_t depth, Store &&store) {
  int64_t r0 = 0;
  auto shifted = [&](int64_t first) {
    return [&store, first](int r, int v, Vec sum) { store(first + r, v, sum); };
  };
  for (; r0 + kTileRows <= rows; r0 += kTileRows)
    tileOfWidth<kTileRows>(vectors, a + r0 * aRow, aRow, aCol, b, depth, shifted(r0));
  lastTile<kTileRows - 1>(rows - r0, vectors, a + r0 * aRow, aRow, aCol, b, depth, shifted(r0));
}

/// Per-thread buffers: the block of Q (head_dim x kBlock, zeros past the block's queries)
/// and the scores (kv_len x kBlock).
struct Scratch {
  explicit Scratch(const spcc_attention_params &p)
      : q(size_t(p.head_dim * kBlock)), scores(size_t(p.kv_len * kBlock)) {}
  // Whole vectors: a vector straddling two cache lines costs two accesses.
  std::vector<float, Eigen::aligned_allocator<float>> q, scores;
};

/// Queries [i0, i0 + count) of head h of batch b.
void attendBlock(const spcc_attention_params &p, const float *q, const float *k, const float *v,
                 const float *mask, float *o, Scratch &scratch, int64_t b, int64_t h, int64_t i0,
                 int64_t count) {
  const int64_t ldq = p.batch * p.q_len, ldkv = p.batch * p.kv_len;
  const int vectors = int((count + kLanes - 1) / kLanes);
  const float *qHead = q + h * p.head_dim * ldq + b * p.q_len + i0;
  for (int64_t d = 0; d < p.head_dim; ++d) {
    float *row = scratch.q.data() + d * kBlock;
    std::copy(qHead + d * ldq, qHead + d * ldq + count, row);
    std::fill(row + count, row + kBlock, 0.0f);
  }
  // S^T[j][i] = scale * sum_d K[d][j] Q[d][i] (+ the mask).
  float *scores = scratch.scores.data();
  const float *kHead = k + h * p.head_dim * ldkv + b * p.kv_len;
  product(p.kv_len, vectors, kHead, 1, ldkv, scratch.q.data(), p.head_dim,
          [&](int64_t j, int vec, Vec sum) {
            storeLanes<kLanes>(scores + j * kBlock + vec * kLanes, sum * p.scale);
          });
  const int64_t width = int64_t(vectors) * kLanes;
  if (mask) {
    const float *m = mask + b * p.mask_strides[0] + h * p.mask_strides[1] + i0 * p.mask_strides[2];
    for (int64_t j = 0; j < p.kv_len; ++j) {
      float *row = scores + j * kBlock;
      const float *mj = m + j * p.mask_strides[3];
      if (p.mask_strides[2] == 0) // one value per key, as in BERT's padding mask
        for (int64_t i = 0; i < width; ++i) row[i] += mj[0];
      else
        for (int64_t i = 0; i < count; ++i) row[i] += mj[i * p.mask_strides[2]];
    }
  }
  // A softmax down each column; its 1 / sum scales the output.
  Vec columnMax[kBlockVectors];
  for (int vec = 0; vec < vectors; ++vec) {
    columnMax[vec] = splatLanes<kLanes>(-INFINITY);
    for (int64_t j = 0; j < p.kv_len; ++j)
      columnMax[vec] = __builtin_elementwise_max(
          columnMax[vec], loadLanes<kLanes>(scores + j * kBlock + vec * kLanes));
  }
  Vec sums[kBlockVectors] = {};
  for (int64_t j = 0; j < p.kv_len; ++j)
    for (int vec = 0; vec < vectors; ++vec) {
      float *x = scores + j * kBlock + vec * kLanes;
      Vec e = softmaxExp(loadLanes<kLanes>(x) - columnMax[vec]);
      storeLanes<kLanes>(x, e);
      sums[vec] += e;
    }
  Vec inverseSum[kBlockVectors];
  for (int vec = 0; vec < vectors; ++vec) inverseSum[vec] = 1.0f / sums[vec];
  // O^T[e][i] = sum_j V[e][j] P[j][i] / sum_i.
  const float *vHead = v + h * p.value_dim * ldkv + b * p.kv_len;
  float *oHead = o + h * p.value_dim * ldq + b * p.q_len + i0;
  product(p.value_dim, vectors, vHead, ldkv, 1, scores, p.kv_len, [&](int64_t e, int vec, Vec sum) {
    storeFirst<kLanes>(oHead + e * ldq + vec * kLanes, sum * inverseSum[vec], count - vec * kLanes);
  });
}

} // namespace transposed

} // namespace

extern "C" int32_t spcc_kernel_attention(const void *const *in, void *const *out,
                                         const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_attention_params *>(params);
  const float *q = static_cast<const float *>(in[0]);
  const float *k = static_cast<const float *>(in[1]);
  const float *v = static_cast<const float *>(in[2]);
  const float *mask = p.has_mask ? static_cast<const float *>(in[3]) : nullptr;
  float *o = static_cast<float *>(out[0]);
  if (p.feature_major) {
    const int64_t blocks = (p.q_len + transposed::kBlock - 1) / transposed::kBlock;
    parallelFor(p.batch * p.heads * blocks, num_threads, [&](int64_t begin, int64_t end) {
      transposed::Scratch scratch(p);
      for (int64_t task = begin; task < end; ++task) {
        int64_t b = task / (p.heads * blocks), h = task / blocks % p.heads;
        int64_t i0 = task % blocks * transposed::kBlock;
        transposed::attendBlock(p, q, k, v, mask, o, scratch, b, h, i0,
                                std::min(transposed::kBlock, p.q_len - i0));
      }
    });
    return SPCC_KERNEL_OK;
  }
  int64_t rowBlock = p.batch * p.heads >= kHeadsPerThread * resolveThreads(num_threads)
                         ? std::max<int64_t>(p.q_len, 1)
                         : kRowBlock;
  int64_t blocks = (p.q_len + rowBlock - 1) / rowBlock;
  parallelFor(p.batch * p.heads * blocks, num_threads, [&](int64_t begin, int64_t end) {
    Matrix scores(rowBlock, p.kv_len);
    for (int64_t task = begin; task < end; ++task) {
      int64_t b = task / (p.heads * blocks), h = task / blocks % p.heads;
      int64_t i0 = task % blocks * rowBlock, rows = std::min(rowBlock, p.q_len - i0);
      attendRows(p, q, k, v, mask, o, scores, b, h, i0, rows);
    }
  });
  return SPCC_KERNEL_OK;
}
