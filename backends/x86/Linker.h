//===- Linker.h - From a model object to a model .so ----------------------===//
#ifndef SPCC_BACKENDS_X86_LINKER_H
#define SPCC_BACKENDS_X86_LINKER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace spcc::x86 {

/// The kernel library for \p kernelLevel ("x86-64-v3" / "x86-64-v4") as an archive models
/// link (\p extension "a") or a module the tuner loads ("so"): first in the installed layout,
/// `<dir of executablePath>/../lib/spcc/libspcc_kernels_v4.a`, then where the build tree put
/// it. Fails naming the places looked at.
llvm::Expected<std::string> findKernelLibrary(llvm::StringRef kernelLevel,
                                              llvm::StringRef executablePath,
                                              llvm::StringRef extension);

/// Links the relocatable ELF \p objects (the model's, then its sparse layers') with the kernel
/// archive \p archivePath into the shared library \p outputPath (replaced only once linking
/// succeeded). The result needs only libc, libm, libstdc++, libgcc_s and the OpenMP runtime,
/// exports only the model entry symbol, and is byte-identical for identical inputs.
llvm::Error linkModel(llvm::ArrayRef<llvm::ArrayRef<char>> objects, llvm::StringRef archivePath,
                      llvm::StringRef outputPath);

} // namespace spcc::x86

#endif
