//===- Linker.cpp - From a model object to a model .so --------------------===//
//
// The object is linked by the C++ compiler driver spcc was built with (SPCC_LINKER_DRIVER, e.g.
// clang++-19), run as a child process, not by lld in-process (liblld-19-dev). The kernel archive
// is C++ compiled with that compiler and its -fopenmp: linking it needs that compiler's C++
// runtime, its crtbeginS/crtendS objects (static destructors use __dso_handle), the library
// search paths of the installed GCC, and the OpenMP runtime it chose (libomp for clang). The
// driver knows all of these; calling lld::elf::link directly would mean re-implementing its
// toolchain detection, and linking lld's static libraries into spcc would add megabytes and
// build time for no behaviour a user could see. The linker is an implementation detail: the
// code itself is generated in-process through LLVM's API.
//
//===----------------------------------------------------------------------===//
#include "backends/x86/Linker.h"

#include "backends/common/ModelTrailer.h"
#include "compiler/support/Error.h"
#include "compiler/support/Files.h"
#include "compiler/support/ProcessGroup.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#ifndef SPCC_LINKER_DRIVER
#error "SPCC_LINKER_DRIVER (the C++ compiler driver that links models) must be defined"
#endif
#ifndef SPCC_KERNEL_ARCHIVE_DIR
#error "SPCC_KERNEL_ARCHIVE_DIR (the build tree's kernel archives) must be defined"
#endif

namespace spcc::x86 {

llvm::Expected<std::string> findKernelLibrary(llvm::StringRef kernelLevel,
                                              llvm::StringRef executablePath,
                                              llvm::StringRef extension) {
  llvm::StringRef suffix = kernelLevel;
  if (!suffix.consume_front("x86-64-"))
    return makeError(ErrorCode::Internal, "no kernel library for target '" + kernelLevel + "'");
  std::string fileName = ("libspcc_kernels_" + suffix + "." + extension).str();
  std::vector<std::string> candidates;
  if (!executablePath.empty()) {
    llvm::SmallString<256> installed(llvm::sys::path::parent_path(executablePath));
    llvm::sys::path::append(installed, "..", "lib", "spcc", fileName);
    candidates.push_back(installed.str().str());
  }
  llvm::SmallString<256> built(SPCC_KERNEL_ARCHIVE_DIR);
  llvm::sys::path::append(built, fileName);
  candidates.push_back(built.str().str());
  for (const std::string &path : candidates)
    if (llvm::sys::fs::is_regular_file(path)) return path;
  return makeError(ErrorCode::IO, "cannot find the kernel library " + fileName + " (looked at " +
                                      llvm::join(candidates, ", ") + ")");
}

namespace {

/// The compiler driver to link with: the one spcc was built with, or the same name on PATH.
std::string linkerDriver() {
  llvm::StringRef configured = SPCC_LINKER_DRIVER;
  if (llvm::sys::fs::can_execute(configured)) return configured.str();
  if (auto found = llvm::sys::findProgramByName(llvm::sys::path::filename(configured)))
    return *found;
  return configured.str();
}

/// The first lines of the file at \p path (a child's stderr), for an error message.
std::string firstLines(llvm::StringRef path, int count) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) return "";
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().trim().split(lines, '\n', count);
  if (int(lines.size()) > count) lines.pop_back();
  return llvm::join(lines, "; ");
}

/// The cause, when the linker failed writing its output: a full disk, a quota, the file size
/// limit (ulimit -f), an I/O error. Linkers report it in the C library's words (strerror), or
/// die of SIGXFSZ, which the driver reports by the signal's description.
std::optional<std::string> writeFailureIn(llvm::StringRef linkerOutput) {
  for (int error : {ENOSPC, EDQUOT, EFBIG, EIO})
    if (linkerOutput.contains_insensitive(std::strerror(error)))
      return llvm::StringRef(std::strerror(error)).lower();
  if (linkerOutput.contains_insensitive(strsignal(SIGXFSZ)))
    return llvm::StringRef(strsignal(SIGXFSZ)).lower() + " (ulimit -f)";
  return std::nullopt;
}

} // namespace

llvm::Error linkModel(llvm::ArrayRef<llvm::ArrayRef<char>> objects, llvm::StringRef archivePath,
                      llvm::StringRef outputPath) {
  // Every temporary goes when linking ends, however it ends (an interrupt included).
  std::vector<std::string> objectPaths;
  std::vector<std::unique_ptr<TemporaryFile>> temporaries;
  for (llvm::ArrayRef<char> object : objects) {
    auto file = TemporaryFile::createInTempDir("spcc-model", "o");
    if (!file) return file.takeError();
    const std::string &objectPath = (*file)->path();
    temporaries.push_back(std::move(*file));
    objectPaths.push_back(objectPath);
    std::error_code ec;
    llvm::raw_fd_ostream out(objectPath, ec);
    if (ec) return makeError(ErrorCode::IO, "cannot write " + objectPath + ": " + ec.message());
    out.write(object.data(), object.size());
    if (llvm::Error err = finishWriting(out, objectPath)) return err;
  }
  auto errorsFile = TemporaryFile::createInTempDir("spcc-link", "txt");
  if (!errorsFile) return errorsFile.takeError();
  llvm::StringRef errorsPath = (*errorsFile)->path();
  // Link next to the destination, then rename: a failed link leaves no half-written .so behind.
  auto outputFile = TemporaryFile::create(outputPath + "-%%%%%%.tmp");
  if (!outputFile)
    return makeError(ErrorCode::IO,
                     "cannot write " + outputPath + ": " + takeMessage(outputFile.takeError()));
  TemporaryFile &removeTemp = **outputFile;
  llvm::StringRef tempOutput = removeTemp.path();

  std::string driver = linkerDriver();
  std::vector<llvm::StringRef> args = {driver, "-shared", "-o", tempOutput};
  args.insert(args.end(), objectPaths.begin(), objectPaths.end());
  args.insert(args.end(),
              {archivePath,
               // The kernels' OpenMP runtime, linked dynamically.
               "-fopenmp",
               // Identical inputs give identical bytes: no build id (a hash would do, but nothing
               // reads it). Symbols stay for backtraces; the kernel library's debug info goes.
               "-Wl,--build-id=none", "-Wl,--strip-debug",
               // Only spcc_model_descriptor_v1 is exported: the kernels stay private to the model,
               // so two models of different ISA levels can live in one process.
               "-Wl,--exclude-libs,ALL", "-Wl,--no-undefined", "-Wl,-z,noexecstack", "-Wl,-z,relro",
               "-Wl,-z,now"});
  // Its own process group: interrupting spcc ends the driver and the linker too (ProcessGroup.h).
  std::string message;
  int rc = runInOwnProcessGroup(args, "", errorsPath, message);
  if (rc != 0) {
    std::string linkerOutput = firstLines(errorsPath, 5);
    if (std::optional<std::string> cause = writeFailureIn(message + "\n" + linkerOutput))
      return makeError(ErrorCode::IO, "cannot write " + outputPath + ": " + *cause);
    return makeError(ErrorCode::Internal, "linking " + outputPath + " with " + driver + " failed" +
                                              (message.empty() ? "" : ": " + message) + ": " +
                                              linkerOutput);
  }
  if (llvm::Error err = appendModelTrailer(tempOutput)) return err;
  if (std::error_code ec = llvm::sys::fs::rename(tempOutput, outputPath))
    return makeError(ErrorCode::IO, "cannot write " + outputPath + ": " + ec.message());
  removeTemp.keep();
  return llvm::Error::success();
}

} // namespace spcc::x86
