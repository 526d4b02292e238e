//===- DType.h - Element types -------------------------------------------===//
#ifndef SPCC_IR_DTYPE_H
#define SPCC_IR_DTYPE_H

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace spcc {

/// Element type of a tensor. Float32 is computed on; the integer and bool types carry shape
/// arithmetic and masks; Float16 is storage only.
enum class DType : uint8_t { Float32, Float16, Int64, Int32, Int8, UInt8, Bool };

/// Size of one element in bytes (Bool is stored as one byte, 0 or 1).
size_t dtypeSize(DType dtype);

/// Short name used by the text IR: f32, f16, i64, i32, i8, u8, bool.
llvm::StringRef dtypeName(DType dtype);
std::optional<DType> parseDType(llvm::StringRef name);

/// Conversion from and to ONNX's TensorProto.DataType numbers.
std::optional<DType> dtypeFromOnnx(int onnxType);
int dtypeToOnnx(DType dtype);
/// ONNX's name of an ONNX data type number (FLOAT, INT64, ...), for error messages.
llvm::StringRef onnxTypeName(int onnxType);

} // namespace spcc

#endif
