//===- FilesTest.cpp - Reading and writing the files a user names --------===//
#include "compiler/support/Files.h"
#include "compiler/support/Error.h"

#include "llvm/Support/FileSystem.h"

#include <catch2/catch.hpp>

using namespace spcc;

TEST_CASE("a failed write is an i/o error naming the file, not the end of the process",
          "[support]") {
  // /dev/full fails every write with ENOSPC: a full disk. LLVM's streams end the process when
  // destroyed with an unhandled error ("LLVM ERROR: IO failure on output stream").
  std::error_code ec;
  llvm::raw_fd_ostream out("/dev/full", ec);
  REQUIRE(!ec);
  out << std::string(1 << 16, 'x');
  ErrorCode code;
  std::string message = takeMessage(finishWriting(out, "report.json"), &code);
  CHECK(code == ErrorCode::IO);
  CHECK_THAT(message, Catch::Contains("cannot write report.json"));
}

TEST_CASE("only regular files are read, and written over", "[support]") {
  ErrorCode code;
  auto directory = readRegularFile("/");
  REQUIRE_FALSE(static_cast<bool>(directory));
  CHECK_THAT(takeMessage(directory.takeError(), &code), Catch::Contains("a directory"));
  CHECK(code == ErrorCode::IO);
  CHECK_THAT(takeMessage(checkOutputPath("/dev/null", "-o", "model.onnx"), &code),
             Catch::Contains("a device"));
  CHECK(code == ErrorCode::InvalidArgument);
  llvm::Error fresh = checkOutputPath("/nonexistent-dir-for-spcc/out.so", "-o", "model.onnx");
  CHECK_FALSE(static_cast<bool>(fresh));
  llvm::consumeError(std::move(fresh));
}
