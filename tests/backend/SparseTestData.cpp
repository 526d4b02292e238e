//===- SparseTestData.cpp - Random sparse operands and reference epilogues ===//
#include "tests/backend/SparseTestData.h"

#include <algorithm>
#include <cmath>

namespace spcc::test {

Tensor randomWeights(std::vector<int64_t> dims, double sparsity, std::mt19937 &random) {
  Tensor t(TensorType(DType::Float32, dims));
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (float &x : t.getMutableData<float>()) {
    double c = coin(random);
    x = c < sparsity                          ? 0.0f
        : c < sparsity + (1 - sparsity) * 0.1 ? (c < 0.5 ? 1.0f : -1.0f)
                                              : uniform(random);
  }
  return t;
}

std::vector<float> randomVector(int64_t count, std::mt19937 &random) {
  std::vector<float> v(static_cast<size_t>(count));
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float &x : v) x = uniform(random);
  return v;
}

double activate(const FusedActivation &act, double x) {
  switch (act.kind) {
  case FusedActivation::Kind::None: return x;
  case FusedActivation::Kind::Relu: return std::max(x, 0.0);
  case FusedActivation::Kind::Clip: return std::min(std::max(x, double(act.min)), double(act.max));
  case FusedActivation::Kind::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  }
  return x;
}

} // namespace spcc::test
