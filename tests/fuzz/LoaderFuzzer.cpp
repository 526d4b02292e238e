//===- LoaderFuzzer.cpp - libFuzzer target for the model loader ----------===//
//
// Writes arbitrary bytes to a file and loads it through the C API (spcc_model_load), then
// queries and frees what loaded. A damaged or hostile file must end in an error status: never
// a crash, an abort (of the runtime or of the dynamic loader) or a hang. Build with
// -DSPCC_FUZZ=ON (clang), run with `tools/fuzz.sh SECONDS loader`.
//
//===----------------------------------------------------------------------===//
#include "spcc/spcc.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

/// The file every input is written to, created once per process.
const std::string &scratchPath() {
  static const std::string path = [] {
    char name[] = "/tmp/spcc-loader-fuzz-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) std::abort();
    close(fd);
    return std::string(name);
  }();
  return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = scratchPath();
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) std::abort();
  if (size && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  spcc_model *model = nullptr;
  if (spcc_model_load(path.c_str(), &model) != SPCC_OK) return 0;
  spcc_tensor_info info;
  for (int i = 0; i < spcc_model_num_inputs(model); ++i) spcc_model_input(model, i, &info);
  for (int i = 0; i < spcc_model_num_outputs(model); ++i) spcc_model_output(model, i, &info);
  spcc_model_free(model);
  return 0;
}
