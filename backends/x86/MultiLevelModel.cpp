//===- MultiLevelModel.cpp - One model .so with code for several x86 levels -===//
//
// Each level is compiled as a model of its own (tuned or cost-modelled for that level), then
// the files are joined: the lowest level's ELF image first, so the result is still a complete
// model that any loader runs at that level, then each higher level's whole file, the table that
// says where each lies, and a trailer over everything (ModelAbi.h).
//
//===----------------------------------------------------------------------===//
#include "backends/x86/MultiLevelModel.h"

#include "backends/common/ModelTrailer.h"
#include "backends/x86/ModelCompiler.h"
#include "backends/x86/TargetIsa.h"
#include "compiler/support/Error.h"
#include "compiler/support/Files.h"
#include "runtime/ModelAbi.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

namespace spcc::x86 {
namespace {

static_assert(sizeof(spcc_abi_variant) == 40 && sizeof(spcc_abi_variants_footer) == 16,
              "the runtime reads the variant table as packed 40- and 16-byte records");

/// The bytes of a model file before its trailer (the file was sealed by appendModelTrailer).
llvm::Expected<llvm::StringRef> imageOf(const llvm::MemoryBuffer &file) {
  llvm::StringRef bytes = file.getBuffer();
  if (bytes.size() < sizeof(spcc_abi_trailer))
    return makeError(ErrorCode::Internal, "a compiled level's model has no trailer");
  return bytes.drop_back(sizeof(spcc_abi_trailer));
}

template <typename T> void appendRecord(std::string &out, const T &record) {
  out.append(reinterpret_cast<const char *>(&record), sizeof record);
}

} // namespace

llvm::Error compileMultiLevelModel(const Graph &graph, const CompileOptions &options,
                                   llvm::ArrayRef<std::string> targets, CompileReport &report) {
  // The levels, lowest first (the one a plain dlopen runs); each named once.
  std::map<std::string, std::string> targetOfLevel;
  for (const std::string &target : targets) {
    auto isa = selectTargetIsa(target);
    if (!isa) return isa.takeError();
    auto [at, added] = targetOfLevel.emplace(isa->kernelLevel, target);
    if (!added)
      return makeError(ErrorCode::InvalidArgument, "--target: '" + at->second + "' and '" + target +
                                                       "' are both " + isa->kernelLevel +
                                                       "; name each ISA level once");
  }
  if (targetOfLevel.size() > SPCC_ABI_MAX_VARIANTS)
    return makeError(ErrorCode::InvalidArgument, "--target: too many ISA levels");

  std::vector<std::unique_ptr<TemporaryFile>> files;
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> contents;
  std::vector<CompileReport> levelReports;
  for (const auto &[level, target] : targetOfLevel) {
    auto file = TemporaryFile::create(options.outputPath + "-%%%%%%." + level + ".tmp");
    if (!file) return file.takeError();
    CompileOptions levelOptions = options;
    levelOptions.target = target;
    levelOptions.outputPath = (*file)->path();
    if (options.log)
      *options.log << "spcc: compiling for " << target
                   << (target == level ? "" : " (" + level + ")") << "\n";
    levelReports.emplace_back();
    if (llvm::Error err = compileModel(graph, levelOptions, levelReports.back())) return err;
    auto bytes = readRegularFile((*file)->path());
    if (!bytes) return bytes.takeError();
    files.push_back(std::move(*file));
    contents.push_back(std::move(*bytes));
  }

  std::string joined;
  std::vector<spcc_abi_variant> table;
  size_t index = 0;
  for (const auto &[level, target] : targetOfLevel) {
    const llvm::MemoryBuffer &file = *contents[index++];
    spcc_abi_variant entry{};
    std::memcpy(entry.target, level.c_str(), std::min(level.size(), sizeof entry.target - 1));
    entry.offset = joined.size();
    if (table.empty()) {
      auto image = imageOf(file);
      if (!image) return image.takeError();
      joined += *image;
    } else {
      joined += file.getBuffer();
    }
    entry.bytes = joined.size() - entry.offset;
    table.push_back(entry);
  }
  for (const spcc_abi_variant &entry : table) appendRecord(joined, entry);
  spcc_abi_variants_footer footer{};
  footer.count = table.size();
  std::memcpy(footer.magic, SPCC_ABI_VARIANTS_MAGIC, sizeof footer.magic);
  appendRecord(joined, footer);

  // Written next to the destination and sealed, then moved into place.
  auto output = TemporaryFile::create(options.outputPath + "-%%%%%%.tmp");
  if (!output) return output.takeError();
  {
    std::error_code ec;
    llvm::raw_fd_ostream out((*output)->path(), ec);
    if (ec)
      return makeError(ErrorCode::IO, "cannot write " + options.outputPath + ": " + ec.message());
    out << joined;
    if (llvm::Error err = finishWriting(out, options.outputPath)) return err;
  }
  if (llvm::Error err = appendModelTrailer((*output)->path())) return err;
  // Executable like every linked model (the linker's choice for the first level's file).
  if (auto permissions = llvm::sys::fs::getPermissions(files.front()->path()))
    llvm::sys::fs::setPermissions((*output)->path(), *permissions);
  if (std::error_code ec = llvm::sys::fs::rename((*output)->path(), options.outputPath))
    return makeError(ErrorCode::IO, "cannot write " + options.outputPath + ": " + ec.message());
  (*output)->keep();

  // The report describes the highest level; the others ride along, lowest first.
  report = std::move(levelReports.back());
  levelReports.pop_back();
  report.lowerLevels = std::move(levelReports);
  std::vector<std::string> levels;
  for (const auto &entry : targetOfLevel) levels.push_back(entry.first);
  report.target += " (of " + llvm::join(levels, " + ") + ")";
  uint64_t bytes = 0;
  if (!llvm::sys::fs::file_size(options.outputPath, bytes))
    report.sharedLibraryBytes = int64_t(bytes);
  return llvm::Error::success();
}

} // namespace spcc::x86
