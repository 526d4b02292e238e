#include "compiler/frontend/TensorProtoReader.h"

#include "compiler/support/Error.h"
#include "compiler/support/Files.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <Eigen/Core>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <limits>

namespace spcc {

namespace {
std::string tensorLabel(const onnx::TensorProto &proto) { return "tensor '" + proto.name() + "'"; }

/// Copies a repeated proto field of \p count elements into \p out, narrowing each to T.
template <typename T, typename Field>
void copyField(const Field &field, llvm::MutableArrayRef<T> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(field.Get(int(i)));
}
} // namespace

llvm::Expected<Tensor> TensorProtoReader::read(const onnx::TensorProto &proto) {
  // spcc computes in float32: float16 and double data become float32 as they are read.
  if (proto.data_type() == onnx::TensorProto::DOUBLE) return readDouble(proto);
  auto stored = readAsStored(proto);
  if (!stored || stored->getDType() != DType::Float16) return stored;
  Tensor out(TensorType(DType::Float32, stored->getDims()));
  const auto *src = reinterpret_cast<const uint16_t *>(stored->getBytes().data());
  auto dst = out.getMutableData<float>();
  for (size_t i = 0; i < dst.size(); ++i)
    dst[i] = float(Eigen::numext::bit_cast<Eigen::half>(src[i]));
  return out;
}

llvm::Expected<Tensor> TensorProtoReader::readDouble(const onnx::TensorProto &proto) {
  // Read as int64 of the same dims (8-byte elements alike), then reinterpret each as a double.
  onnx::TensorProto asBits;
  asBits.set_name(proto.name());
  *asBits.mutable_dims() = proto.dims();
  asBits.set_data_type(onnx::TensorProto::INT64);
  if (proto.has_raw_data()) asBits.set_raw_data(proto.raw_data());
  asBits.set_data_location(proto.data_location());
  *asBits.mutable_external_data() = proto.external_data();
  for (double v : proto.double_data()) {
    int64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    asBits.add_int64_data(bits);
  }
  auto bits = readAsStored(asBits);
  if (!bits) return bits.takeError();
  Tensor out(TensorType(DType::Float32, bits->getDims()));
  auto src = bits->getData<int64_t>();
  auto dst = out.getMutableData<float>();
  for (size_t i = 0; i < dst.size(); ++i) {
    double v;
    std::memcpy(&v, &src[i], sizeof v);
    dst[i] = float(v);
  }
  return out;
}

llvm::Expected<Tensor> TensorProtoReader::readAsStored(const onnx::TensorProto &proto) {
  std::optional<DType> dtype = dtypeFromOnnx(proto.data_type());
  if (!dtype)
    return makeError(ErrorCode::Unsupported, tensorLabel(proto) + " has element type " +
                                                 onnxTypeName(proto.data_type()) +
                                                 ", which spcc does not support");
  llvm::SmallVector<int64_t, 4> dims(proto.dims().begin(), proto.dims().end());
  TensorType type(*dtype, dims);
  if (!type.hasRepresentableSize())
    return makeError(ErrorCode::BadModel, tensorLabel(proto) + " has invalid dims " +
                                              dimsToString(dims) + " (negative, or more than " +
                                              llvm::Twine(kMaxTensorElements) + " elements)");
  int64_t bytes = type.getSizeInBytes();
  if (proto.has_segment())
    return makeError(ErrorCode::Unsupported, tensorLabel(proto) + " is segmented");

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    auto data = readExternal(proto, bytes);
    if (!data) return data.takeError();
    return Tensor(type, *data);
  }
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (int64_t(raw.size()) != bytes)
      return makeError(ErrorCode::BadModel, tensorLabel(proto) + " holds " +
                                                llvm::Twine(raw.size()) + " bytes, its type " +
                                                type.str() + " needs " + llvm::Twine(bytes));
    return Tensor(
        type, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(raw.data()), raw.size()));
  }

  int64_t count = type.getNumElements(), available = 0;
  switch (*dtype) {
  case DType::Float32: available = proto.float_data_size(); break;
  case DType::Int64: available = proto.int64_data_size(); break;
  default: available = proto.int32_data_size(); break;
  }
  if (available != count)
    return makeError(ErrorCode::BadModel, tensorLabel(proto) + " holds " + llvm::Twine(available) +
                                              " values, its type " + type.str() + " needs " +
                                              llvm::Twine(count));
  Tensor t(type);
  switch (*dtype) {
  case DType::Float32: copyField(proto.float_data(), t.getMutableData<float>()); break;
  case DType::Int64: copyField(proto.int64_data(), t.getMutableData<int64_t>()); break;
  case DType::Int32: copyField(proto.int32_data(), t.getMutableData<int32_t>()); break;
  case DType::Int8: copyField(proto.int32_data(), t.getMutableData<int8_t>()); break;
  case DType::UInt8:
  case DType::Bool: copyField(proto.int32_data(), t.getMutableData<uint8_t>()); break;
  case DType::Float16: {
    // float16 bits are stored in int32_data, one value per entry.
    auto out = llvm::MutableArrayRef<uint16_t>(
        reinterpret_cast<uint16_t *>(t.getMutableBytes().data()), size_t(count));
    copyField(proto.int32_data(), out);
    break;
  }
  }
  return t;
}

llvm::Expected<llvm::ArrayRef<uint8_t>>
TensorProtoReader::readExternal(const onnx::TensorProto &proto, int64_t expectedBytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &entry : proto.external_data()) {
    long long number = 0;
    bool isNumber = !llvm::StringRef(entry.value()).getAsInteger(10, number);
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" && isNumber)
      offset = number;
    else if (entry.key() == "length" && isNumber)
      length = number;
  }
  if (location.empty())
    return makeError(ErrorCode::BadModel,
                     tensorLabel(proto) + " has external data without a location");
  if (modelDir.empty())
    return makeError(ErrorCode::BadModel,
                     tensorLabel(proto) +
                         " has external data, but the model was not read from a file");
  if (llvm::sys::path::is_absolute(location) || llvm::StringRef(location).contains(".."))
    return makeError(ErrorCode::BadModel,
                     tensorLabel(proto) + ": external data location '" + location +
                         "' must be a relative path inside the model's folder");
  auto &file = externalFiles[location];
  if (!file) {
    llvm::SmallString<256> path(modelDir);
    llvm::sys::path::append(path, location);
    // A symlink may not lead out of the model's folder (to /etc/passwd, say).
    llvm::SmallString<256> realPath, realDir;
    if (!llvm::sys::fs::real_path(path, realPath) && !llvm::sys::fs::real_path(modelDir, realDir) &&
        !llvm::StringRef(realPath).starts_with((realDir + "/").str()))
      return makeError(ErrorCode::BadModel,
                       tensorLabel(proto) + ": external data location '" + location +
                           "' leads out of the model's folder (to '" + realPath + "')");
    auto buffer = readRegularFile(path);
    if (!buffer) return addContext(buffer.takeError(), tensorLabel(proto) + ": external data");
    file = std::move(*buffer);
  }
  if (length >= 0 && length != expectedBytes)
    return makeError(ErrorCode::BadModel, tensorLabel(proto) + ": external data length " +
                                              llvm::Twine(length) + " does not match its type (" +
                                              llvm::Twine(expectedBytes) + " bytes)");
  if (offset < 0 || uint64_t(offset) > file->getBufferSize() ||
      uint64_t(expectedBytes) > file->getBufferSize() - uint64_t(offset))
    return makeError(ErrorCode::BadModel, tensorLabel(proto) + ": external data at offset " +
                                              llvm::Twine(offset) + " runs past the end of '" +
                                              location + "'");
  return llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(file->getBufferStart()) + offset,
                                 size_t(expectedBytes));
}

llvm::Expected<Tensor> TensorProtoReader::readSparse(const onnx::SparseTensorProto &proto) {
  std::string label = "sparse tensor '" + proto.values().name() + "'";
  auto values = read(proto.values());
  if (!values) return values.takeError();
  auto indices = read(proto.indices());
  if (!indices) return indices.takeError();
  llvm::SmallVector<int64_t, 4> dims(proto.dims().begin(), proto.dims().end());
  int64_t nnz = values->getNumElements();
  int rank = int(dims.size());
  TensorType type(values->getDType(), dims);
  for (int64_t d : dims)
    if (d < 0) return makeError(ErrorCode::BadModel, label + " has a negative dim");
  bool linear = indices->getRank() == 1 && indices->getNumElements() == nnz;
  bool perAxis =
      indices->getRank() == 2 && indices->getDims()[0] == nnz && indices->getDims()[1] == rank;
  if (indices->getDType() != DType::Int64 || !(linear || perAxis))
    return makeError(ErrorCode::BadModel,
                     label + ": indices must be int64 of shape [nnz] or [nnz, rank]");
  Tensor dense(type);
  int64_t total = type.getNumElements();
  size_t elementSize = dtypeSize(type.getDType());
  uint8_t *out = dense.getMutableBytes().data();
  const uint8_t *in = values->getBytes().data();
  llvm::ArrayRef<int64_t> idx = indices->getData<int64_t>();
  for (int64_t i = 0; i < nnz; ++i) {
    int64_t position = 0;
    if (linear) {
      position = idx[size_t(i)];
    } else {
      for (int axis = 0; axis < rank; ++axis) {
        int64_t coordinate = idx[size_t(i * rank + axis)];
        if (coordinate < 0 || coordinate >= dims[size_t(axis)]) position = -1;
        if (position < 0) break;
        position = position * dims[size_t(axis)] + coordinate;
      }
    }
    if (position < 0 || position >= total)
      return makeError(ErrorCode::BadModel,
                       label + ": index of nonzero " + llvm::Twine(i) + " is out of range");
    std::memcpy(out + position * int64_t(elementSize), in + i * int64_t(elementSize), elementSize);
  }
  return dense;
}

} // namespace spcc

namespace spcc {
llvm::Expected<Tensor> readTensorProtoFile(llvm::StringRef path) {
  auto buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(ErrorCode::IO, path + ": cannot read: " + buffer.getError().message());
  onnx::TensorProto proto;
  if ((*buffer)->getBufferSize() > size_t(std::numeric_limits<int>::max()) ||
      !proto.ParseFromArray((*buffer)->getBufferStart(), int((*buffer)->getBufferSize())))
    return makeError(ErrorCode::InvalidArgument, path + ": not a serialized ONNX TensorProto");
  TensorProtoReader reader("");
  auto tensor = reader.read(proto);
  if (!tensor) return addContext(tensor.takeError(), path);
  return tensor;
}
} // namespace spcc
