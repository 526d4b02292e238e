//===- Tensor.h - Dense constant tensors ---------------------------------===//
#ifndef SPCC_IR_TENSOR_H
#define SPCC_IR_TENSOR_H

#include "compiler/ir/TensorType.h"

#include "llvm/ADT/ArrayRef.h"

#include <cassert>
#include <cstring>
#include <memory>

namespace spcc {

template <typename T> constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::Float32; }
template <> constexpr DType dtypeOf<int64_t>() { return DType::Int64; }
template <> constexpr DType dtypeOf<int32_t>() { return DType::Int32; }
template <> constexpr DType dtypeOf<int8_t>() { return DType::Int8; }
template <> constexpr DType dtypeOf<uint8_t>() { return DType::UInt8; }

/// A dense tensor: a type and row-major data. The bytes live in a 64-byte aligned buffer shared
/// between copies, so copying a Tensor (e.g. a weight) is cheap; a Tensor is immutable once built,
/// except through getMutableData() right after creation, while its buffer is not yet shared.
class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor of \p type.
  explicit Tensor(const TensorType &type);
  /// A tensor of \p type holding a copy of \p bytes (size must equal type's byte size).
  Tensor(const TensorType &type, llvm::ArrayRef<uint8_t> bytes);

  template <typename T>
  static Tensor fromVector(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<T> values) {
    TensorType type(dtypeOf<T>(), dims);
    assert(type.getNumElements() == int64_t(values.size()));
    return Tensor(type, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(values.data()),
                                                values.size() * sizeof(T)));
  }
  static Tensor fromBools(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<bool> values);
  /// A rank-0 tensor.
  template <typename T> static Tensor scalar(T value) { return fromVector<T>({}, {value}); }

  bool isNull() const { return !buffer; }
  const TensorType &getType() const { return type; }
  DType getDType() const { return type.getDType(); }
  llvm::ArrayRef<int64_t> getDims() const { return type.getDims(); }
  int getRank() const { return type.getRank(); }
  int64_t getNumElements() const { return type.getNumElements(); }

  llvm::ArrayRef<uint8_t> getBytes() const;
  /// The bytes of a tensor that is not shared yet (just created).
  llvm::MutableArrayRef<uint8_t> getMutableBytes() {
    assert(buffer.use_count() == 1 && "mutating a shared tensor");
    return {rawData(), size_t(type.getSizeInBytes())};
  }
  template <typename T> llvm::ArrayRef<T> getData() const {
    assert((std::is_same_v<T, uint8_t> ? (getDType() == DType::UInt8 || getDType() == DType::Bool)
                                       : getDType() == dtypeOf<T>()) &&
           "tensor element type mismatch");
    return {reinterpret_cast<const T *>(rawData()), size_t(getNumElements())};
  }
  template <typename T> llvm::MutableArrayRef<T> getMutableData() {
    assert(buffer.use_count() == 1 && "mutating a shared tensor");
    return {reinterpret_cast<T *>(rawData()), size_t(getNumElements())};
  }

  /// Element \p i converted to double / int64 (any numeric dtype; Float16 decoded).
  double getAsDouble(int64_t i) const;
  int64_t getAsInt(int64_t i) const;
  /// All elements as int64 (for shape-like tensors of Int64 or Int32).
  llvm::SmallVector<int64_t> toInts() const;

  /// Same data viewed with other dims (same element count).
  Tensor reshaped(llvm::ArrayRef<int64_t> dims) const;
  /// Number of elements that are not zero.
  int64_t countNonZeros() const;
  /// True when both tensors have the same type and bytes.
  bool bitwiseEqual(const Tensor &other) const;

private:
  struct AlignedBuffer;
  uint8_t *rawData() const;

  TensorType type;
  std::shared_ptr<AlignedBuffer> buffer;
};

} // namespace spcc

#endif
