//===- CheckTarget.cpp - Can this machine run the model's kernels? --------===//
//
// A model records the ISA level its kernels were compiled for. Loading one built for a newer
// level than the CPU has would end in SIGILL at the first run; refuse it at load time instead.
//
//===----------------------------------------------------------------------===//

#include "LastError.h"
#include "Model.h"

#include <cstring>

namespace spcc::runtime {
namespace {

/// The first feature of x86-64 level `level` (1..4) this CPU lacks, or nullptr if it has all.
/// __builtin_cpu_supports needs literal names, hence the spelled-out lists.
const char *missingX86Feature(int level) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (level >= 2) {
    if (!__builtin_cpu_supports("ssse3"))
      return "ssse3";
    if (!__builtin_cpu_supports("sse4.1"))
      return "sse4.1";
    if (!__builtin_cpu_supports("sse4.2"))
      return "sse4.2";
    if (!__builtin_cpu_supports("popcnt"))
      return "popcnt";
  }
  if (level >= 3) {
    if (!__builtin_cpu_supports("avx"))
      return "avx";
    if (!__builtin_cpu_supports("avx2"))
      return "avx2";
    if (!__builtin_cpu_supports("fma"))
      return "fma";
    if (!__builtin_cpu_supports("bmi"))
      return "bmi";
    if (!__builtin_cpu_supports("bmi2"))
      return "bmi2";
    if (!__builtin_cpu_supports("f16c"))
      return "f16c";
  }
  if (level >= 4) {
    if (!__builtin_cpu_supports("avx512f"))
      return "avx512f";
    if (!__builtin_cpu_supports("avx512bw"))
      return "avx512bw";
    if (!__builtin_cpu_supports("avx512cd"))
      return "avx512cd";
    if (!__builtin_cpu_supports("avx512dq"))
      return "avx512dq";
    if (!__builtin_cpu_supports("avx512vl"))
      return "avx512vl";
  }
  return nullptr;
#else
  return "an x86-64 processor";
#endif
}

/// The x86-64 level (1..4) named by `target`, or 0 if it names none.
int x86Level(const char *target) {
  if (std::strcmp(target, "x86-64") == 0)
    return 1;
  if (std::strcmp(target, "x86-64-v2") == 0)
    return 2;
  if (std::strcmp(target, "x86-64-v3") == 0)
    return 3;
  if (std::strcmp(target, "x86-64-v4") == 0)
    return 4;
  return 0;
}

} // namespace

spcc_status checkTarget(const char *target, const std::string &path) {
  if (!target)
    return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: it names no target ISA");
  int level = x86Level(target);
  if (level == 0)
    return fail(SPCC_ERR_UNSUPPORTED, path + ": compiled for unknown target '" +
                                          std::string(target) +
                                          "' (this runtime runs x86-64, x86-64-v2..v4)");
  if (const char *missing = missingX86Feature(level))
    return fail(SPCC_ERR_UNSUPPORTED, path + ": compiled for " + target +
                                          ", but this CPU lacks " + missing);
  return SPCC_OK;
}

} // namespace spcc::runtime
