//===- Attention.cpp - FusedAttention kernel -----------------------------===//
//
// One task per (batch, head, block of query rows): the block's scores live in a per-thread
// buffer of rows x kv_len floats (cache resident at BERT's 128 x 128) between the two
// products, instead of a [batch, heads, q_len, kv_len] tensor in the arena. Q, K, V and the
// output are read and written in place: token-major, a head's rows heads * dim apart;
// feature-major, a head's columns batch * len apart (its rows contiguous).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/KernelAbi.h"
#include "runtime/kernels/KernelParams.h"
#include "runtime/kernels/Parallel.h"

#include <Eigen/Core>

#include <vector>

using namespace spcc::kernels;

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ColumnMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using Strided = Eigen::OuterStride<>;

/// Query rows per task when there are fewer heads than a few per thread: enough tasks to
/// balance the threads, enough rows to keep the products efficient. Otherwise a task takes a
/// whole head, so K and V are packed for the products once per head.
constexpr int64_t kRowBlock = 32;
constexpr int64_t kHeadsPerThread = 4;

/// Where rows [row, row + rows) of head \p head of batch \p batch of a [batch, len, heads,
/// dim] tensor are, as a rows x dim matrix (MatrixType: row-major when token-major,
/// column-major when feature-major).
template <typename MatrixType, typename Pointer>
Eigen::Map<MatrixType, 0, Strided> headRows(Pointer data, const spcc_attention_params &p,
                                            int64_t batch, int64_t len, int64_t dim, int64_t head,
                                            int64_t row, int64_t rows) {
  using View = Eigen::Map<MatrixType, 0, Strided>;
  if (p.feature_major)
    return View(data + head * dim * p.batch * len + batch * len + row, rows, dim,
                Strided(p.batch * len));
  return View(data + ((batch * len + row) * p.heads + head) * dim, rows, dim,
              Strided(p.heads * dim));
}

/// One task: softmax(scale * Q K^T + mask) V for a block of query rows of one head.
template <typename MatrixType>
void attendRows(const spcc_attention_params &p, const float *q, const float *k, const float *v,
                const float *mask, float *o, Matrix &scores, int64_t b, int64_t h, int64_t i0,
                int64_t rows) {
  using ConstMatrix = const MatrixType;
  auto qs = headRows<ConstMatrix>(q, p, b, p.q_len, p.head_dim, h, i0, rows);
  auto ks = headRows<ConstMatrix>(k, p, b, p.kv_len, p.head_dim, h, 0, p.kv_len);
  auto vs = headRows<ConstMatrix>(v, p, b, p.kv_len, p.value_dim, h, 0, p.kv_len);
  auto os = headRows<MatrixType>(o, p, b, p.q_len, p.value_dim, h, i0, rows);
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
    row = (row - row.maxCoeff()).exp();
    row *= 1.0f / row.sum();
  }
  os.noalias() = s * vs;
}

} // namespace

extern "C" int32_t spcc_kernel_attention(const void *const *in, void *const *out,
                                         const void *params, int32_t num_threads) {
  const auto &p = *static_cast<const spcc_attention_params *>(params);
  const float *q = static_cast<const float *>(in[0]);
  const float *k = static_cast<const float *>(in[1]);
  const float *v = static_cast<const float *>(in[2]);
  const float *mask = p.has_mask ? static_cast<const float *>(in[3]) : nullptr;
  float *o = static_cast<float *>(out[0]);
  int64_t rowBlock = p.batch * p.heads >= kHeadsPerThread * resolveThreads(num_threads)
                         ? std::max<int64_t>(p.q_len, 1)
                         : kRowBlock;
  int64_t blocks = (p.q_len + rowBlock - 1) / rowBlock;
  parallelFor(p.batch * p.heads * blocks, num_threads, [&](int64_t begin, int64_t end) {
    Matrix scores(rowBlock, p.kv_len);
    for (int64_t task = begin; task < end; ++task) {
      int64_t b = task / (p.heads * blocks), h = task / blocks % p.heads;
      int64_t i0 = task % blocks * rowBlock, rows = std::min(rowBlock, p.q_len - i0);
      if (p.feature_major)
        attendRows<ColumnMatrix>(p, q, k, v, mask, o, scores, b, h, i0, rows);
      else
        attendRows<Matrix>(p, q, k, v, mask, o, scores, b, h, i0, rows);
    }
  });
  return SPCC_KERNEL_OK;
}
