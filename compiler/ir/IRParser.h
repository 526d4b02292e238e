//===- IRParser.h - Reading the text form of a graph ---------------------===//
//
// Reads what IRPrinter.h writes (see there for the format). Values must be defined before they
// are used; `// ...` comments run to the end of a line. The declared types are checked against
// the ops' shape rules (inferGraphTypes in Check mode).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_IR_IRPARSER_H
#define SPCC_IR_IRPARSER_H

#include "compiler/ir/Graph.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace spcc {

/// Parses a graph from \p text. Errors read "bufferName:line:col: message" (line and column
/// 1-based, columns in bytes); syntax errors are ErrorCode::BadModel, shape rule failures keep
/// the rule's code (a declared type the rule disagrees with is ErrorCode::Shape). Text printed
/// with elided constants is rejected.
llvm::Expected<std::unique_ptr<Graph>> parseGraph(llvm::StringRef text,
                                                  llvm::StringRef bufferName = "<ir>");

} // namespace spcc

#endif
