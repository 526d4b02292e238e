#include "tests/ops/OpTestUtil.h"

using namespace spcc;
using namespace spcc::test;

using Dims = llvm::SmallVector<int64_t, 4>;

namespace {

/// Naive numpy matmul: each output element from its multi-index, with 1-D promotion and batch
/// broadcasting spelled out, independent of the op's kernel.
Tensor naiveMatMul(const Tensor &a, const Tensor &b) {
  Dims ad(a.getDims()), bd(b.getDims());
  bool aVec = ad.size() == 1, bVec = bd.size() == 1;
  if (aVec) ad.insert(ad.begin(), 1);
  if (bVec) bd.push_back(1);
  int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  size_t batchRank = std::max(ad.size(), bd.size()) - 2;
  // Pad both to the same rank with leading 1s.
  while (ad.size() < batchRank + 2) ad.insert(ad.begin(), 1);
  while (bd.size() < batchRank + 2) bd.insert(bd.begin(), 1);
  Dims batch;
  for (size_t i = 0; i < batchRank; ++i) batch.push_back(std::max(ad[i], bd[i]));
  Dims outDims = batch;
  if (!aVec) outDims.push_back(m);
  if (!bVec) outDims.push_back(n);
  Tensor out(TensorType(DType::Float32, outDims));
  auto dst = out.getMutableData<float>();
  auto x = a.getData<float>(), y = b.getData<float>();
  int64_t numBatches = 1;
  for (int64_t d : batch) numBatches *= d;
  for (int64_t bi = 0; bi < numBatches; ++bi) {
    // Batch coordinates, and the matching batch of A and B (index 0 where broadcast).
    int64_t rest = bi, aBatch = 0, bBatch = 0, aStride = 1, bStride = 1;
    for (int64_t axis = int64_t(batchRank) - 1; axis >= 0; --axis) {
      int64_t coord = rest % batch[size_t(axis)];
      rest /= batch[size_t(axis)];
      aBatch += (ad[size_t(axis)] == 1 ? 0 : coord) * aStride;
      bBatch += (bd[size_t(axis)] == 1 ? 0 : coord) * bStride;
      aStride *= ad[size_t(axis)];
      bStride *= bd[size_t(axis)];
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum += double(x[size_t(aBatch * m * k + i * k + p)]) *
                 double(y[size_t(bBatch * k * n + p * n + j)]);
        dst[size_t(bi * m * n + i * n + j)] = float(sum);
      }
  }
  return out;
}

} // namespace

TEST_CASE("MatMul of small matrices by hand", "[ops][matmul]") {
  Tensor a = Tensor::fromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::fromVector<float>({3, 2}, {7, 8, 9, 10, 11, 12});
  requireClose(runOpOrFail({"MatMul", {a, b}})[0],
               Tensor::fromVector<float>({2, 2}, {58, 64, 139, 154}));
  // 1-D operands: vector-matrix, matrix-vector, dot product.
  Tensor v = Tensor::fromVector<float>({3}, {1, 0, -1});
  requireClose(runOpOrFail({"MatMul", {v, b}})[0], Tensor::fromVector<float>({2}, {-4, -4}));
  requireClose(runOpOrFail({"MatMul", {a, v}})[0], Tensor::fromVector<float>({2}, {-2, -2}));
  requireClose(runOpOrFail({"MatMul", {v, v}})[0], Tensor::scalar(2.0f));
}

TEST_CASE("MatMul matches a naive loop with promotion and batch broadcasting", "[ops][matmul]") {
  std::mt19937 rng(21);
  struct Case {
    Dims a, b;
    const char *out;
  } cases[] = {
      {{5, 7}, {7, 3}, "f32[5,3]"},
      {{2, 5, 7}, {7, 3}, "f32[2,5,3]"},
      {{7}, {2, 7, 3}, "f32[2,3]"},
      {{2, 5, 7}, {7}, "f32[2,5]"},
      {{2, 1, 5, 7}, {4, 7, 3}, "f32[2,4,5,3]"},
      {{1, 5, 7}, {3, 7, 2}, "f32[3,5,2]"},
      {{3, 1, 4}, {3, 4, 1}, "f32[3,1,1]"},
      {{16, 33}, {33, 17}, "f32[16,17]"},
  };
  for (const Case &c : cases) {
    INFO(dimsToString(c.a) << " x " << dimsToString(c.b));
    Tensor a = randomTensor(c.a, rng), b = randomTensor(c.b, rng);
    Tensor out = runOpOrFail({"MatMul", {a, b}})[0];
    CHECK(out.getType().str() == c.out);
    requireClose(out, naiveMatMul(a, b), 1e-5, 1e-5);
  }
}

TEST_CASE("MatMul rejects bad shapes and types", "[ops][matmul]") {
  std::mt19937 rng(22);
  CHECK_THAT(runOpError({"MatMul", {randomTensor({2, 3}, rng), randomTensor({4, 2}, rng)}}),
             Catch::Contains("inner dims do not match: [2,3] x [4,2]"));
  CHECK_THAT(runOpError({"MatMul", {randomTensor({2, 2, 3}, rng), randomTensor({3, 3, 2}, rng)}}),
             Catch::Contains("batch dims of [2,2,3] and [3,3,2] do not broadcast"));
  CHECK_THAT(runOpError({"MatMul", {Tensor::scalar(1.0f), randomTensor({2, 2}, rng)}}),
             Catch::Contains("rank >= 1"));
  Tensor ints = Tensor::fromVector<int64_t>({2, 2}, {1, 2, 3, 4});
  CHECK_THAT(runOpError({"MatMul", {ints, ints}}), Catch::Contains("element type i64"));
}

TEST_CASE("Gemm with transposes, alpha, beta and broadcast C", "[ops][matmul]") {
  std::mt19937 rng(23);
  const int64_t m = 4, k = 6, n = 5;
  Tensor a = randomTensor({m, k}, rng), b = randomTensor({k, n}, rng);
  auto transpose = [](const Tensor &t) {
    int64_t r = t.getDims()[0], c = t.getDims()[1];
    Tensor out(TensorType(DType::Float32, {c, r}));
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j)
        out.getMutableData<float>()[size_t(j * r + i)] = t.getData<float>()[size_t(i * c + j)];
    return out;
  };
  Tensor product = naiveMatMul(a, b);
  struct CCase {
    Dims dims;
  } cShapes[] = {{{}}, {{n}}, {{m, 1}}, {{1, n}}, {{m, n}}, {{1}}};
  for (int transA = 0; transA < 2; ++transA)
    for (int transB = 0; transB < 2; ++transB)
      for (const CCase &cc : cShapes) {
        INFO("transA " << transA << " transB " << transB << " C " << dimsToString(cc.dims));
        Tensor c = randomTensor(cc.dims, rng);
        float alpha = 0.5f, beta = -2.0f;
        OpCall call{"Gemm",
                    {transA ? transpose(a) : a, transB ? transpose(b) : b, c},
                    {{"alpha", alpha},
                     {"beta", beta},
                     {"transA", int64_t(transA)},
                     {"transB", int64_t(transB)}}};
        Tensor out = runOpOrFail(call)[0];
        Tensor expected(TensorType(DType::Float32, {m, n}));
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            // C's element for (i, j) by its own shape.
            int64_t ci = 0;
            if (cc.dims.size() == 2)
              ci = (cc.dims[0] == 1 ? 0 : i) * cc.dims[1] + (cc.dims[1] == 1 ? 0 : j);
            else if (cc.dims.size() == 1)
              ci = cc.dims[0] == 1 ? 0 : j;
            expected.getMutableData<float>()[size_t(i * n + j)] =
                alpha * product.getData<float>()[size_t(i * n + j)] +
                beta * c.getData<float>()[size_t(ci)];
          }
        requireClose(out, expected, 1e-5, 1e-5);
      }
}

TEST_CASE("Gemm without C uses defaults alpha = 1", "[ops][matmul]") {
  Tensor a = Tensor::fromVector<float>({1, 2}, {1, 2});
  Tensor b = Tensor::fromVector<float>({2, 2}, {3, 4, 5, 6});
  requireClose(runOpOrFail({"Gemm", {a, b}})[0], Tensor::fromVector<float>({1, 2}, {13, 16}));
  requireClose(runOpOrFail({"Gemm", {a, b, Tensor()}, {{"transB", int64_t(1)}}})[0],
               Tensor::fromVector<float>({1, 2}, {11, 17}));
}

TEST_CASE("Gemm rejects bad shapes and attributes", "[ops][matmul]") {
  std::mt19937 rng(24);
  Tensor a = randomTensor({3, 4}, rng), b = randomTensor({4, 5}, rng);
  CHECK_THAT(runOpError({"Gemm", {a, b, randomTensor({4}, rng)}}),
             Catch::Contains("C of shape [4] does not broadcast to [3,5]"));
  CHECK_THAT(runOpError({"Gemm", {a, b, randomTensor({1, 3, 5}, rng)}}),
             Catch::Contains("does not broadcast"));
  CHECK_THAT(runOpError({"Gemm", {a, b}, {{"transB", int64_t(1)}}}),
             Catch::Contains("inner dims do not match: A [3,4], B [4,5] (transposed)"));
  CHECK_THAT(runOpError({"Gemm", {a, b}, {{"transA", int64_t(2)}}}),
             Catch::Contains("attribute 'transA' must be 0 or 1, got 2"));
  CHECK_THAT(runOpError({"Gemm", {randomTensor({1, 3, 4}, rng), b}}),
             Catch::Contains("input 0 must have rank 2"));
}
