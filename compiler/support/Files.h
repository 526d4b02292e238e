//===- Files.h - Reading and writing the files a user names -------------===//
#ifndef SPCC_SUPPORT_FILES_H
#define SPCC_SUPPORT_FILES_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace spcc {

/// The contents of the regular file at \p path (symlinks followed). Anything else (a FIFO, which
/// would block forever, a device, a directory) fails with an IO error naming the path, as does
/// a file that cannot be read.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readRegularFile(const llvm::Twine &path);

/// Closes \p out, which wrote \p path: an IO error naming the path if any write failed (a full
/// disk, say). The stream's error is cleared, so it does not end the process as LLVM's streams
/// otherwise do.
llvm::Error finishWriting(llvm::raw_fd_ostream &out, const llvm::Twine &path);

/// Checks that \p path may be written as the output named by \p what (e.g. "-o"): it does not
/// exist or is a regular file, and it is not \p input (the file being compiled). An
/// InvalidArgument error otherwise.
llvm::Error checkOutputPath(const llvm::Twine &path, llvm::StringRef what,
                            const llvm::Twine &input);

} // namespace spcc

#endif
