//===- TuneCache.cpp - Tuning results kept across compilations -----------===//
#include "backends/common/TuneCache.h"

#include "compiler/support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <map>

namespace spcc {
namespace {

/// Bumped whenever the generator or the tuner changes what a tiling means.
constexpr const char *kFormat = "spcc-tune-6";

template <typename T> void hashInto(std::string &bytes, llvm::ArrayRef<T> values) {
  bytes.append(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T));
}

} // namespace

TuneCache TuneCache::load(std::string path) {
  TuneCache cache;
  cache.path = std::move(path);
  auto buffer = llvm::MemoryBuffer::getFile(cache.path);
  if (!buffer) return cache;
  llvm::SmallVector<llvm::StringRef> rows;
  (*buffer)->getBuffer().split(rows, '\n', -1, false);
  for (llvm::StringRef row : rows) {
    auto [key, rest] = row.split(' ');
    if (!key.starts_with(kFormat)) continue;
    cache.lines[key] = rest.str();
  }
  return cache;
}

llvm::Error TuneCache::save() const {
  if (!changed || path.empty()) return llvm::Error::success();
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (!dir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dir))
      return makeError(ErrorCode::IO, "cannot create " + dir + ": " + ec.message());
  // Sorted, so the file itself is deterministic too.
  std::map<std::string, std::string> sorted;
  for (const auto &entry : lines) sorted[entry.getKey().str()] = entry.getValue();
  std::string temp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(temp, ec);
    if (ec) return makeError(ErrorCode::IO, "cannot write " + temp + ": " + ec.message());
    for (const auto &[key, value] : sorted) out << key << ' ' << value << '\n';
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path))
    return makeError(ErrorCode::IO, "cannot write " + path + ": " + ec.message());
  return llvm::Error::success();
}

std::string TuneCache::keyOf(const SparseLayer &layer, const TuningSetting &setting) {
  std::string bytes;
  const SparseTensor &a = layer.spec.weights;
  int64_t shape[] = {a.getRows(),
                     a.getCols(),
                     layer.spec.n,
                     layer.spec.ldc,
                     layer.params.b_layout,
                     layer.params.c_layout,
                     int64_t(layer.spec.epilogue.bias.size()),
                     layer.spec.epilogue.residual,
                     int64_t(layer.spec.epilogue.activation.kind),
                     int64_t(setting.level),
                     int64_t(setting.threads),
                     setting.unrolledBudget};
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

std::optional<KernelChoice> TuneCache::lookup(const std::string &key) const {
  auto found = lines.find(key);
  if (found == lines.end()) return std::nullopt;
  llvm::SmallVector<llvm::StringRef> fields;
  llvm::StringRef(found->getValue()).split(fields, ' ');
  if (fields.size() != 4) return std::nullopt;
  KernelChoice choice;
  auto tiling = parseTiling(fields[1]);
  if ((fields[0] != "sparse" && fields[0] != "dense") || !tiling) return std::nullopt;
  choice.sparse = fields[0] == "sparse";
  choice.tiling = *tiling;
  if (fields[2].getAsDouble(choice.sparseSeconds)) choice.sparseSeconds = std::nan("");
  if (fields[3].getAsDouble(choice.denseSeconds)) choice.denseSeconds = std::nan("");
  return choice;
}

void TuneCache::insert(const std::string &key, const KernelChoice &choice) {
  lines[key] = llvm::formatv("{0} {1} {2:e} {3:e}", choice.sparse ? "sparse" : "dense",
                             choice.tiling.describe(), choice.sparseSeconds, choice.denseSeconds)
                   .str();
  changed = true;
}

} // namespace spcc
