//===- TensorType.h - Element type and static shape ----------------------===//
#ifndef SPCC_IR_TENSORTYPE_H
#define SPCC_IR_TENSORTYPE_H

#include "compiler/ir/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace spcc {

/// The most elements one tensor may have (2^40: 4 TiB of float32). Every type in a graph is
/// checked against it (TensorType::hasRepresentableSize), so element counts, byte sizes and the
/// offsets computed from them never overflow int64.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

/// The type of a value: element type plus dims. After import every dim is static (>= 0); the
/// frontend rejects models whose dynamic dims were not fixed with --shape.
class TensorType {
public:
  TensorType() = default;
  TensorType(DType dtype, llvm::ArrayRef<int64_t> dims) : dtype(dtype), dims(dims) {}

  DType getDType() const { return dtype; }
  llvm::ArrayRef<int64_t> getDims() const { return dims; }
  int64_t getDim(int i) const { return dims[i]; }
  int getRank() const { return static_cast<int>(dims.size()); }
  /// Number of elements (1 for a scalar). Only for types with a representable size.
  int64_t getNumElements() const;
  /// True when every dim is >= 0 and the elements number at most kMaxTensorElements: the
  /// condition for every type the importer and the shape rules admit into a graph.
  bool hasRepresentableSize() const;
  /// Size of the data in bytes.
  int64_t getSizeInBytes() const { return getNumElements() * int64_t(dtypeSize(dtype)); }

  bool operator==(const TensorType &other) const {
    return dtype == other.dtype && llvm::ArrayRef(dims) == llvm::ArrayRef(other.dims);
  }
  bool operator!=(const TensorType &other) const { return !(*this == other); }

  /// Text form, e.g. "f32[1,3,224,224]" (a scalar is "f32[]").
  std::string str() const;

private:
  DType dtype = DType::Float32;
  llvm::SmallVector<int64_t, 4> dims;
};

/// "[1,3,224,224]".
std::string dimsToString(llvm::ArrayRef<int64_t> dims);

} // namespace spcc

#endif
