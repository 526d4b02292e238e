//===- SparseTensor.h - Compressed form of a pruned weight ---------------===//
#ifndef SPCC_IR_SPARSETENSOR_H
#define SPCC_IR_SPARSETENSOR_H

#include "compiler/ir/Tensor.h"

#include <vector>

namespace spcc {

/// A float32 tensor viewed as a matrix of `rows = dims[0]` by `cols = product of the other dims`
/// (for a Conv weight [Cout, Cin/g, kh, kw] the rows are output channels) in CSR form: the
/// nonzero pattern and values a sparse kernel is specialized to.
class SparseTensor {
public:
  /// Compresses \p dense (Float32, rank >= 1); exact zeros are dropped.
  static SparseTensor fromDense(const Tensor &dense);
  Tensor toDense() const;

  llvm::ArrayRef<int64_t> getDims() const { return dims; }
  int64_t getRows() const { return rows; }
  int64_t getCols() const { return cols; }
  int64_t getNumNonZeros() const { return int64_t(values.size()); }
  /// Fraction of zero elements, in [0, 1].
  double getSparsity() const;
  /// rowStart[r] .. rowStart[r + 1] index the nonzeros of row r in colIndex / values.
  llvm::ArrayRef<int64_t> getRowStart() const { return rowStart; }
  llvm::ArrayRef<int32_t> getColIndex() const { return colIndex; }
  llvm::ArrayRef<float> getValues() const { return values; }
  /// Bytes of a CSR encoding (values + 32-bit column indices + 32-bit row offsets).
  int64_t getCsrBytes() const;

private:
  llvm::SmallVector<int64_t, 4> dims;
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> rowStart;
  std::vector<int32_t> colIndex;
  std::vector<float> values;
};

} // namespace spcc

#endif
