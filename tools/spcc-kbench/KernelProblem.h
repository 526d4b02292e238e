//===- KernelProblem.h - One spcc-kbench problem and its reference -------===//
#ifndef SPCC_TOOLS_KBENCH_KERNELPROBLEM_H
#define SPCC_TOOLS_KBENCH_KERNELPROBLEM_H

#include "compiler/support/AlignedVector.h"

#include <cstdint>
#include <string>
#include <vector>

namespace spcc::kbench {

/// A sparse product C[m x n] = A[m x k] * B[k x n] (row-major, B and C with n contiguous), or
/// a 3x3-style convolution C[cout, outH, outW] = conv(B[cin, h, w], A[cout, cin, kh, kw]) with
/// equal padding on every side and one image. A holds unit-Gaussian values magnitude-pruned to
/// `sparsity` (exact zeros), B uniform in [-1, 1].
struct KernelProblem {
  enum class Kind { Spmm, Conv };
  Kind kind = Kind::Spmm;
  int64_t m = 0, k = 0, n = 0;                 // Spmm
  int64_t cin = 0, cout = 0, h = 0, w = 0;     // Conv
  int64_t kh = 3, kw = 3, stride = 1, pad = 1; // Conv
  double sparsity = 0;
  uint64_t seed = 1;

  std::vector<float> a; ///< dense, with the pruned entries exactly zero
  /// On a cache line boundary, like the activations of a compiled model (and so is every
  /// implementation's C).
  AlignedVector<float> b;

  /// A \p size x \p size window padded (size - 1) / 2 on every side, as 3x3 and 7x7 layers
  /// are (the plane keeps its size at stride 1).
  void setSquareWindow(int64_t size) {
    kh = kw = size;
    pad = (size - 1) / 2;
  }
  int64_t outH() const { return (h + 2 * pad - kh) / stride + 1; }
  int64_t outW() const { return (w + 2 * pad - kw) / stride + 1; }
  /// Elements of C.
  int64_t outputSize() const { return kind == Kind::Spmm ? m * n : cout * outH() * outW(); }
  /// Multiply-adds of the dense problem (zeros included) times two.
  double denseFlops() const;
  /// "m=..,k=..,n=..,s=.." or "cin=..,cout=..,hw=..,s=..".
  std::string describe() const;
};

/// Fills a and b from the problem's sizes, sparsity and seed (deterministic).
void generate(KernelProblem &problem);

/// C computed in double precision, rounded to float.
std::vector<float> reference(const KernelProblem &problem);

} // namespace spcc::kbench

#endif
