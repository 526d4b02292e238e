//===- IRPrinter.h - Text form of a graph --------------------------------===//
//
// The readable text form of spcc's IR, used by `--dump-ir`, `--print-after=PASS` and the golden
// tests of passes. IRParser.h reads it back. Example:
//
//   graph @main(%x: f32[1,4]) {
//     %w: f32[4,2] = constant [0.5, -1.0, 0.0, 2.0, 1.25, 0.0, 0.0, 3.0]
//     %y: f32[1,2] = MatMul(%x, %w) @"MatMul_0"
//     %z: f32[1,2] = Clip(%y, _, %max) {note = "x"} @"clip"
//     return %z as "output"
//   }
//
// Constants come first (creation order), then nodes in execution order. Value names that are not
// made of [A-Za-z0-9_.] are quoted (%"onnx::MatMul_12"); `_` is an omitted optional input. Floats
// print in their shortest round-tripping form, always with a '.' or an exponent (or as inf, -inf,
// nan) so that float attributes can be told from int ones. Tensor data is flat, row-major.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_IR_IRPRINTER_H
#define SPCC_IR_IRPRINTER_H

#include "compiler/ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace spcc {

struct PrintOptions {
  /// Constants and tensor attributes with more elements than this print as a summary,
  /// `elided<nnz=N>` (N = number of nonzero elements), instead of their data. Such text cannot be
  /// parsed back. -1 prints every element.
  int64_t elideConstantsAbove = 16;
};

/// Writes \p g in the text form, ending with a newline. Deterministic.
void printGraph(const Graph &g, llvm::raw_ostream &os, const PrintOptions &opts = {});
/// printGraph into a string.
std::string graphToString(const Graph &g, const PrintOptions &opts = {});

/// Writes one node the way printGraph does (no indent, no newline), e.g. for messages.
void printNode(const Node &node, llvm::raw_ostream &os, const PrintOptions &opts = {});

/// True when \p name prints unquoted after '%' or '@': non-empty, only [A-Za-z0-9_.].
bool isPlainName(llvm::StringRef name);

} // namespace spcc

#endif
