#include "tools/common/CommandLine.h"

#include "compiler/support/Error.h"

#include "llvm/Support/CommandLine.h"

#include <vector>

namespace spcc {

void reserveOptionNames(llvm::ArrayRef<llvm::StringRef> names) {
  llvm::StringMap<llvm::cl::Option *> &registered = llvm::cl::getRegisteredOptions();
  std::vector<llvm::cl::Option *> taken;
  for (llvm::StringRef name : names)
    if (llvm::cl::Option *option = registered.lookup(name)) taken.push_back(option);
  for (llvm::cl::Option *option : taken) option->removeArgument();
}

llvm::Expected<ImportOptions> importOptionsFromShapeFlags(llvm::ArrayRef<std::string> flags) {
  ImportOptions options;
  for (const std::string &flag : flags) {
    auto parsed = parseShapeFlag(flag);
    if (!parsed) return parsed.takeError();
    options.inputShapes[parsed->first] = parsed->second;
  }
  options.shapeOption = "--shape";
  return options;
}

llvm::Expected<std::pair<std::string, std::vector<int64_t>>> parseShapeFlag(llvm::StringRef flag) {
  auto [name, dimsText] = flag.rsplit('=');
  auto bad = [&] {
    return makeError(
        ErrorCode::InvalidArgument,
        "--shape expects NAME=DIMS like input=1x128x768 (N for a run-time batch), got '" + flag +
            "'");
  };
  if (name.empty() || dimsText.empty() || !flag.contains('=')) return bad();
  std::vector<int64_t> dims;
  llvm::SmallVector<llvm::StringRef, 6> parts;
  dimsText.split(parts, 'x');
  for (llvm::StringRef part : parts) {
    int64_t d;
    if (part == "N") {
      if (!dims.empty())
        return makeError(ErrorCode::InvalidArgument,
                         "--shape " + flag + ": only dim 0 may be N, the run-time batch");
      d = kRuntimeBatchDim;
    } else if (part.getAsInteger(10, d) || d < 0) {
      return bad();
    }
    dims.push_back(d);
  }
  return std::make_pair(name.str(), dims);
}

} // namespace spcc
