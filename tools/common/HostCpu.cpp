//===- HostCpu.cpp - The processor a benchmark's figures come from -------===//
#include "tools/common/HostCpu.h"

#include <fstream>
#include <sstream>

namespace spcc::tools {

std::string cpuDescriptionFromCpuinfo(const std::string &cpuinfo) {
  std::string name = "unknown CPU", family = "?", model = "?";
  std::istringstream lines(cpuinfo);
  // The first processor's block ends at the first empty line.
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    size_t keyEnd = line.find_last_not_of(" \t", colon - 1);
    if (keyEnd == std::string::npos) continue;
    std::string key = line.substr(0, keyEnd + 1);
    size_t valueBegin = line.find_first_not_of(" \t", colon + 1);
    std::string value = valueBegin == std::string::npos ? "" : line.substr(valueBegin);
    if (value.empty()) continue;
    if (key == "model name")
      name = value;
    else if (key == "cpu family")
      family = value;
    else if (key == "model")
      model = value;
  }
  return name + " (family " + family + ", model " + model + ")";
}

std::string hostCpuDescription() {
  std::ifstream file("/proc/cpuinfo");
  std::stringstream text;
  text << file.rdbuf();
  return cpuDescriptionFromCpuinfo(text.str());
}

} // namespace spcc::tools
