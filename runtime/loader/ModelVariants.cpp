//===- ModelVariants.cpp - The level of a multi-level model this CPU runs -===//
//
// A model compiled for several x86-64 levels is the lowest level's model with the others'
// files embedded after its ELF bytes (ModelAbi.h, spcc_abi_variant). The loader picks the
// highest level this CPU has (SPCC_MAX_ISA may cap it) and, when that is an embedded one, hands
// the dynamic loader a copy of it in an anonymous memory file.
//
//===----------------------------------------------------------------------===//

#include "LastError.h"
#include "Model.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <memory>
#include <sys/mman.h>
#include <unistd.h>

namespace spcc::runtime {
namespace {

bool writeAll(int fd, const char *data, size_t bytes) {
  while (bytes > 0) {
    ssize_t put = write(fd, data, bytes);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    data += put;
    bytes -= size_t(put);
  }
  return true;
}

spcc_status damagedTable(const std::string &path, const std::string &what) {
  return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: its table of ISA levels " + what);
}

/// The level SPCC_MAX_ISA caps the choice at (0: no cap), or -1 if it names no level.
int levelCap() {
  const char *cap = std::getenv("SPCC_MAX_ISA");
  if (!cap || !*cap) return 0;
  int level = x86Level(cap);
  return level > 0 ? level : -1;
}

} // namespace

spcc_status selectModelVariant(int fd, uint64_t imageBytes, const std::string &path,
                               ModelVariant *out) {
  *out = ModelVariant{};
  spcc_abi_variants_footer footer;
  if (imageBytes < sizeof footer ||
      !readAt(fd, &footer, sizeof footer, imageBytes - sizeof footer) ||
      std::memcmp(footer.magic, SPCC_ABI_VARIANTS_MAGIC, sizeof footer.magic) != 0)
    return SPCC_OK; // a model of one level: the file itself
  if (footer.count < 1 || footer.count > SPCC_ABI_MAX_VARIANTS ||
      footer.count * sizeof(spcc_abi_variant) > imageBytes - sizeof footer)
    return damagedTable(path, "has a bad length");
  uint64_t tableStart = imageBytes - sizeof footer - footer.count * sizeof(spcc_abi_variant);
  spcc_abi_variant table[SPCC_ABI_MAX_VARIANTS];
  if (!readAt(fd, table, footer.count * sizeof(spcc_abi_variant), tableStart))
    return fail(SPCC_ERR_IO, path + ": cannot read the model file");

  int cap = levelCap();
  if (cap < 0)
    return fail(SPCC_ERR_INVALID_ARGUMENT, "SPCC_MAX_ISA: expected x86-64-v3 or x86-64-v4, got '" +
                                               std::string(std::getenv("SPCC_MAX_ISA")) + "'");
  int chosenLevel = 0;
  for (uint64_t i = 0; i < footer.count; ++i) {
    const spcc_abi_variant &entry = table[i];
    if (!std::memchr(entry.target, 0, sizeof entry.target))
      return damagedTable(path, "names a level without an end");
    int level = x86Level(entry.target);
    if (level == 0) return damagedTable(path, "names an unknown level");
    // The first entry is the file's own ELF image; the others lie between it and the table.
    bool inside = i == 0 ? entry.offset == 0 && entry.bytes <= tableStart
                         : entry.offset >= table[0].bytes && entry.offset <= tableStart &&
                               entry.bytes <= tableStart - entry.offset;
    if (!inside) return damagedTable(path, "points outside the file");
    bool wanted = i == 0 || ((cap == 0 || level <= cap) && cpuRunsLevel(level));
    if (wanted && level > chosenLevel) {
      chosenLevel = level;
      out->embedded = i > 0;
      out->offset = entry.offset;
      out->bytes = entry.bytes;
      out->target = entry.target;
    }
  }
  return SPCC_OK;
}

spcc_status openEmbeddedModel(int fd, const ModelVariant &variant, const std::string &path,
                              int *variantFd, std::string *openName) {
  *variantFd = -1;
  std::string name = path + " (its " + variant.target + " code)";
  int memory = memfd_create("spcc-model", MFD_CLOEXEC);
  if (memory < 0)
    return fail(SPCC_ERR_IO, name + ": cannot create a memory file to load it from (error " +
                                 std::to_string(errno) + ")");
  constexpr size_t chunkBytes = size_t(1) << 20;
  std::unique_ptr<char[]> chunk(new char[chunkBytes]);
  for (uint64_t done = 0; done < variant.bytes;) {
    size_t bytes = size_t(std::min<uint64_t>(chunkBytes, variant.bytes - done));
    if (!readAt(fd, chunk.get(), bytes, variant.offset + done) ||
        !writeAll(memory, chunk.get(), bytes)) {
      close(memory);
      return fail(SPCC_ERR_IO, name + ": cannot copy it out of the model file");
    }
    done += bytes;
  }
  if (spcc_status s = verifyModelFile(memory, name)) {
    close(memory);
    return s;
  }
  // The dynamic loader knows objects by name: a name still held by an object that was not
  // unloaded would give back that object. Move the descriptor until its name is new.
  for (int attempt = 0;; ++attempt) {
    std::string candidate = "/proc/self/fd/" + std::to_string(memory);
    void *existing = dlopen(candidate.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!existing) {
      *variantFd = memory;
      *openName = candidate;
      return SPCC_OK;
    }
    dlclose(existing);
    int moved = attempt < 64 ? fcntl(memory, F_DUPFD_CLOEXEC, memory + 1) : -1;
    close(memory);
    if (moved < 0)
      return fail(SPCC_ERR_IO, name + ": cannot give it a name the dynamic loader has not seen");
    memory = moved;
  }
}

} // namespace spcc::runtime
