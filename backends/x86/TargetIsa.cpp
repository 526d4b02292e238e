//===- TargetIsa.cpp - Which x86-64 machine a model is compiled for ------===//
#include "backends/x86/TargetIsa.h"

#include "compiler/support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

namespace spcc::x86 {
namespace {

/// LLVM feature names each kernel level needs beyond the previous one (x86-64 psABI levels).
constexpr const char *kV3Features[] = {"avx",  "avx2", "bmi",   "bmi2",
                                       "f16c", "fma",  "lzcnt", "movbe"};
constexpr const char *kV4Features[] = {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"};

template <size_t N>
const char *firstMissing(const llvm::StringMap<bool> &features, const char *const (&names)[N]) {
  for (const char *name : names)
    if (!features.lookup(name)) return name;
  return nullptr;
}

} // namespace

llvm::Expected<TargetIsa> selectTargetIsa(llvm::StringRef name) {
  if (name == "x86-64-v3" || name == "x86-64-v4") return TargetIsa{name.str(), "", name.str()};
  if (name != "host")
    return makeError(ErrorCode::InvalidArgument,
                     "--target: unknown target '" + name + "' (host, x86-64-v3, x86-64-v4)");
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  if (const char *missing = firstMissing(features, kV3Features))
    return makeError(ErrorCode::Unsupported, llvm::Twine("--target host: this CPU lacks ") +
                                                 missing + ", which the kernels need (x86-64-v3)");
  TargetIsa isa;
  isa.kernelLevel = firstMissing(features, kV4Features) ? "x86-64-v3" : "x86-64-v4";
  isa.cpu = isa.kernelLevel;
  isa.tuneCpu = llvm::sys::getHostCPUName().str();
  return isa;
}

} // namespace spcc::x86
