//===- ExpandEinsum.cpp - Einsum as MatMuls, Transposes and ReduceSums ---===//
//
// An Einsum is computed operand by operand, left to right, as numpy's and ONNX Runtime's are:
//   - a label repeated within one operand (its diagonal) becomes a product with an identity
//     mask and a ReduceSum;
//   - a label no later operand and not the output needs is summed out at once;
//   - two operands are joined by one MatMul: labels both keep ("batch") as MatMul's batch axes,
//     labels only one has as its rows or columns, labels both have and nothing later needs as
//     the contracted axis, with Transposes and Reshapes around it;
//   - the result is transposed into the output's order.
// Nodes on constants (a weight operand's Transpose and Reshape) are folded after, so an Einsum
// against pruned weights gets a MatMul with a constant, sparse right-hand side.
//
//===----------------------------------------------------------------------===//
#include "compiler/eval/ConstantFolder.h"
#include "compiler/ops/Einsum.h"
#include "passes/NodeEmitter.h"
#include "passes/Pass.h"

#include <numeric>

namespace spcc {
namespace {

/// A value with one label per axis.
struct Operand {
  Value *value = nullptr;
  std::vector<EinsumLabel> labels;
};

class EinsumExpander {
public:
  EinsumExpander(Graph &graph, Node &node, EinsumEquation eq)
      : graph(graph), node(node), eq(std::move(eq)),
        emitter(graph, node.getName().empty() ? node.getOutput(0)->getName() : node.getName()) {}

  llvm::Error run() {
    std::vector<Operand> operands;
    for (size_t i = 0; i < node.getNumInputs(); ++i)
      operands.push_back(takeDiagonals({node.getInput(i), eq.inputs[i]}));
    Operand result = sumUnneeded(operands[0], operands, 1);
    for (size_t k = 1; k < operands.size(); ++k)
      result =
          multiply(result, sumUnneeded(operands[k], operands, k + 1, &result), operands, k + 1);
    result = sumUnneeded(result, operands, operands.size());
    Value *out = permute(result, eq.output).value;
    if (llvm::Error err = emitter.error()) return err;
    graph.replaceAllUsesWith(node.getOutput(0), out);
    graph.eraseNode(&node);
    return llvm::Error::success();
  }

private:
  int64_t extentOf(const Operand &op, size_t axis) const {
    return op.value ? op.value->getType().getDim(int(axis)) : 1;
  }

  /// Whether \p label is read by the output or by an operand from \p from on.
  bool neededLater(EinsumLabel label, const std::vector<Operand> &operands, size_t from) const {
    if (llvm::is_contained(eq.output, label)) return true;
    for (size_t k = from; k < operands.size(); ++k)
      if (llvm::is_contained(operands[k].labels, label)) return true;
    return false;
  }

  /// \p op with its axes in the order of \p labels (a permutation of its own).
  Operand permute(const Operand &op, const std::vector<EinsumLabel> &labels) {
    if (labels == op.labels) return op;
    std::vector<int64_t> perm;
    for (EinsumLabel label : labels)
      perm.push_back(llvm::find(op.labels, label) - op.labels.begin());
    return {emitter.transpose(op.value, perm), labels};
  }

  Operand reduceSum(const Operand &op, const std::vector<EinsumLabel> &labels, bool keepDims) {
    if (labels.empty()) return op;
    std::vector<int64_t> axes;
    Operand out{nullptr, {}};
    for (size_t a = 0; a < op.labels.size(); ++a) {
      if (llvm::is_contained(labels, op.labels[a])) axes.push_back(int64_t(a));
      if (keepDims || !llvm::is_contained(labels, op.labels[a])) out.labels.push_back(op.labels[a]);
    }
    out.value = emitter.emit("ReduceSum", {op.value, emitter.ints(axes)},
                             {{"keepdims", int64_t(keepDims)}});
    return out;
  }

  /// Replaces each label repeated within \p op by one axis holding the diagonal.
  Operand takeDiagonals(Operand op) {
    while (true) {
      size_t first = 0, second = 0;
      for (size_t a = 0; a < op.labels.size() && !second; ++a)
        for (size_t b = a + 1; b < op.labels.size() && !second; ++b)
          if (op.labels[a] == op.labels[b]) first = a, second = b;
      if (!second) return op;
      // Move the pair last, keep its diagonal by multiplying with an identity matrix, and sum
      // the second copy away.
      EinsumLabel label = op.labels[first];
      std::vector<int64_t> perm;
      std::vector<EinsumLabel> labels;
      for (size_t a = 0; a < op.labels.size(); ++a)
        if (a != first && a != second) perm.push_back(int64_t(a)), labels.push_back(op.labels[a]);
      perm.push_back(int64_t(first));
      perm.push_back(int64_t(second));
      int64_t n = eq.extents.at(label);
      Tensor eye(TensorType(DType::Float32, {n, n}));
      auto data = eye.getMutableData<float>();
      for (int64_t i = 0; i < n; ++i) data[size_t(i * n + i)] = 1.0f;
      Value *moved = emitter.transpose(op.value, perm);
      Value *masked = emitter.emit("Mul", {moved, emitter.constant("identity", std::move(eye))});
      labels.push_back(label);
      int64_t last = int64_t(labels.size());
      op = {emitter.emit("ReduceSum", {masked, emitter.ints({last})}, {{"keepdims", int64_t(0)}}),
            labels};
    }
  }

  /// Sums out the labels of \p op that neither the output, operands[from...] nor \p partner
  /// (the operand it is about to be multiplied with) need.
  Operand sumUnneeded(const Operand &op, const std::vector<Operand> &operands, size_t from,
                      const Operand *partner = nullptr) {
    std::vector<EinsumLabel> unneeded;
    for (EinsumLabel label : op.labels)
      if (!neededLater(label, operands, from) &&
          !(partner && llvm::is_contained(partner->labels, label)))
        unneeded.push_back(label);
    return reduceSum(op, unneeded, false);
  }

  /// The product of \p a and \p b summed over the labels both have that operands[from...] and
  /// the output do not need, as one MatMul.
  Operand multiply(Operand a, Operand b, const std::vector<Operand> &operands, size_t from) {
    std::vector<EinsumLabel> batch, rows, columns, contracted;
    for (EinsumLabel label : a.labels) {
      bool shared = llvm::is_contained(b.labels, label);
      if (!shared)
        rows.push_back(label);
      else if (neededLater(label, operands, from))
        batch.push_back(label);
      else
        contracted.push_back(label);
    }
    for (EinsumLabel label : b.labels)
      if (!llvm::is_contained(a.labels, label)) columns.push_back(label);
    // A contracted ellipsis axis of extent 1 on one side broadcasts: sum the other side first.
    for (EinsumLabel label : contracted) {
      int64_t inA = extentOf(a, llvm::find(a.labels, label) - a.labels.begin());
      int64_t inB = extentOf(b, llvm::find(b.labels, label) - b.labels.begin());
      if (inA != inB) (inA == 1 ? b : a) = reduceSum(inA == 1 ? b : a, {label}, true);
    }
    auto concat = [](std::vector<EinsumLabel> x, const std::vector<EinsumLabel> &y) {
      x.insert(x.end(), y.begin(), y.end());
      return x;
    };
    Operand left = permute(a, concat(concat(batch, rows), contracted));
    Operand right = permute(b, concat(concat(batch, contracted), columns));
    auto extents = [&](const Operand &op, size_t begin, size_t end) {
      std::vector<int64_t> dims;
      for (size_t axis = begin; axis < end; ++axis) dims.push_back(extentOf(op, axis));
      return dims;
    };
    auto product = [](const std::vector<int64_t> &dims) {
      return std::accumulate(dims.begin(), dims.end(), int64_t(1), std::multiplies<>());
    };
    size_t nb = batch.size(), nr = rows.size(), nk = contracted.size();
    std::vector<int64_t> leftDims = extents(left, 0, nb), rightDims = extents(right, 0, nb);
    std::vector<int64_t> rowDims = extents(left, nb, nb + nr);
    std::vector<int64_t> columnDims = extents(right, nb + nk, right.labels.size());
    int64_t k = product(extents(left, nb + nr, left.labels.size()));
    leftDims.insert(leftDims.end(), {product(rowDims), k});
    rightDims.insert(rightDims.end(), {k, product(columnDims)});
    Value *matmul = emitter.emit(
        "MatMul", {reshapeTo(left.value, leftDims), reshapeTo(right.value, rightDims)});
    if (!matmul) return {nullptr, {}};
    std::vector<int64_t> outDims(matmul->getType().getDims().begin(),
                                 matmul->getType().getDims().begin() + long(nb));
    outDims.insert(outDims.end(), rowDims.begin(), rowDims.end());
    outDims.insert(outDims.end(), columnDims.begin(), columnDims.end());
    return {reshapeTo(matmul, outDims), concat(concat(batch, rows), columns)};
  }

  Value *reshapeTo(Value *x, const std::vector<int64_t> &dims) {
    if (!x || x->getType().getDims() == llvm::ArrayRef<int64_t>(dims)) return x;
    return emitter.reshape(x, dims);
  }

  Graph &graph;
  Node &node;
  EinsumEquation eq;
  NodeEmitter emitter;
};

class ExpandEinsum : public Pass {
public:
  llvm::StringRef getName() const override { return "expand-einsum"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    bool changed = false;
    for (Node *node : graph.getNodes()) {
      if (node->getOpType() != "Einsum") continue;
      auto eq = parseEinsum(*node);
      if (!eq) return eq.takeError();
      if (llvm::Error err = EinsumExpander(graph, *node, std::move(*eq)).run()) return err;
      changed = true;
    }
    if (!changed) return false;
    graph.removeUnusedValues();
    if (llvm::Error err = graph.sortTopologically()) return std::move(err);
    // Transposes and Reshapes of constant operands become the MatMuls' constant weights.
    auto folded = foldConstants(graph);
    if (!folded) return folded.takeError();
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createExpandEinsum() { return std::make_unique<ExpandEinsum>(); }

} // namespace spcc
