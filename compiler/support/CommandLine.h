//===- CommandLine.h - Helpers for the tools' llvm::cl command lines -----===//
#ifndef SPCC_SUPPORT_COMMANDLINE_H
#define SPCC_SUPPORT_COMMANDLINE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace spcc {

/// Unregisters options of the same names that libLLVM.so registered globally (e.g. its pass
/// manager's `print-after`), so that a tool can define its own. Call before defining them.
void reserveOptionNames(llvm::ArrayRef<llvm::StringRef> names);

} // namespace spcc

#endif
