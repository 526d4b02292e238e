//===- KernelProblem.cpp - Problem generation and double-precision reference --===//
#include "tools/spcc-kbench/KernelProblem.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <numeric>
#include <random>

namespace spcc::kbench {

namespace {

/// Elements of A: m x k for a product, cout x cin x kh x kw for a convolution.
size_t weightCount(const KernelProblem &p) {
  return p.kind == KernelProblem::Kind::Spmm ? size_t(p.m * p.k)
                                             : size_t(p.cout * p.cin * p.kh * p.kw);
}

/// Elements of B: k x n for a product, cin x h x w for a convolution.
size_t inputCount(const KernelProblem &p) {
  return p.kind == KernelProblem::Kind::Spmm ? size_t(p.k * p.n) : size_t(p.cin * p.h * p.w);
}

/// Zeroes all but the round((1 - sparsity) * size) largest-magnitude entries of \p values.
void magnitudePrune(std::vector<float> &values, double sparsity) {
  size_t keep = size_t(std::llround((1.0 - sparsity) * double(values.size())));
  keep = std::min(keep, values.size());
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t(0));
  // Largest magnitudes first; ties broken by index so the result does not depend on the
  // standard library's selection algorithm.
  auto larger = [&](size_t x, size_t y) {
    float ax = std::fabs(values[x]), ay = std::fabs(values[y]);
    return ax != ay ? ax > ay : x < y;
  };
  if (keep < order.size())
    std::nth_element(order.begin(), order.begin() + std::ptrdiff_t(keep), order.end(), larger);
  for (size_t i = keep; i < order.size(); ++i) values[order[i]] = 0.0f;
}

std::vector<float> referenceSpmm(const KernelProblem &p) {
  std::vector<float> c(size_t(p.m * p.n));
  std::vector<double> row(size_t(p.n));
  for (int64_t i = 0; i < p.m; ++i) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t kk = 0; kk < p.k; ++kk) {
      double a = p.a[size_t(i * p.k + kk)];
      if (a == 0.0) continue;
      const float *b = &p.b[size_t(kk * p.n)];
      for (int64_t j = 0; j < p.n; ++j) row[size_t(j)] += a * double(b[j]);
    }
    for (int64_t j = 0; j < p.n; ++j) c[size_t(i * p.n + j)] = float(row[size_t(j)]);
  }
  return c;
}

std::vector<float> referenceConv(const KernelProblem &p) {
  const int64_t oh = p.outH(), ow = p.outW();
  std::vector<float> c(size_t(p.cout * oh * ow));
  std::vector<double> plane(size_t(oh * ow));
  for (int64_t co = 0; co < p.cout; ++co) {
    std::fill(plane.begin(), plane.end(), 0.0);
    for (int64_t ci = 0; ci < p.cin; ++ci)
      for (int64_t r = 0; r < p.kh; ++r)
        for (int64_t s = 0; s < p.kw; ++s) {
          double a = p.a[size_t(((co * p.cin + ci) * p.kh + r) * p.kw + s)];
          if (a == 0.0) continue;
          for (int64_t y = 0; y < oh; ++y) {
            int64_t iy = y * p.stride - p.pad + r;
            if (iy < 0 || iy >= p.h) continue;
            for (int64_t x = 0; x < ow; ++x) {
              int64_t ix = x * p.stride - p.pad + s;
              if (ix < 0 || ix >= p.w) continue;
              plane[size_t(y * ow + x)] += a * double(p.b[size_t((ci * p.h + iy) * p.w + ix)]);
            }
          }
        }
    for (int64_t e = 0; e < oh * ow; ++e) c[size_t(co * oh * ow + e)] = float(plane[size_t(e)]);
  }
  return c;
}

} // namespace

double KernelProblem::denseFlops() const {
  if (kind == Kind::Spmm) return 2.0 * double(m) * double(k) * double(n);
  return 2.0 * double(cout) * double(cin) * double(kh) * double(kw) * double(outH()) *
         double(outW());
}

std::string KernelProblem::describe() const {
  char text[160];
  if (kind == Kind::Spmm)
    std::snprintf(text, sizeof(text), "m=%lld k=%lld n=%lld s=%.2f", (long long)m, (long long)k,
                  (long long)n, sparsity);
  else
    std::snprintf(text, sizeof(text),
                  "cin=%lld cout=%lld hw=%lldx%lld k=%lldx%lld stride=%lld s=%.2f", (long long)cin,
                  (long long)cout, (long long)h, (long long)w, (long long)kh, (long long)kw,
                  (long long)stride, sparsity);
  return text;
}

void generate(KernelProblem &problem) {
  std::mt19937_64 engine(problem.seed);
  std::normal_distribution<float> gaussian(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  problem.a.resize(weightCount(problem));
  for (float &value : problem.a) value = gaussian(engine);
  magnitudePrune(problem.a, problem.sparsity);
  problem.b.resize(inputCount(problem));
  for (float &value : problem.b) value = uniform(engine);
}

std::vector<float> reference(const KernelProblem &problem) {
  return problem.kind == KernelProblem::Kind::Spmm ? referenceSpmm(problem)
                                                   : referenceConv(problem);
}

} // namespace spcc::kbench
