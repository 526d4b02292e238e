//===- Files.h - Reading and writing the files a user names -------------===//
#ifndef SPCC_SUPPORT_FILES_H
#define SPCC_SUPPORT_FILES_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace spcc {

/// The contents of the regular file at \p path (symlinks followed). Anything else (a FIFO, which
/// would block forever, a device, a directory) fails with an IO error naming the path, as does
/// a file that cannot be read.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readRegularFile(const llvm::Twine &path);

/// A file that exists only while the object lives: removed when it goes out of scope, and also
/// when the process is interrupted meanwhile (SIGINT, SIGTERM), unless kept.
class TemporaryFile {
public:
  explicit TemporaryFile(std::string path);
  ~TemporaryFile();
  /// A new empty file named by \p pattern with each '%' a random hex digit (e.g.
  /// "out.so-%%%%%%.tmp"). It is registered for removal before it is created, so that an
  /// interrupt at any moment leaves nothing behind.
  static llvm::Expected<std::unique_ptr<TemporaryFile>> create(const llvm::Twine &pattern);
  /// The same in the system's temporary folder ($TMPDIR): PREFIX-XXXXXX.SUFFIX.
  static llvm::Expected<std::unique_ptr<TemporaryFile>> createInTempDir(llvm::StringRef prefix,
                                                                        llvm::StringRef suffix);
  TemporaryFile(const TemporaryFile &) = delete;
  TemporaryFile &operator=(const TemporaryFile &) = delete;
  const std::string &path() const { return filePath; }
  /// Leaves the file alone from now on (it was renamed into place).
  void keep();

private:
  std::string filePath;
  bool kept = false;
};

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
