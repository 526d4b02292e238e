//===- OnnxImporter.h - ONNX model to spcc IR ----------------------------===//
#ifndef SPCC_FRONTEND_ONNXIMPORTER_H
#define SPCC_FRONTEND_ONNXIMPORTER_H

#include "compiler/ir/Graph.h"

#include <map>
#include <memory>
#include <set>

namespace spcc {

/// Supported range of the default-domain ONNX opset.
constexpr int kMinOpset = 7;
constexpr int kMaxOpset = 21;
/// The newest opset ONNX 1.12's checker and shape inference know; newer models are checked by
/// spcc's own schemas and shape rules only.
constexpr int kMaxOnnxCheckedOpset = 17;

/// A dim of an input shape written N: dim 0 left to run time, the batch (RuntimeBatch.h).
constexpr int64_t kRuntimeBatchDim = -1;

struct ImportOptions {
  /// Dims for graph inputs (the tools' --shape NAME=DIMS): required for every input with a dynamic
  /// dim.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Inputs whose dim 0 in inputShapes stands for the run-time batch: the model must leave that
  /// dim dynamic.
  std::set<std::string> runtimeBatchInputs;
  /// Graph inputs bound to fixed data: they become constants of the model (a model's integer
  /// shape parameters, e.g. Reshape targets fed as inputs, must be known at compile time).
  std::map<std::string, Tensor> boundInputs;
  /// How the caller's users give an input's shape (the tools: "--shape"), named in errors about
  /// input shapes; empty: errors speak of the input shape.
  std::string shapeOption;
};

/// Reads the ONNX model at \p path (and its external data files beside it), canonicalizes every
/// node to spcc's op forms, and infers every value's type. Errors name the file, node, op and
/// reason.
llvm::Expected<std::unique_ptr<Graph>> importOnnxFile(llvm::StringRef path,
                                                      const ImportOptions &options);

/// Same for a model held in memory; \p label names it in errors. External data is rejected.
llvm::Expected<std::unique_ptr<Graph>> importOnnxBuffer(llvm::ArrayRef<uint8_t> bytes,
                                                        llvm::StringRef label,
                                                        const ImportOptions &options);

} // namespace spcc

#endif
