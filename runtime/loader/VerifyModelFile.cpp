//===- VerifyModelFile.cpp - Check a model file before dlopen sees it ----===//
//
// The dynamic loader trusts the files it maps: a truncated .so raises SIGBUS when a page past
// the end is touched, and damaged dynamic sections make it assert and end the process. So the
// loader reads the whole file first and checks it against the trailer the compiler appended
// (ModelAbi.h): the image's length and XXH3 hash, then the ELF header's own consistency.
//
//===----------------------------------------------------------------------===//

#include "LastError.h"
#include "Model.h"

#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <elf.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace spcc::runtime {

bool readAt(int fd, void *buffer, size_t bytes, uint64_t offset) {
  auto *out = static_cast<char *>(buffer);
  while (bytes > 0) {
    ssize_t got = pread(fd, out, bytes, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    bytes -= size_t(got);
    offset += uint64_t(got);
  }
  return true;
}

namespace {

spcc_status damaged(const std::string &path, const std::string &what) {
  return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: " + what);
}

/// Checks that the ELF header of the image describes an x86-64 shared object whose header
/// tables lie inside the image.
spcc_status checkElfHeader(int fd, uint64_t imageBytes, const std::string &path) {
  Elf64_Ehdr header;
  if (imageBytes < sizeof header || !readAt(fd, &header, sizeof header, 0) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return fail(SPCC_ERR_BAD_MODEL, path + ": not a model compiled by spcc (not an ELF file)");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_machine != EM_X86_64 || header.e_type != ET_DYN)
    return fail(SPCC_ERR_BAD_MODEL,
                path + ": not a model for this machine (not an x86-64 shared object)");
  auto tableFits = [&](uint64_t offset, uint64_t count, uint64_t entryBytes) {
    return offset <= imageBytes && count * entryBytes <= imageBytes - offset;
  };
  if (header.e_phentsize != sizeof(Elf64_Phdr) ||
      !tableFits(header.e_phoff, header.e_phnum, header.e_phentsize) ||
      (header.e_shnum > 0 && !tableFits(header.e_shoff, header.e_shnum, header.e_shentsize)))
    return damaged(path, "its ELF header tables lie outside the file");
  return SPCC_OK;
}

} // namespace

spcc_status verifyModelFile(int fd, const std::string &path, uint64_t *imageBytes) {
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    return fail(SPCC_ERR_IO, path + ": cannot open the model file (not a regular file)");
  uint64_t size = uint64_t(info.st_size);
  spcc_abi_trailer trailer;
  const size_t magicBytes = sizeof trailer.magic;
  if (size < sizeof trailer || !readAt(fd, &trailer, sizeof trailer, size - sizeof trailer) ||
      std::memcmp(trailer.magic, SPCC_ABI_TRAILER_MAGIC, magicBytes) != 0)
    return fail(SPCC_ERR_BAD_MODEL,
                path + ": not a complete model compiled by this version of spcc (its trailer is "
                       "missing: the file was truncated or modified after compilation, e.g. "
                       "stripped, or compiled by an older spcc; recompile it)");
  if (XXH3_64bits(&trailer, offsetof(spcc_abi_trailer, trailer_hash)) != trailer.trailer_hash)
    return damaged(path, "its trailer is corrupt");
  if (trailer.image_bytes != size - sizeof trailer)
    return damaged(path, "the file has " + std::to_string(size) + " bytes, its trailer says " +
                             std::to_string(trailer.image_bytes + sizeof trailer));

  // The image, hashed as it streams through one buffer.
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t *)> state(XXH3_createState(),
                                                                         XXH3_freeState);
  if (!state || XXH3_64bits_reset(state.get()) != XXH_OK)
    return fail(SPCC_ERR_OUT_OF_MEMORY, path + ": out of memory checking the model file");
  constexpr size_t chunkBytes = size_t(1) << 20;
  std::unique_ptr<char[]> chunk(new char[chunkBytes]);
  for (uint64_t offset = 0; offset < trailer.image_bytes; offset += chunkBytes) {
    size_t bytes = size_t(std::min<uint64_t>(chunkBytes, trailer.image_bytes - offset));
    if (!readAt(fd, chunk.get(), bytes, offset))
      return fail(SPCC_ERR_IO, path + ": cannot read the model file");
    XXH3_64bits_update(state.get(), chunk.get(), bytes);
  }
  if (XXH3_64bits_digest(state.get()) != trailer.image_hash)
    return damaged(path, "its contents do not match the checksum written when it was compiled");
  if (imageBytes) *imageBytes = trailer.image_bytes;
  return checkElfHeader(fd, trailer.image_bytes, path);
}

} // namespace spcc::runtime
