//===- Error.h - Errors carried through the compiler ---------------------===//
//
// User-facing errors (bad model, unsupported op, shape mismatch) travel as llvm::Error holding a
// SpccError. Each error carries a code and a message; helpers add the node and the file so that
// the one line printed by a driver names file, node, op and reason. Compiler bugs are asserted.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_SUPPORT_ERROR_H
#define SPCC_SUPPORT_ERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>

namespace spcc {

/// What went wrong, coarse enough for a driver to pick an exit code or a C API status.
enum class ErrorCode {
  InvalidArgument, ///< A bad flag or API argument.
  IO,              ///< A file could not be read or written.
  BadModel,        ///< The model is malformed (bad protobuf, cycle, missing tensor, bad attribute).
  Unsupported,     ///< Valid ONNX that spcc does not handle.
  Shape,           ///< Shapes or dtypes do not fit together.
  OutOfMemory,     ///< The compilation needs more memory than it may have.
  Internal,        ///< A failure that is spcc's fault.
};

const char *errorCodeName(ErrorCode code);

class SpccError : public llvm::ErrorInfo<SpccError> {
public:
  static char ID;
  SpccError(ErrorCode code, std::string message) : code(code), message(std::move(message)) {}

  ErrorCode getCode() const { return code; }
  const std::string &getMessage() const { return message; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

private:
  ErrorCode code;
  std::string message;
};

/// Process exit code the command-line tools use for \p code: 2 invalid argument, 3 i/o,
/// 4 bad model, 5 unsupported, 6 shape, 70 internal.
int exitCodeFor(ErrorCode code);

/// Prints "\p tool: error: <message>" for \p err on stderr and returns its exit code.
int reportError(llvm::StringRef tool, llvm::Error err);

/// Creates an error with \p code and \p message.
llvm::Error makeError(ErrorCode code, const llvm::Twine &message);

/// Prefixes every SpccError in \p err with "\p context: ", keeping its code.
llvm::Error addContext(llvm::Error err, const llvm::Twine &context);

/// Turns \p err into its message and its code, consuming it.
std::string takeMessage(llvm::Error err, ErrorCode *code = nullptr);

} // namespace spcc

#endif
