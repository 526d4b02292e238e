//===- PassTestUtil.h - Golden-text tests of passes ----------------------===//
#ifndef SPCC_TESTS_PASSTESTUTIL_H
#define SPCC_TESTS_PASSTESTUTIL_H

#include "compiler/ir/Graph.h"

#include <memory>
#include <string>

namespace spcc::test {

/// Parses \p text (failing the test on a parse error).
std::unique_ptr<Graph> parseOrFail(const std::string &text);

/// Parses \p input, runs pass \p pass once, verifies the graph, and returns its text form with
/// every constant printed in full. \p changed receives what the pass reported.
std::string runPassOnText(const std::string &pass, const std::string &input,
                          bool *changed = nullptr);

} // namespace spcc::test

#endif
