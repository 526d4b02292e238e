//===- HostCpuTest.cpp - The processor named beside benchmark figures ---===//
#include "tools/common/HostCpu.h"

#include <catch2/catch.hpp>

using spcc::tools::cpuDescriptionFromCpuinfo;

TEST_CASE("the processor is named from the first block of /proc/cpuinfo", "[tools]") {
  // Two processors of a Zen 5 machine: the first one's fields, tabs before the colons.
  const std::string zen5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
                           "model\t\t: 2\nmodel name\t: AMD EPYC 9555 64-Core Processor\n"
                           "flags\t\t: fpu avx512f\n\nprocessor\t: 1\ncpu family\t: 99\n"
                           "model\t\t: 98\nmodel name\t: another\n";
  CHECK(cpuDescriptionFromCpuinfo(zen5) == "AMD EPYC 9555 64-Core Processor (family 26, model 2)");
}

TEST_CASE("what /proc/cpuinfo leaves out reads as unknown", "[tools]") {
  CHECK(cpuDescriptionFromCpuinfo("") == "unknown CPU (family ?, model ?)");
  // An ARM kernel's fields: no model name, family or model.
  CHECK(cpuDescriptionFromCpuinfo("processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n") ==
        "unknown CPU (family ?, model ?)");
  // Empty values and lines without a key are skipped.
  CHECK(cpuDescriptionFromCpuinfo("model name\t:\n: 3\ncpu family\t: 25\nmodel\t\t: 17\n") ==
        "unknown CPU (family 25, model 17)");
}
