//===- SparseTestData.h - Random sparse operands and reference epilogues --===//
//
// Shared by the tests of the generated sparse kernels (x86 and GPU).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_TESTS_BACKEND_SPARSETESTDATA_H
#define SPCC_TESTS_BACKEND_SPARSETESTDATA_H

#include "compiler/ir/Tensor.h"
#include "compiler/ops/FusedEpilogue.h"

#include <random>
#include <vector>

namespace spcc::test {

/// A [rows, cols...] tensor of uniform values in [-1, 1] with each entry zero with probability
/// \p sparsity; a tenth of the rest exactly +-1 (emitted as add / subtract).
Tensor randomWeights(std::vector<int64_t> dims, double sparsity, std::mt19937 &random);

/// \p count uniform values in [-1, 1].
std::vector<float> randomVector(int64_t count, std::mt19937 &random);

/// The fused activation \p act of \p x, in double precision.
double activate(const FusedActivation &act, double x);

} // namespace spcc::test

#endif
