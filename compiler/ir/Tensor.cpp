#include "compiler/ir/Tensor.h"

#include "llvm/Support/ErrorHandling.h"

#include <cmath>
#include <cstdlib>

namespace spcc {

struct Tensor::AlignedBuffer {
  explicit AlignedBuffer(size_t size)
      : data(static_cast<uint8_t *>(std::aligned_alloc(64, roundUp(size)))) {
    if (!data) llvm::report_bad_alloc_error("cannot allocate a tensor");
    std::memset(data, 0, roundUp(size));
  }
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  // aligned_alloc needs a multiple of the alignment; never zero.
  static size_t roundUp(size_t size) { return (size + 64) / 64 * 64; }
  uint8_t *data;
};

Tensor::Tensor(const TensorType &type)
    : type(type), buffer(std::make_shared<AlignedBuffer>(size_t(type.getSizeInBytes()))) {}

Tensor::Tensor(const TensorType &type, llvm::ArrayRef<uint8_t> bytes) : Tensor(type) {
  assert(int64_t(bytes.size()) == type.getSizeInBytes());
  if (!bytes.empty()) std::memcpy(buffer->data, bytes.data(), bytes.size());
}

Tensor Tensor::fromBools(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<bool> values) {
  Tensor t(TensorType(DType::Bool, dims));
  assert(t.getNumElements() == int64_t(values.size()));
  auto out = t.getMutableData<uint8_t>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i] ? 1 : 0;
  return t;
}

uint8_t *Tensor::rawData() const { return buffer ? buffer->data : nullptr; }

llvm::ArrayRef<uint8_t> Tensor::getBytes() const {
  return {rawData(), size_t(type.getSizeInBytes())};
}

static float halfToFloat(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float value;
  if (exponent == 0)
    value = std::ldexp(float(mantissa), -24);
  else if (exponent == 31)
    value = mantissa ? NAN : INFINITY;
  else
    value = std::ldexp(float(mantissa | 0x400), exponent - 25);
  return sign ? -value : value;
}

double Tensor::getAsDouble(int64_t i) const {
  const uint8_t *p = rawData();
  switch (getDType()) {
  case DType::Float32: return reinterpret_cast<const float *>(p)[i];
  case DType::Float16: return halfToFloat(reinterpret_cast<const uint16_t *>(p)[i]);
  case DType::Int64: return double(reinterpret_cast<const int64_t *>(p)[i]);
  case DType::Int32: return reinterpret_cast<const int32_t *>(p)[i];
  case DType::Int8: return reinterpret_cast<const int8_t *>(p)[i];
  case DType::UInt8:
  case DType::Bool: return p[i];
  }
  return 0;
}

int64_t Tensor::getAsInt(int64_t i) const {
  const uint8_t *p = rawData();
  switch (getDType()) {
  case DType::Int64: return reinterpret_cast<const int64_t *>(p)[i];
  case DType::Int32: return reinterpret_cast<const int32_t *>(p)[i];
  case DType::Int8: return reinterpret_cast<const int8_t *>(p)[i];
  case DType::UInt8:
  case DType::Bool: return p[i];
  case DType::Float32:
  case DType::Float16: return int64_t(getAsDouble(i));
  }
  return 0;
}

llvm::SmallVector<int64_t> Tensor::toInts() const {
  llvm::SmallVector<int64_t> out;
  for (int64_t i = 0, n = getNumElements(); i < n; ++i) out.push_back(getAsInt(i));
  return out;
}

Tensor Tensor::reshaped(llvm::ArrayRef<int64_t> dims) const {
  Tensor t = *this;
  t.type = TensorType(getDType(), dims);
  assert(t.getNumElements() == getNumElements());
  return t;
}

int64_t Tensor::countNonZeros() const {
  int64_t count = 0;
  for (int64_t i = 0, n = getNumElements(); i < n; ++i) count += getAsDouble(i) != 0.0;
  return count;
}

bool Tensor::bitwiseEqual(const Tensor &other) const {
  return type == other.type && getBytes() == other.getBytes();
}

} // namespace spcc
