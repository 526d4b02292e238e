//===- ModelTrailer.cpp - The checksum every model file ends with --------===//
#include "backends/common/ModelTrailer.h"

#include "compiler/support/Error.h"
#include "compiler/support/Files.h"
#include "runtime/ModelAbi.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <xxhash.h>

#include <cstddef>
#include <cstring>

namespace spcc {

// The runtime reads the trailer as these 32 bytes.
static_assert(sizeof(spcc_abi_trailer) == 32 && offsetof(spcc_abi_trailer, image_bytes) == 8 &&
                  offsetof(spcc_abi_trailer, image_hash) == 16 &&
                  offsetof(spcc_abi_trailer, trailer_hash) == 24,
              "spcc_abi_trailer: four eight-byte fields");

llvm::Error appendModelTrailer(llvm::StringRef path) {
  spcc_abi_trailer trailer;
  {
    auto image = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false);
    if (!image)
      return makeError(ErrorCode::IO, "cannot read " + path + ": " + image.getError().message());
    std::memcpy(trailer.magic, SPCC_ABI_TRAILER_MAGIC, sizeof trailer.magic);
    trailer.image_bytes = (*image)->getBufferSize();
    trailer.image_hash = XXH3_64bits((*image)->getBufferStart(), (*image)->getBufferSize());
    trailer.trailer_hash = XXH3_64bits(&trailer, offsetof(spcc_abi_trailer, trailer_hash));
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_Append);
  if (ec) return makeError(ErrorCode::IO, "cannot write " + path + ": " + ec.message());
  out.write(reinterpret_cast<const char *>(&trailer), sizeof trailer);
  return finishWriting(out, path);
}

} // namespace spcc
