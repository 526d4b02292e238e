//===- Ptxas.cpp - NVIDIA's PTX assembler, when installed -----------------===//
#include "backends/ptx/Ptxas.h"

#include "compiler/support/Error.h"
#include "compiler/support/Files.h"
#include "compiler/support/ProcessGroup.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace spcc::ptx {

std::optional<std::string> findPtxas() {
  if (const char *cudaHome = std::getenv("CUDA_HOME"); cudaHome && *cudaHome) {
    llvm::SmallString<256> path(cudaHome);
    llvm::sys::path::append(path, "bin", "ptxas");
    if (llvm::sys::fs::can_execute(path)) return std::string(path);
  }
  if (llvm::ErrorOr<std::string> onPath = llvm::sys::findProgramByName("ptxas")) return *onPath;
  if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/ptxas")) return "/usr/local/cuda/bin/ptxas";
  return std::nullopt;
}

std::map<std::string, PtxasKernelInfo> parsePtxasLog(llvm::StringRef log) {
  // ptxas info    : Compiling entry function 'NAME' for 'sm_90'
  // ptxas info    : Function properties for NAME
  //     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
  // ptxas info    : Used 40 registers, used 0 barriers, 368 bytes cmem[0]
  std::map<std::string, PtxasKernelInfo> kernels;
  std::string current;
  llvm::SmallVector<llvm::StringRef, 0> lines;
  log.split(lines, '\n');
  auto numberBefore = [](llvm::StringRef line, llvm::StringRef word) -> int64_t {
    size_t at = line.find(word);
    if (at == llvm::StringRef::npos) return 0;
    llvm::StringRef head = line.substr(0, at).rtrim();
    size_t start = head.find_last_of(" ,:");
    int64_t value = 0;
    head.substr(start == llvm::StringRef::npos ? 0 : start + 1).getAsInteger(10, value);
    return value;
  };
  for (llvm::StringRef line : lines) {
    if (size_t at = line.find("Compiling entry function '"); at != llvm::StringRef::npos) {
      llvm::StringRef rest = line.substr(at + llvm::StringRef("Compiling entry function '").size());
      current = rest.take_until([](char c) { return c == '\''; }).str();
      kernels[current];
    } else if (!current.empty() && line.contains("bytes spill stores")) {
      PtxasKernelInfo &info = kernels[current];
      info.stackFrameBytes = numberBefore(line, "bytes stack frame");
      info.spillStoreBytes = numberBefore(line, "bytes spill stores");
      info.spillLoadBytes = numberBefore(line, "bytes spill loads");
    } else if (!current.empty() && line.contains("Used ") && line.contains(" registers")) {
      kernels[current].registers = int(numberBefore(line, "registers"));
    }
  }
  return kernels;
}

llvm::Expected<PtxasResult> assemblePtx(const std::string &ptxas, llvm::StringRef ptx,
                                        const GpuArch &arch) {
  auto source = TemporaryFile::createInTempDir("spcc-kernel", "ptx");
  if (!source) return source.takeError();
  auto cubin = TemporaryFile::createInTempDir("spcc-kernel", "cubin");
  if (!cubin) return cubin.takeError();
  auto log = TemporaryFile::createInTempDir("spcc-ptxas", "txt");
  if (!log) return log.takeError();
  {
    std::error_code error;
    llvm::raw_fd_ostream out((*source)->path(), error);
    if (error)
      return makeError(ErrorCode::IO, "cannot write " + (*source)->path() + ": " + error.message());
    out << ptx;
    if (llvm::Error err = finishWriting(out, (*source)->path())) return std::move(err);
  }
  std::string archFlag = "-arch=" + arch.name;
  llvm::SmallVector<llvm::StringRef, 8> args = {
      ptxas, "-O3", "-v", archFlag, "-o", (*cubin)->path(), (*source)->path()};
  // Its own process group: interrupting spcc ends ptxas too (ProcessGroup.h).
  std::string message;
  int rc = runInOwnProcessGroup(args, (*log)->path(), (*log)->path(), message);
  PtxasResult result;
  if (auto text = llvm::MemoryBuffer::getFile((*log)->path())) result.log = (*text)->getBuffer();
  if (rc != 0)
    return makeError(ErrorCode::Internal, "ptxas -arch=" + arch.name + " rejected generated PTX" +
                                              (message.empty() ? "" : " (" + message + ")") + ": " +
                                              result.log);
  auto binary = llvm::MemoryBuffer::getFile((*cubin)->path(), /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!binary)
    return makeError(ErrorCode::IO, "cannot read ptxas's output: " + binary.getError().message());
  result.cubin.assign((*binary)->getBufferStart(), (*binary)->getBufferEnd());
  result.kernels = parsePtxasLog(result.log);
  return result;
}

} // namespace spcc::ptx
