//===- Files.cpp - Reading and writing the files a user names -----------===//
#include "compiler/support/Files.h"

#include "compiler/support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"

namespace spcc {
namespace {

/// "a directory", "a FIFO", ... for an error about a file that is not a regular one.
const char *describeKind(llvm::sys::fs::file_type type) {
  using llvm::sys::fs::file_type;
  switch (type) {
  case file_type::directory_file: return "a directory";
  case file_type::fifo_file: return "a FIFO";
  case file_type::block_file:
  case file_type::character_file: return "a device";
  case file_type::socket_file: return "a socket";
  default: return "not a regular file";
  }
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readRegularFile(const llvm::Twine &path) {
  std::string name = path.str();
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(name, status))
    return makeError(ErrorCode::IO, name + ": cannot read: " + ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return makeError(ErrorCode::IO,
                     name + ": cannot read: " + describeKind(status.type()) + ", not a file");
  auto buffer = llvm::MemoryBuffer::getFile(name, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(ErrorCode::IO, name + ": cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

TemporaryFile::TemporaryFile(std::string path) : filePath(std::move(path)) {
  llvm::sys::RemoveFileOnSignal(filePath);
}

TemporaryFile::~TemporaryFile() {
  if (kept) return;
  llvm::sys::fs::remove(filePath);
  llvm::sys::DontRemoveFileOnSignal(filePath);
}

llvm::Expected<std::unique_ptr<TemporaryFile>> TemporaryFile::create(const llvm::Twine &pattern) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    llvm::SmallString<256> path;
    llvm::sys::fs::createUniquePath(pattern, path, /*MakeAbsolute=*/false);
    auto file = std::make_unique<TemporaryFile>(path.str().str());
    int fd = -1;
    std::error_code ec = llvm::sys::fs::openFileForWrite(path, fd, llvm::sys::fs::CD_CreateNew);
    if (!ec) {
      llvm::sys::Process::SafelyCloseFileDescriptor(fd);
      return std::move(file);
    }
    file->keep(); // not ours: another file has the name, or none was made
    if (ec != std::errc::file_exists)
      return makeError(ErrorCode::IO, "cannot create " + path + ": " + ec.message());
  }
  return makeError(ErrorCode::IO, "cannot create a file named like " + pattern);
}

llvm::Expected<std::unique_ptr<TemporaryFile>>
TemporaryFile::createInTempDir(llvm::StringRef prefix, llvm::StringRef suffix) {
  llvm::SmallString<256> pattern;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, pattern);
  llvm::sys::path::append(pattern, prefix + "-%%%%%%." + suffix);
  return create(pattern);
}

void TemporaryFile::keep() {
  kept = true;
  llvm::sys::DontRemoveFileOnSignal(filePath);
}

llvm::Error finishWriting(llvm::raw_fd_ostream &out, const llvm::Twine &path) {
  out.close();
  if (!out.has_error()) return llvm::Error::success();
  std::string reason = out.error().message();
  out.clear_error();
  return makeError(ErrorCode::IO, "cannot write " + path + ": " + reason);
}

llvm::Error checkOutputPath(const llvm::Twine &path, llvm::StringRef what,
                            const llvm::Twine &input) {
  std::string name = path.str();
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(name, status)) return llvm::Error::success(); // nothing there yet
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return makeError(ErrorCode::InvalidArgument, what + " " + name + ": " +
                                                     describeKind(status.type()) +
                                                     "; spcc writes only regular files");
  bool same = false;
  if (!llvm::sys::fs::equivalent(input, name, same) && same)
    return makeError(ErrorCode::InvalidArgument,
                     what + " " + name + " is the model being compiled; name another file");
  return llvm::Error::success();
}

} // namespace spcc
