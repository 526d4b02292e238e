//===- EigenImpl.cpp - Eigen 3.4's sparse * dense product in spcc-kbench --===//
//
// A as Eigen::SparseMatrix<float, RowMajor> (compressed CSR, built in prepare()) times the
// row-major B mapped in place, into a row-major C: C.noalias() = A * B. Eigen parallelizes
// this product over the rows of A with OpenMP (this file is compiled with OpenMP and without
// EIGEN_DONT_PARALLELIZE) once the product has more than 20000 multiply-adds; the thread
// count is Eigen::setNbThreads. Convolutions are skipped (Eigen has no sparse convolution).
//
//===----------------------------------------------------------------------===//
#include "tools/spcc-kbench/KernelImpl.h"

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include <vector>

#ifndef _OPENMP
#error "EigenImpl.cpp must be compiled with OpenMP, or Eigen's sparse product is serial"
#endif

namespace spcc::kbench {
namespace {

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class EigenImpl final : public KernelImpl {
public:
  std::string name() const override { return "eigen"; }

  std::string prepare(const KernelProblem &problem, int threadCount) override {
    if (problem.kind != KernelProblem::Kind::Spmm) return "Eigen has no sparse convolution";
    threads = threadCount;
    m = problem.m;
    k = problem.k;
    n = problem.n;
    b = problem.b.data();
    Eigen::Map<const RowMajorMatrix> dense(problem.a.data(), m, k);
    a = dense.sparseView(0.0f, 0.0f); // keeps every nonzero, drops exact zeros
    a.makeCompressed();
    c.assign(size_t(problem.outputSize()), 0.0f);
    return "";
  }

  void run() override {
    Eigen::setNbThreads(threads);
    Eigen::Map<const RowMajorMatrix> bMap(b, k, n);
    Eigen::Map<RowMajorMatrix> cMap(c.data(), m, n);
    cMap.noalias() = a * bMap;
  }

  const float *output() const override { return c.data(); }
  std::string variant() const override { return "csr nnz=" + std::to_string(a.nonZeros()); }

private:
  int threads = 1;
  Eigen::Index m = 0, k = 0, n = 0;
  const float *b = nullptr;
  Eigen::SparseMatrix<float, Eigen::RowMajor> a;
  AlignedVector<float> c;
};

} // namespace

std::unique_ptr<KernelImpl> createEigenImpl() { return std::make_unique<EigenImpl>(); }

} // namespace spcc::kbench
