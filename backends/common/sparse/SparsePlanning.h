//===- SparsePlanning.h - Which nodes are sparse products, and how -------===//
#ifndef SPCC_BACKENDS_COMMON_SPARSE_SPARSEPLANNING_H
#define SPCC_BACKENDS_COMMON_SPARSE_SPARSEPLANNING_H

#include "backends/common/sparse/SparseLayer.h"
#include "compiler/ir/Node.h"

#include <optional>

namespace spcc {

/// The product \p node computes, when it can run as a generated sparse kernel: a Conv (one
/// image, one group, dilation 1, equal strides) or a MatMul / Gemm whose weights are
/// constants, with its fused epilogue where the generated code can apply it. Empty for every
/// other node.
std::optional<SparseLayer> planSparseLayer(const Node &node);

} // namespace spcc

#endif
