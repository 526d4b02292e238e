//===- OpTestUtil.h - Running one operator in a unit test ----------------===//
#ifndef SPCC_TESTS_OPTESTUTIL_H
#define SPCC_TESTS_OPTESTUTIL_H

#include "compiler/ops/OpSchema.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>

namespace spcc::test {

/// One operator application: its inputs (a null Tensor for an omitted optional input), its
/// attributes, and how many outputs it has. Inputs marked constant are visible to the shape rule
/// as known values (like initializers); the others are graph inputs.
struct OpCall {
  std::string opType;
  std::vector<Tensor> inputs;
  std::map<std::string, Attribute> attributes;
  size_t numOutputs = 1;
  std::vector<bool> constantInputs; ///< Default: every input constant.
};

/// Runs the shape rule, then the reference evaluation; checks the evaluation's output types
/// against the rule. Errors (bad attributes, shape mismatches) come back as llvm::Error.
llvm::Expected<TensorList> runOp(const OpCall &call);

/// runOp that must succeed (fails the test with the error message otherwise).
TensorList runOpOrFail(const OpCall &call);

/// The message of runOp's error; fails the test if the call succeeds.
std::string runOpError(const OpCall &call);

/// A float tensor of \p dims with values uniform in [lo, hi).
Tensor randomTensor(llvm::ArrayRef<int64_t> dims, std::mt19937 &rng, float lo = -1, float hi = 1);

/// Element-wise comparison |a - b| <= atol + rtol * |b| with the same type; reports the worst
/// element on failure.
void requireClose(const Tensor &actual, const Tensor &expected, double rtol = 1e-5,
                  double atol = 1e-6);

} // namespace spcc::test

#endif
