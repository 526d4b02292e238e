//===- ImportFuzzer.cpp - libFuzzer target for the ONNX importer ---------===//
//
// Feeds arbitrary bytes to the importer (protobuf parsing, validation, shape inference, shape
// rules). Any input must end in a graph or an error: never a crash, an abort or a hang.
// Build with -DSPCC_FUZZ=ON (clang), run with tools/fuzz.sh.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/OnnxImporter.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto graph = spcc::importOnnxBuffer(llvm::ArrayRef<uint8_t>(data, size), "fuzz", {});
  if (!graph) llvm::consumeError(graph.takeError());
  return 0;
}
