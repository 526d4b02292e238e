//===- FuseAttention.cpp - Attention heads as one FusedAttention op ------===//
//
// Exporters write multi-head attention as
//   Q' = Transpose(Q, [0,2,1,3])  K' = Transpose(K, [0,2,3,1])  V' = Transpose(V, [0,2,1,3])
//   S = MatMul(Q', K')  [Div or Mul by a scalar]  [Add mask]  P = Softmax(S, last axis)
//   O = Transpose(MatMul(P, V'), [0,2,1,3])
// with Q, K, V [B, S, H, D] (the projections reshaped). All of it becomes one FusedAttention
// reading Q, K and V where they are: the head transposes and the [B, H, Sq, Sk] scores never
// reach memory. Every intermediate value must have its one reader inside the pattern, except
// the transposed Q, K and V, which stay when something else reads them.
//
//===----------------------------------------------------------------------===//
#include "passes/Pass.h"
#include "passes/PatternMatch.h"

#include "compiler/ops/OpSchema.h"

namespace spcc {
namespace {

struct AttentionMatch {
  Value *q = nullptr, *k = nullptr, *v = nullptr, *mask = nullptr;
  float scale = 1.0f;
  /// The output Transpose, which becomes the FusedAttention.
  Node *root = nullptr;
  /// Nodes that go away; transposes among them only when the pattern reads them alone.
  std::vector<Node *> erased;
};

/// The input of \p v's producer when it is a rank-4 Transpose with \p perm.
Value *transposedFrom(const Value *v, llvm::ArrayRef<int64_t> perm) {
  Node *t = producedBy(v, "Transpose");
  if (!t || v->getType().getRank() != 4 || t->getInts("perm") != std::vector<int64_t>(perm))
    return nullptr;
  return t->getInput(0);
}

/// Erases \p v's producer along with the pattern when nothing else reads \p v.
void eraseIfOnlyUser(const Graph &graph, const Value *v, const Node *user, AttentionMatch &match) {
  if (soleUser(graph, v) == user) match.erased.push_back(v->getProducer());
}

/// `MatMul(Transpose(Q), Transpose(K))`, optionally scaled by a scalar, as \p scores.
bool matchScores(const Graph &graph, Value *scores, Node *reader, AttentionMatch &match) {
  if (soleUser(graph, scores) != reader) return false;
  Node *node = scores->getProducer();
  if (!node) return false;
  if (node->getOpType() == "Div" || node->getOpType() == "Mul") {
    std::optional<float> c = scalarConstant(node->getInput(1));
    if (!c || *c == 0.0f) return false;
    match.scale = node->getOpType() == "Div" ? 1.0f / *c : *c;
    match.erased.push_back(node);
    Value *product = node->getInput(0);
    if (soleUser(graph, product) != node) return false;
    node = producedBy(product, "MatMul");
  } else if (node->getOpType() != "MatMul") {
    return false;
  }
  if (!node) return false;
  match.q = transposedFrom(node->getInput(0), {0, 2, 1, 3});
  match.k = transposedFrom(node->getInput(1), {0, 2, 3, 1});
  if (!match.q || !match.k) return false;
  match.erased.push_back(node);
  eraseIfOnlyUser(graph, node->getInput(0), node, match);
  eraseIfOnlyUser(graph, node->getInput(1), node, match);
  return true;
}

std::optional<AttentionMatch> matchAttention(const Graph &graph, Node &softmax) {
  Value *x = softmax.getInput(0);
  if (x->getType().getRank() != 4 || x->getType().getDType() != DType::Float32) return std::nullopt;
  int64_t axis = softmax.getInt("axis", -1);
  if (axis != -1 && axis != 3) return std::nullopt;
  // P * V', then the transpose back to [B, Sq, H, Dv].
  Value *p = softmax.getOutput(0);
  Node *pv = soleUser(graph, p);
  if (!pv || pv->getOpType() != "MatMul" || pv->getInput(0) != p) return std::nullopt;
  Node *root = soleUser(graph, pv->getOutput(0));
  if (!root || root->getOpType() != "Transpose" ||
      transposedFrom(root->getOutput(0), {0, 2, 1, 3}) != pv->getOutput(0))
    return std::nullopt;
  AttentionMatch match;
  match.root = root;
  match.v = transposedFrom(pv->getInput(1), {0, 2, 1, 3});
  if (!match.v) return std::nullopt;
  match.erased = {pv, &softmax};
  eraseIfOnlyUser(graph, pv->getInput(1), pv, match);
  // Scores, plus a mask of the same broadcast shape when an Add comes first.
  Node *add = producedBy(x, "Add");
  if (add && soleUser(graph, x) == &softmax) {
    for (size_t i = 0; i < 2; ++i) {
      AttentionMatch candidate = match;
      candidate.erased.push_back(add);
      if (matchScores(graph, add->getInput(i), add, candidate) &&
          add->getInput(i)->getType() == x->getType()) {
        candidate.mask = add->getInput(1 - i);
        return candidate;
      }
    }
    return std::nullopt;
  }
  if (!matchScores(graph, x, &softmax, match)) return std::nullopt;
  return match;
}

class FuseAttention : public Pass {
public:
  llvm::StringRef getName() const override { return "fuse-attention"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    // Matched first, rewritten after: a rewrite erases nodes the walk has not reached yet.
    std::vector<AttentionMatch> matches;
    for (Node *node : graph.getNodes())
      if (node->getOpType() == "Softmax")
        if (auto match = matchAttention(graph, *node)) matches.push_back(std::move(*match));
    for (AttentionMatch &match : matches) {
      Node *root = match.root;
      root->setOp("FusedAttention", lookupOpSchema("FusedAttention"));
      std::vector<Value *> inputs = {match.q, match.k, match.v};
      if (match.mask) inputs.push_back(match.mask);
      root->setInputs(inputs);
      root->removeAttribute("perm");
      root->setAttribute("scale", Attribute(match.scale));
      for (Node *node : match.erased) graph.eraseNode(node);
    }
    bool changed = !matches.empty();
    if (changed) graph.removeUnusedValues();
    return changed;
  }
};

} // namespace

std::unique_ptr<Pass> createFuseAttention() { return std::make_unique<FuseAttention>(); }

} // namespace spcc
