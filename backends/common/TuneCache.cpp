//===- TuneCache.cpp - Tuning results kept across compilations -----------===//
#include "backends/common/TuneCache.h"

#include "compiler/support/Error.h"
#include "compiler/support/Files.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <map>

namespace spcc {
namespace {

/// Bumped whenever the generator or the tuner changes what a tiling means.
constexpr const char *kFormat = "spcc-tune-14";

template <typename T> void hashInto(std::string &bytes, llvm::ArrayRef<T> values) {
  bytes.append(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T));
}

/// The entries of the cache file at \p path (none when it is missing or unreadable).
llvm::StringMap<std::string> readEntries(const std::string &path) {
  llvm::StringMap<std::string> entries;
  if (path.empty()) return entries;
  auto file = llvm::MemoryBuffer::getFile(path);
  if (!file) return entries;
  llvm::SmallVector<llvm::StringRef> rows;
  (*file)->getBuffer().split(rows, '\n', -1, false);
  for (llvm::StringRef row : rows) {
    auto [key, rest] = row.split(' ');
    if (key.starts_with(kFormat)) entries[key] = rest.str();
  }
  return entries;
}

} // namespace

TuneCache TuneCache::load(std::string path) {
  TuneCache cache;
  cache.path = std::move(path);
  cache.lines = readEntries(cache.path);
  return cache;
}

llvm::Error TuneCache::save() {
  if (added.empty() || path.empty()) return llvm::Error::success();
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (!dir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dir))
      return makeError(ErrorCode::IO, "cannot create " + dir + ": " + ec.message());
  // Compilations sharing the cache (make -j) take turns: each merges its new decisions into the
  // file as it is now, under an exclusive lock on a file beside it.
  std::string lockPath = path + ".lock";
  int lockFd = -1;
  if (std::error_code ec =
          llvm::sys::fs::openFileForWrite(lockPath, lockFd, llvm::sys::fs::CD_OpenAlways))
    return makeError(ErrorCode::IO, "cannot open " + lockPath + ": " + ec.message());
  auto closeLock =
      llvm::make_scope_exit([&] { llvm::sys::Process::SafelyCloseFileDescriptor(lockFd); });
  if (std::error_code ec = llvm::sys::fs::lockFile(lockFd))
    return makeError(ErrorCode::IO, "cannot lock " + lockPath + ": " + ec.message());
  auto unlock = llvm::make_scope_exit([&] { llvm::sys::fs::unlockFile(lockFd); });

  // What another compilation saved first stays (it may already be in a .so), except entries
  // this one found unusable and decided again.
  std::map<std::string, std::string> sorted; // sorted, so the file is deterministic too
  for (const auto &entry : readEntries(path)) sorted[entry.getKey().str()] = entry.getValue();
  for (const std::string &key : added) {
    if (replaced.count(key))
      sorted[key] = lines.lookup(key);
    else
      sorted.emplace(key, lines.lookup(key));
  }
  auto tempFile = TemporaryFile::create(path + "-%%%%%%.tmp");
  if (!tempFile)
    return makeError(ErrorCode::IO,
                     "cannot write beside " + path + ": " + takeMessage(tempFile.takeError()));
  TemporaryFile &removeTemp = **tempFile;
  const std::string &temp = removeTemp.path();
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(temp, ec);
    if (ec) return makeError(ErrorCode::IO, "cannot write " + temp + ": " + ec.message());
    for (const auto &[key, value] : sorted) out << key << ' ' << value << '\n';
    if (llvm::Error err = finishWriting(out, temp)) return err;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path))
    return makeError(ErrorCode::IO, "cannot write " + path + ": " + ec.message());
  removeTemp.keep();
  added.clear();
  replaced.clear();
  return llvm::Error::success();
}

std::string TuneCache::keyOf(const SparseLayer &layer, const TuningSetting &setting) {
  std::string bytes;
  const SparseTensor &a = layer.spec.weights;
  std::vector<int64_t> shape = layer.shapeFields();
  shape.insert(shape.end(),
               {int64_t(setting.level), int64_t(setting.threads), setting.unrolledBudget});
  hashInto<int64_t>(bytes, shape);
  hashInto(bytes, a.getRowStart());
  hashInto(bytes, a.getColIndex());
  hashInto<int64_t>(bytes, layer.spec.bRowOffsets);
  // +-1 values compile differently from the others.
  std::vector<uint8_t> unit;
  for (float v : a.getValues()) unit.push_back(v == 1.0f || v == -1.0f);
  hashInto<uint8_t>(bytes, unit);
  bytes += setting.target;
  return std::string(kFormat) + ":" + llvm::utohexstr(llvm::xxh3_64bits(bytes));
}

llvm::Expected<std::optional<KernelChoice>> TuneCache::lookup(const std::string &key) const {
  auto found = lines.find(key);
  if (found == lines.end()) return std::nullopt;
  llvm::SmallVector<llvm::StringRef> fields;
  llvm::StringRef(found->getValue()).split(fields, ' ');
  std::optional<SpmmTiling> tiling;
  if (fields.size() == 4) tiling = parseTiling(fields[1]);
  if (fields.size() != 4 || (fields[0] != "sparse" && fields[0] != "dense") || !tiling)
    return makeError(ErrorCode::BadModel,
                     "tuning cache " + path + ": unreadable entry '" + found->getValue() + "'");
  KernelChoice choice;
  choice.sparse = fields[0] == "sparse";
  choice.tiling = *tiling;
  if (fields[2].getAsDouble(choice.sparseSeconds)) choice.sparseSeconds = std::nan("");
  if (fields[3].getAsDouble(choice.denseSeconds)) choice.denseSeconds = std::nan("");
  return choice;
}

void TuneCache::insert(const std::string &key, const KernelChoice &choice) {
  added.insert(key);
  if (lines.count(key)) replaced.insert(key);
  lines[key] = llvm::formatv("{0} {1} {2:e} {3:e}", choice.sparse ? "sparse" : "dense",
                             choice.tiling.describe(), choice.sparseSeconds, choice.denseSeconds)
                   .str();
}

} // namespace spcc
