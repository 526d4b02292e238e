#include "compiler/support/Error.h"

#include "llvm/Support/raw_ostream.h"

namespace spcc {

char SpccError::ID = 0;

const char *errorCodeName(ErrorCode code) {
  switch (code) {
  case ErrorCode::InvalidArgument: return "invalid argument";
  case ErrorCode::IO: return "i/o error";
  case ErrorCode::BadModel: return "bad model";
  case ErrorCode::Unsupported: return "unsupported";
  case ErrorCode::Shape: return "shape error";
  case ErrorCode::OutOfMemory: return "out of memory";
  case ErrorCode::Internal: return "internal error";
  }
  return "error";
}

int exitCodeFor(ErrorCode code) {
  switch (code) {
  case ErrorCode::InvalidArgument: return 2;
  case ErrorCode::IO: return 3;
  case ErrorCode::BadModel: return 4;
  case ErrorCode::Unsupported: return 5;
  case ErrorCode::Shape: return 6;
  case ErrorCode::OutOfMemory: return 7;
  case ErrorCode::Internal: return 70;
  }
  return 1;
}

int reportError(llvm::StringRef tool, llvm::Error err) {
  ErrorCode code;
  std::string message = takeMessage(std::move(err), &code);
  // One line, whatever names a malformed model carries.
  std::string line;
  for (char c : message) {
    if (c == '\n')
      line += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      line += '?';
    else
      line += c;
  }
  llvm::errs() << tool << ": error: " << line << "\n";
  return exitCodeFor(code);
}

void SpccError::log(llvm::raw_ostream &os) const { os << message; }

std::error_code SpccError::convertToErrorCode() const { return llvm::inconvertibleErrorCode(); }

llvm::Error makeError(ErrorCode code, const llvm::Twine &message) {
  return llvm::make_error<SpccError>(code, message.str());
}

llvm::Error addContext(llvm::Error err, const llvm::Twine &context) {
  std::string prefix = context.str();
  return llvm::handleErrors(std::move(err), [&](const SpccError &e) {
    return makeError(e.getCode(), prefix + ": " + e.getMessage());
  });
}

std::string takeMessage(llvm::Error err, ErrorCode *code) {
  ErrorCode first = ErrorCode::Internal;
  bool seen = false;
  std::string text;
  llvm::handleAllErrors(
      std::move(err),
      [&](const SpccError &e) {
        if (!seen) first = e.getCode();
        seen = true;
        text += (text.empty() ? "" : "; ") + e.getMessage();
      },
      [&](const llvm::ErrorInfoBase &e) { text += (text.empty() ? "" : "; ") + e.message(); });
  if (code) *code = first;
  return text;
}

} // namespace spcc
