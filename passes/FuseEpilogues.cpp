//===- FuseEpilogues.cpp - Bias, residual and activation into products ---===//
//
// A weight layer's elementwise followers become part of it, applied on its result before it is
// stored (FusedEpilogue.h), so none of them makes another pass over memory:
//   Conv -> [Add(residual)] -> [Relu | Clip]                        becomes FusedConv
//   MatMul(X, W) -> [Add(bias)] -> [Add(residual)] -> [Relu | Clip | Gelu]  becomes FusedMatMul
//   Gemm(X, W, [C]) -> [Add(residual)] -> [Relu | Clip | Gelu]             becomes FusedMatMul
// with W a constant matrix, the bias a constant [N] along the last axis, the residual of the
// result's shape and Clip's bounds constant. A Gemm (how exporters write a Linear layer) fuses
// when it is a plain product plus bias: no transposed X, alpha and beta 1, C a constant [N] or
// [1, N] (its bias); a transposed W is stored transposed. A Conv's bias needs no fusing: after
// fold-batch-norm it is already an input of the Conv. Each value of the chain but the last
// must have the chain's next node as its only reader.
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"

#include "compiler/ops/FusedEpilogue.h"

#include <cmath>

namespace spcc {
namespace {

/// Clip's bounds when both are constants (or absent).
std::optional<FusedActivation> constantClip(const Node &clip) {
  FusedActivation a;
  a.kind = FusedActivation::Kind::Clip;
  a.min = -INFINITY;
  a.max = INFINITY;
  for (size_t i = 1; i <= 2; ++i) {
    const Value *bound = clip.getInput(i);
    if (!bound) continue;
    if (!bound->isConstant() || bound->getType().getDType() != DType::Float32 ||
        bound->getType().getNumElements() != 1)
      return std::nullopt;
    (i == 1 ? a.min : a.max) = bound->getConstant().getData<float>()[0];
  }
  return a;
}

/// What follows one weight layer and can be fused into it.
struct EpilogueChain {
  Value *bias = nullptr;
  Value *residual = nullptr;
  FusedActivation activation;
  std::vector<Node *> fused; ///< In chain order.
  Value *result = nullptr;   ///< The value the fused node replaces.
};

/// A MatMul by a constant float matrix: the products fuse-epilogues extends.
bool isWeightMatMul(const Node &node) {
  const Value *w = node.getInput(1);
  return node.getOpType() == "MatMul" && w->isConstant() &&
         w->getType().getDType() == DType::Float32 && w->getType().getRank() == 2;
}

/// A constant float [n]: one bias value per column.
bool isColumnBias(const Value *v, int64_t n) {
  return v->isConstant() && v->getType().getDType() == DType::Float32 &&
         v->getType().getRank() == 1 && v->getType().getDims()[0] == n;
}

/// A Gemm's C (its bias once fused), or null when it has none.
const Value *gemmBias(const Node &gemm) {
  return gemm.getNumInputs() > 2 ? gemm.getInput(2) : nullptr;
}

/// A Gemm that is X * W' + bias with W and the bias constant (see the file comment).
bool isFusableGemm(const Node &node) {
  if (node.getOpType() != "Gemm" || node.getInt("transA", 0) != 0 ||
      node.getFloat("alpha", 1.0f) != 1.0f || node.getFloat("beta", 1.0f) != 1.0f)
    return false;
  const Value *w = node.getInput(1);
  if (!w->isConstant() || w->getType().getDType() != DType::Float32 || w->getType().getRank() != 2)
    return false;
  const Value *c = gemmBias(node);
  if (!c) return true;
  int64_t n = node.getOutput(0)->getType().getDims().back();
  llvm::ArrayRef<int64_t> dims = c->getType().getDims();
  return c->isConstant() && c->getType().getDType() == DType::Float32 &&
         ((dims.size() == 1 && dims[0] == n) || (dims.size() == 2 && dims[0] == 1 && dims[1] == n));
}

/// Rewrites fusable Gemm \p gemm as the MatMul by constant [K, N] weights it computes (a
/// FusedMatMul, whose input 2 is the bias).
void gemmAsProduct(Graph &graph, Node &gemm) {
  std::string base = gemm.getName().empty() ? gemm.getOutput(0)->getName() : gemm.getName();
  if (gemm.getInt("transB", 0) != 0) {
    const Tensor &w = gemm.getInput(1)->getConstant();
    int64_t n = w.getDims()[0], k = w.getDims()[1];
    Tensor transposed(TensorType(DType::Float32, {k, n}));
    auto from = w.getData<float>();
    auto to = transposed.getMutableData<float>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j) to[size_t(j * n + i)] = from[size_t(i * k + j)];
    gemm.setInput(
        1, graph.addConstant(graph.makeUniqueName(base + "/weight_t"), std::move(transposed)));
  }
  if (const Value *c = gemmBias(gemm); c && c->getType().getRank() == 2) {
    const Tensor &values = c->getConstant();
    Tensor bias(TensorType(DType::Float32, {values.getNumElements()}));
    std::copy(values.getData<float>().begin(), values.getData<float>().end(),
              bias.getMutableData<float>().begin());
    gemm.setInput(2, graph.addConstant(graph.makeUniqueName(base + "/bias"), std::move(bias)));
  }
  for (const char *attribute : {"transA", "transB", "alpha", "beta"})
    gemm.removeAttribute(attribute);
}

EpilogueChain findChain(const Graph &graph, Node &product) {
  // A Gemm's C is its bias already: what follows may only be a residual and an activation.
  bool gemm = product.getOpType() == "Gemm";
  bool takesBias = product.getOpType() == "MatMul" || (gemm && !gemmBias(product));
  bool matrixProduct = product.getOpType() == "MatMul" || gemm;
  EpilogueChain chain;
  Value *current = product.getOutput(0);
  while (true) {
    std::vector<Node *> users = graph.getUsers(current);
    if (users.size() != 1 || graph.isGraphOutput(current)) break;
    Node *next = users.front();
    const std::string &op = next->getOpType();
    Value *other = op == "Add"
                       ? (next->getInput(0) == current ? next->getInput(1) : next->getInput(0))
                       : nullptr;
    if (op == "Add" && other == current) break;
    if (op == "Add" && takesBias && chain.fused.empty() &&
        isColumnBias(other, current->getType().getDims().back())) {
      chain.bias = other;
    } else if (op == "Add" && !chain.residual && other->getType() == current->getType() &&
               (chain.fused.empty() || chain.fused.back()->getOpType() == "Add")) {
      chain.residual = other;
    } else if (op == "Relu") {
      chain.activation.kind = FusedActivation::Kind::Relu;
    } else if (op == "Clip") {
      std::optional<FusedActivation> clip = constantClip(*next);
      if (!clip) break;
      chain.activation = *clip;
    } else if (op == "Gelu" && matrixProduct && next->getString("approximate", "none") == "none") {
      chain.activation.kind = FusedActivation::Kind::Gelu;
    } else {
      break;
    }
    chain.fused.push_back(next);
    current = next->getOutput(0);
    if (chain.activation.kind != FusedActivation::Kind::None) break; // nothing after it
  }
  chain.result = current;
  return chain;
}

class FuseEpilogues : public Pass {
public:
  llvm::StringRef getName() const override { return "fuse-epilogues"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    bool changed = false;
    for (Node *product : graph.getNodes()) {
      if (product->isErased()) continue; // fused into a product earlier in this walk
      bool conv = product->getOpType() == "Conv", gemm = isFusableGemm(*product);
      if ((!conv && !gemm && !isWeightMatMul(*product)) ||
          product->getOutput(0)->getType().getDType() != DType::Float32)
        continue;
      EpilogueChain chain = findChain(graph, *product);
      if (chain.fused.empty()) continue;
      const char *fusedOp = conv ? "FusedConv" : "FusedMatMul";
      if (gemm) gemmAsProduct(graph, *product);
      product->setOp(fusedOp, lookupOpSchema(fusedOp));
      if (chain.bias) product->addInput(chain.bias);
      if (chain.residual) {
        while (product->getNumInputs() < 3) product->addInput(nullptr); // no bias
        product->addInput(chain.residual);
      }
      setFusedActivation(*product, chain.activation);
      graph.replaceAllUsesWith(chain.result, product->getOutput(0));
      for (Node *node : chain.fused) graph.eraseNode(node);
      changed = true;
    }
    if (!changed) return false;
    graph.removeUnusedValues();
    // A residual may be computed after the product it now feeds.
    if (llvm::Error err = graph.sortTopologically()) return std::move(err);
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createFuseEpilogues() { return std::make_unique<FuseEpilogues>(); }

} // namespace spcc
