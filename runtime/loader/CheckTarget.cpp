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
const char *missingX86Feature(int level) {
#if defined(__x86_64__)
  __builtin_cpu_init();
// __builtin_cpu_supports needs a string literal, so each feature is one macro line.
#define SPCC_REQUIRE_FEATURE(name)                                                                 \
  if (!__builtin_cpu_supports(name)) return name;
  if (level >= 2) {
    SPCC_REQUIRE_FEATURE("ssse3")
    SPCC_REQUIRE_FEATURE("sse4.1")
    SPCC_REQUIRE_FEATURE("sse4.2")
    SPCC_REQUIRE_FEATURE("popcnt")
  }
  if (level >= 3) {
    SPCC_REQUIRE_FEATURE("avx")
    SPCC_REQUIRE_FEATURE("avx2")
    SPCC_REQUIRE_FEATURE("fma")
    SPCC_REQUIRE_FEATURE("bmi")
    SPCC_REQUIRE_FEATURE("bmi2")
    SPCC_REQUIRE_FEATURE("f16c")
  }
  if (level >= 4) {
    SPCC_REQUIRE_FEATURE("avx512f")
    SPCC_REQUIRE_FEATURE("avx512bw")
    SPCC_REQUIRE_FEATURE("avx512cd")
    SPCC_REQUIRE_FEATURE("avx512dq")
    SPCC_REQUIRE_FEATURE("avx512vl")
  }
#undef SPCC_REQUIRE_FEATURE
  return nullptr;
#else
  return "an x86-64 processor";
#endif
}

} // namespace

int x86Level(const char *target) {
  if (std::strcmp(target, "x86-64") == 0) return 1;
  if (std::strcmp(target, "x86-64-v2") == 0) return 2;
  if (std::strcmp(target, "x86-64-v3") == 0) return 3;
  if (std::strcmp(target, "x86-64-v4") == 0) return 4;
  return 0;
}

bool cpuRunsLevel(int level) { return missingX86Feature(level) == nullptr; }

spcc_status checkTarget(const char *target, const std::string &path) {
  if (!target) return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: it names no target ISA");
  int level = x86Level(target);
  if (level == 0)
    return fail(SPCC_ERR_UNSUPPORTED, path + ": compiled for unknown target '" +
                                          std::string(target) +
                                          "' (this runtime runs x86-64, x86-64-v2..v4)");
  if (const char *missing = missingX86Feature(level))
    return fail(SPCC_ERR_UNSUPPORTED,
                path + ": compiled for " + target + ", but this CPU lacks " + missing);
  return SPCC_OK;
}

} // namespace spcc::runtime
