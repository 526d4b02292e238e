//===- KernelJit.h - Generated kernels loaded into the compiler's process ===//
#ifndef SPCC_BACKENDS_X86_KERNELJIT_H
#define SPCC_BACKENDS_X86_KERNELJIT_H

#include "backends/x86/TargetIsa.h"
#include "runtime/kernels/KernelAbi.h"

#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Module.h"

#include <map>
#include <memory>
#include <mutex>

namespace spcc::x86 {

/// What one module became in machine code.
struct ObjectStats {
  int64_t codeBytes = 0; ///< executable sections
  int64_t dataBytes = 0; ///< read-only data (constants, tables)
  double compileSeconds = 0;
};

/// Bytes of code and read-only data of an ELF object.
llvm::Expected<ObjectStats> measureObject(llvm::ArrayRef<char> object);

/// Compiles modules of generated kernels for the host and loads them, so the tuner, the
/// kernel tests and spcc-kbench run the very machine code a model would contain. Loaded code
/// lives as long as the KernelJit. Every member may be called from several threads at once
/// (the tuner compiles a layer's candidate tilings side by side); modules compile in parallel,
/// only their loading is serialized.
class KernelJit {
public:
  /// Fails if this process cannot JIT (no host target). \p executablePath (empty: this
  /// process's executable) is where libraryKernel looks for the kernel libraries from.
  static llvm::Expected<std::unique_ptr<KernelJit>> create(llvm::StringRef executablePath = "");

  /// Compiles \p module for \p isa (which must run on this host), loads it, and returns the
  /// address of its external function \p symbol. \p stats, if given, receives the object's
  /// sizes and the compile time.
  llvm::Expected<void *> load(std::unique_ptr<llvm::Module> module, const TargetIsa &isa,
                              llvm::StringRef symbol, ObjectStats *stats = nullptr);

  /// A symbol name no module loaded so far defines: \p prefix + a number.
  std::string uniqueName(llvm::StringRef prefix);

  /// Kernel \p symbol of the kernel library built for \p isa's level (libspcc_kernels_<level>.so,
  /// found as Linker.h's findKernelLibrary does, opened once): the very code a model linked for
  /// that level calls, e.g. spcc_kernel_sparse, which runs a generated layer, or a dense kernel.
  llvm::Expected<spcc_kernel_fn> libraryKernel(const TargetIsa &isa, llvm::StringRef symbol);

  ~KernelJit();
  KernelJit(const KernelJit &) = delete;
  KernelJit &operator=(const KernelJit &) = delete;

private:
  KernelJit(std::unique_ptr<llvm::orc::LLJIT> jit, std::string executablePath)
      : jit(std::move(jit)), executablePath(std::move(executablePath)) {}
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::string executablePath;
  /// dlopen handles of the kernel libraries, by level.
  std::map<std::string, void *> libraries;
  unsigned modules = 0;
  unsigned names = 0;
  /// Guards jit, libraries and the two counters.
  std::mutex mutex;
};

} // namespace spcc::x86

#endif
