//===- PassTestUtil.h - Golden-text tests of passes ----------------------===//
#ifndef SPCC_TESTS_PASSTESTUTIL_H
#define SPCC_TESTS_PASSTESTUTIL_H

#include "compiler/ir/Graph.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace spcc::test {

/// Parses \p text (failing the test on a parse error).
std::unique_ptr<Graph> parseOrFail(const std::string &text);

/// Parses \p input, runs pass \p pass once, verifies the graph, and returns its text form with
/// every constant printed in full. \p changed receives what the pass reported.
std::string runPassOnText(const std::string &pass, const std::string &input,
                          bool *changed = nullptr);

/// An IR constant line `%name: f32[dims] = constant [...]` of values uniform in [lo, hi), a
/// \p zeroFraction of them zero (pruned weights).
std::string randomConstant(const std::string &name, const std::vector<int64_t> &dims, uint32_t seed,
                           float lo, float hi, double zeroFraction = 0);

/// Runs \p text's graph with the reference evaluations before and after pass \p pass, on the
/// same random inputs, and returns the largest absolute difference of any output element.
double maxOutputDifference(const std::string &text, const std::string &pass, uint32_t seed);

/// Imports the ONNX model \p bytes twice and runs one with the reference evaluations as
/// imported and the other after the default pipeline, which must leave no \p expandedOp node;
/// checks every output element within 1e-5 + 1e-4 |expected| and returns the largest |expected|
/// (so a caller can refuse a degenerate comparison).
float checkPipelineMatchesReference(const std::string &bytes,
                                    const std::map<std::string, Tensor> &feeds,
                                    const std::string &expandedOp);

} // namespace spcc::test

#endif
