//===- TensorProtoReader.h - ONNX TensorProto to spcc Tensor -------------===//
#ifndef SPCC_FRONTEND_TENSORPROTOREADER_H
#define SPCC_FRONTEND_TENSORPROTOREADER_H

#include "compiler/ir/Tensor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace onnx {
class TensorProto;
class SparseTensorProto;
} // namespace onnx

namespace spcc {

/// Reads tensors of one model, resolving external data files relative to the model's folder.
/// External files are mapped once and shared by every tensor that points into them.
class TensorProtoReader {
public:
  /// \p modelDir is the folder holding the model; empty when the model came from memory (then
  /// external data is an error).
  explicit TensorProtoReader(std::string modelDir) : modelDir(std::move(modelDir)) {}

  /// Converts \p proto (raw_data, typed fields or external data) to a dense tensor; float16
  /// and double data become float32, as spcc computes.
  llvm::Expected<Tensor> read(const onnx::TensorProto &proto);
  /// Converts a SparseTensorProto (COO, linear or per-axis indices) to a dense tensor.
  llvm::Expected<Tensor> readSparse(const onnx::SparseTensorProto &proto);

private:
  /// The tensor in its stored element type (float16 included).
  llvm::Expected<Tensor> readAsStored(const onnx::TensorProto &proto);
  /// A double tensor, as float32.
  llvm::Expected<Tensor> readDouble(const onnx::TensorProto &proto);
  llvm::Expected<llvm::ArrayRef<uint8_t>> readExternal(const onnx::TensorProto &proto,
                                                       int64_t expectedBytes);

  std::string modelDir;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
};

} // namespace spcc

#endif

namespace spcc {
/// Reads a serialized ONNX TensorProto (.pb, as in ONNX's test data sets).
llvm::Expected<Tensor> readTensorProtoFile(llvm::StringRef path);
} // namespace spcc
