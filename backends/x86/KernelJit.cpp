//===- KernelJit.cpp - Generated kernels loaded into the compiler's process ===//
#include "backends/x86/KernelJit.h"

#include "backends/x86/Linker.h"
#include "backends/x86/ObjectEmitter.h"
#include "compiler/support/Error.h"

#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

#include <dlfcn.h>

#include <chrono>
#include <mutex>

namespace spcc::x86 {

llvm::Expected<ObjectStats> measureObject(llvm::ArrayRef<char> object) {
  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(llvm::StringRef(object.data(), object.size()), "kernel.o"));
  if (!file) return file.takeError();
  ObjectStats stats;
  for (const llvm::object::SectionRef &section : (*file)->sections()) {
    auto name = section.getName();
    if (!name) return name.takeError();
    if (section.isText())
      stats.codeBytes += int64_t(section.getSize());
    else if (name->starts_with(".rodata") || name->starts_with(".data.rel.ro"))
      stats.dataBytes += int64_t(section.getSize());
  }
  return stats;
}

llvm::Expected<std::unique_ptr<KernelJit>> KernelJit::create(llvm::StringRef executablePath) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) return jit.takeError();
  std::string path = executablePath.empty() ? llvm::sys::fs::getMainExecutable(nullptr, nullptr)
                                            : executablePath.str();
  return std::unique_ptr<KernelJit>(new KernelJit(std::move(*jit), std::move(path)));
}

KernelJit::~KernelJit() {
  for (auto &[level, handle] : libraries) dlclose(handle);
}

std::string KernelJit::uniqueName(llvm::StringRef prefix) {
  std::lock_guard<std::mutex> lock(mutex);
  return (prefix + llvm::Twine(names++)).str();
}

llvm::Expected<spcc_kernel_fn> KernelJit::libraryKernel(const TargetIsa &isa,
                                                        llvm::StringRef symbol) {
  std::lock_guard<std::mutex> lock(mutex);
  void *&handle = libraries[isa.kernelLevel];
  if (!handle) {
    auto path = findKernelLibrary(isa.kernelLevel, executablePath, "so");
    if (!path) return path.takeError();
    handle = dlopen(path->c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) return makeError(ErrorCode::IO, "cannot load " + *path + ": " + dlerror());
  }
  auto kernel = reinterpret_cast<spcc_kernel_fn>(dlsym(handle, symbol.str().c_str()));
  if (!kernel)
    return makeError(ErrorCode::Internal,
                     "the " + isa.kernelLevel + " kernel library has no " + symbol.str());
  return kernel;
}

llvm::Expected<void *> KernelJit::load(std::unique_ptr<llvm::Module> module, const TargetIsa &isa,
                                       llvm::StringRef symbol, ObjectStats *stats) {
  auto start = std::chrono::steady_clock::now();
  auto machine = createTargetMachine(isa);
  if (!machine) return machine.takeError();
  auto object = emitObject(*module, **machine, isa.tuneCpu);
  if (!object) return object.takeError();
  if (stats) {
    auto measured = measureObject(*object);
    if (!measured) return measured.takeError();
    *stats = *measured;
    stats->compileSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::lock_guard<std::mutex> lock(mutex);
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(object->data(), object->size()), "kernel" + std::to_string(modules++));
  if (llvm::Error err = jit->addObjectFile(std::move(buffer))) return std::move(err);
  auto address = jit->lookup(symbol);
  if (!address) return address.takeError();
  return address->toPtr<void *>();
}

} // namespace spcc::x86
