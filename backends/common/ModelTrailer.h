//===- ModelTrailer.h - The checksum every model file ends with ----------===//
#ifndef SPCC_BACKENDS_COMMON_MODELTRAILER_H
#define SPCC_BACKENDS_COMMON_MODELTRAILER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace spcc {

/// Appends the trailer of runtime/ModelAbi.h (the length and XXH3 hash of everything before it)
/// to the linked model at \p path, which the runtime checks before loading it. Every target
/// seals the file it links, before moving it into place.
llvm::Error appendModelTrailer(llvm::StringRef path);

} // namespace spcc

#endif
