//===- NpyFile.h - NumPy .npy tensor files -------------------------------===//
#ifndef SPCC_SUPPORT_NPYFILE_H
#define SPCC_SUPPORT_NPYFILE_H

#include "compiler/ir/Tensor.h"

#include "llvm/Support/Error.h"

namespace spcc {

/// Reads a little-endian, C-order .npy file (format 1.x/2.x) of float32, float16, int64, int32,
/// int8, uint8 or bool.
llvm::Expected<Tensor> readNpyFile(llvm::StringRef path);
/// Parses .npy bytes; \p label names the source in errors.
llvm::Expected<Tensor> parseNpy(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef label);
/// Writes \p tensor as a version 1.0 .npy file.
llvm::Error writeNpyFile(llvm::StringRef path, const Tensor &tensor);

/// A file name for tensor \p name: characters other than [A-Za-z0-9_.-] become '_'.
std::string tensorFileStem(llvm::StringRef name);

} // namespace spcc

#endif
