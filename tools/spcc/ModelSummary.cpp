#include "tools/spcc/ModelSummary.h"

#include "llvm/Support/Format.h"

#include <map>

namespace spcc {

/// The constant float weight of a layer, or nullptr: input 1 of MatMul / Gemm / Conv.
static const Value *layerWeight(const Node &node) {
  const std::string &op = node.getOpType();
  if (op != "MatMul" && op != "Gemm" && op != "Conv") return nullptr;
  const Value *w = node.getInput(1);
  if (!w || !w->isConstant() || w->getType().getDType() != DType::Float32) return nullptr;
  return w;
}

void printModelSummary(const Graph &graph, llvm::raw_ostream &os) {
  std::map<std::string, int> histogram;
  for (const Node *node : graph.getNodes()) ++histogram[node->getOpType()];
  os << "graph '" << graph.getName() << "': " << graph.getNumNodes() << " nodes\n";
  os << "ops:";
  for (const auto &[op, count] : histogram) os << " " << op << "=" << count;
  os << "\n";

  int64_t totalWeights = 0, totalNonZeros = 0;
  bool header = false;
  for (const Node *node : graph.getNodes()) {
    const Value *w = layerWeight(*node);
    if (!w) continue;
    if (!header) {
      os << llvm::left_justify("layer", 32) << " " << llvm::left_justify("op", 8) << " "
         << llvm::left_justify("output", 22) << " " << llvm::left_justify("weight", 18) << " "
         << llvm::right_justify("nonzeros", 10) << " " << llvm::right_justify("sparsity", 9)
         << "\n";
      header = true;
    }
    const Tensor &data = w->getConstant();
    int64_t nnz = data.countNonZeros();
    totalWeights += data.getNumElements();
    totalNonZeros += nnz;
    double sparsity = data.getNumElements() ? 1.0 - double(nnz) / double(data.getNumElements()) : 0;
    os << llvm::format("%-32s %-8s %-22s %-18s %10lld %8.1f%%\n", node->getName().c_str(),
                       node->getOpType().c_str(), node->getOutput(0)->getType().str().c_str(),
                       w->getType().str().c_str(), (long long)nnz, 100 * sparsity);
  }
  if (totalWeights)
    os << llvm::format("weights: %lld of %lld nonzero (%.1f%% sparse)\n", (long long)totalNonZeros,
                       (long long)totalWeights,
                       100.0 * (1.0 - double(totalNonZeros) / double(totalWeights)));
}

} // namespace spcc
