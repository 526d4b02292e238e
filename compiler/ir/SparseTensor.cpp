#include "compiler/ir/SparseTensor.h"

namespace spcc {

SparseTensor SparseTensor::fromDense(const Tensor &dense) {
  assert(dense.getDType() == DType::Float32 && dense.getRank() >= 1);
  SparseTensor s;
  s.dims.assign(dense.getDims().begin(), dense.getDims().end());
  s.rows = s.dims[0];
  s.cols = s.rows ? dense.getNumElements() / s.rows : 0;
  llvm::ArrayRef<float> data = dense.getData<float>();
  s.rowStart.reserve(size_t(s.rows) + 1);
  s.rowStart.push_back(0);
  for (int64_t r = 0; r < s.rows; ++r) {
    for (int64_t c = 0; c < s.cols; ++c) {
      float v = data[size_t(r * s.cols + c)];
      if (v != 0.0f) {
        s.colIndex.push_back(int32_t(c));
        s.values.push_back(v);
      }
    }
    s.rowStart.push_back(int64_t(s.values.size()));
  }
  return s;
}

Tensor SparseTensor::toDense() const {
  Tensor t(TensorType(DType::Float32, dims));
  auto out = t.getMutableData<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = rowStart[size_t(r)]; i < rowStart[size_t(r) + 1]; ++i)
      out[size_t(r * cols + colIndex[size_t(i)])] = values[size_t(i)];
  return t;
}

double SparseTensor::getSparsity() const {
  int64_t total = rows * cols;
  return total ? 1.0 - double(getNumNonZeros()) / double(total) : 0.0;
}

int64_t SparseTensor::getCsrBytes() const { return getNumNonZeros() * 8 + (rows + 1) * 4; }

} // namespace spcc
