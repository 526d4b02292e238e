#include "compiler/ir/DType.h"

#include <onnx/onnx_pb.h>

namespace spcc {

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::Float32:
  case DType::Int32: return 4;
  case DType::Int64: return 8;
  case DType::Float16: return 2;
  case DType::Int8:
  case DType::UInt8:
  case DType::Bool: return 1;
  }
  return 0;
}

llvm::StringRef dtypeName(DType dtype) {
  switch (dtype) {
  case DType::Float32: return "f32";
  case DType::Float16: return "f16";
  case DType::Int64: return "i64";
  case DType::Int32: return "i32";
  case DType::Int8: return "i8";
  case DType::UInt8: return "u8";
  case DType::Bool: return "bool";
  }
  return "?";
}

std::optional<DType> parseDType(llvm::StringRef name) {
  for (DType d : {DType::Float32, DType::Float16, DType::Int64, DType::Int32, DType::Int8,
                  DType::UInt8, DType::Bool})
    if (dtypeName(d) == name) return d;
  return std::nullopt;
}

std::optional<DType> dtypeFromOnnx(int onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT: return DType::Float32;
  case onnx::TensorProto::FLOAT16: return DType::Float16;
  case onnx::TensorProto::INT64: return DType::Int64;
  case onnx::TensorProto::INT32: return DType::Int32;
  case onnx::TensorProto::INT8: return DType::Int8;
  case onnx::TensorProto::UINT8: return DType::UInt8;
  case onnx::TensorProto::BOOL: return DType::Bool;
  default: return std::nullopt;
  }
}

int dtypeToOnnx(DType dtype) {
  switch (dtype) {
  case DType::Float32: return onnx::TensorProto::FLOAT;
  case DType::Float16: return onnx::TensorProto::FLOAT16;
  case DType::Int64: return onnx::TensorProto::INT64;
  case DType::Int32: return onnx::TensorProto::INT32;
  case DType::Int8: return onnx::TensorProto::INT8;
  case DType::UInt8: return onnx::TensorProto::UINT8;
  case DType::Bool: return onnx::TensorProto::BOOL;
  }
  return onnx::TensorProto::UNDEFINED;
}

llvm::StringRef onnxTypeName(int onnxType) {
  if (!onnx::TensorProto_DataType_IsValid(onnxType)) return "UNKNOWN";
  return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(onnxType));
}

} // namespace spcc
