//===- CommandLine.h - What the tools' command lines share --------------===//
#ifndef SPCC_TOOLS_COMMANDLINE_H
#define SPCC_TOOLS_COMMANDLINE_H

#include "compiler/frontend/OnnxImporter.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace spcc {

/// Unregisters options of the same names that libLLVM.so registered globally (e.g. its pass
/// manager's `print-after`), so that a tool can define its own. Call before defining them.
void reserveOptionNames(llvm::ArrayRef<llvm::StringRef> names);

/// Import options from the tools' --shape flags ("NAME=1x128x768" each); the importer's errors
/// then name the flag.
llvm::Expected<ImportOptions> importOptionsFromShapeFlags(llvm::ArrayRef<std::string> flags);

/// Parses "NAME=1x128x768" (N as dim 0: the run-time batch) into its name and dims.
llvm::Expected<std::pair<std::string, std::vector<int64_t>>> parseShapeFlag(llvm::StringRef flag);

} // namespace spcc

#endif
