#include "compiler/eval/TypeInference.h"

#include "compiler/ops/OpSchema.h"

#include "llvm/ADT/DenseMap.h"

namespace spcc {

llvm::Expected<llvm::SmallVector<TensorType, 1>>
inferNodeTypes(const Node &node, llvm::ArrayRef<const Tensor *> known) {
  const OpSchema &schema = node.getSchema();
  int numInputs = int(node.getNumInputs()), numOutputs = int(node.getNumOutputs());
  if (numInputs < schema.getMinInputs() ||
      (schema.getMaxInputs() >= 0 && numInputs > schema.getMaxInputs()))
    return nodeError(
        node, ErrorCode::BadModel,
        "has " + llvm::Twine(numInputs) + " inputs, expected " +
            llvm::Twine(schema.getMinInputs()) +
            (schema.getMaxInputs() < 0 ? " or more" : " to " + llvm::Twine(schema.getMaxInputs())));
  if (numOutputs < schema.getMinOutputs() || numOutputs > schema.getMaxOutputs())
    return nodeError(node, ErrorCode::BadModel,
                     "has " + llvm::Twine(numOutputs) + " outputs, expected " +
                         llvm::Twine(schema.getMinOutputs()) + " to " +
                         llvm::Twine(schema.getMaxOutputs()));
  for (int i = 0; i < schema.getMinInputs(); ++i)
    if (!node.getInput(size_t(i)))
      return nodeError(node, ErrorCode::BadModel,
                       "required input " + llvm::Twine(i) + " is missing");
  auto types = schema.inferTypes(node, known);
  if (!types) return types.takeError();
  if (int(types->size()) < numOutputs)
    return nodeError(node, ErrorCode::Internal, "shape rule returned too few types");
  types->resize(size_t(numOutputs));
  for (const TensorType &t : *types)
    for (int64_t d : t.getDims())
      if (d < 0)
        return nodeError(node, ErrorCode::Shape,
                         "computed an output shape with a negative dim: " + t.str());
  return types;
}

/// Which computed values are worth evaluating ahead: small non-float tensors, i.e. shapes,
/// indices and masks. Float math is left to constant folding.
static bool isShapeLike(const TensorType &type) {
  return type.getDType() != DType::Float32 && type.getDType() != DType::Float16 &&
         type.getNumElements() <= 65536;
}

llvm::Error inferGraphTypes(Graph &graph, TypeInferenceMode mode, const TypeInferenceHooks &hooks) {
  llvm::DenseMap<const Value *, Tensor> computed;
  auto knownValue = [&](const Value *v) -> const Tensor * {
    if (!v) return nullptr;
    if (v->isConstant()) return &v->getConstant();
    auto it = computed.find(v);
    return it == computed.end() ? nullptr : &it->second;
  };

  for (Node *node : graph.getNodes()) {
    if (hooks.beforeNode)
      if (llvm::Error err = hooks.beforeNode(*node)) return err;
    llvm::SmallVector<const Tensor *, 4> known;
    for (Value *in : node->getInputs()) {
      known.push_back(knownValue(in));
      if (in && !in->isConstant() && !in->getProducer() &&
          !llvm::is_contained(graph.getInputs(), in))
        return nodeError(*node, ErrorCode::BadModel,
                         "input '" + in->getName() + "' is not produced by any node");
    }
    auto types = inferNodeTypes(*node, known);
    if (!types) return types.takeError();
    for (size_t i = 0; i < types->size(); ++i) {
      Value *out = node->getOutput(i);
      if (!(*types)[i].hasRepresentableSize())
        return nodeError(*node, ErrorCode::Unsupported,
                         "output '" + out->getName() + "' would be " + (*types)[i].str() +
                             ", more than the " + llvm::Twine(kMaxTensorElements) +
                             " elements a tensor may have");
      if (mode == TypeInferenceMode::Assign)
        out->setType((*types)[i]);
      else if (out->getType() != (*types)[i])
        return nodeError(*node, ErrorCode::Internal,
                         "output '" + out->getName() + "' has type " + out->getType().str() +
                             " but the shape rule gives " + (*types)[i].str());
    }

    // Evaluate ahead what later shape rules may need.
    const OpSchema &schema = node->getSchema();
    if (!llvm::all_of(node->getOutputs(), [](Value *v) { return isShapeLike(v->getType()); }))
      continue;
    TensorList results;
    if (std::optional<Tensor> folded = schema.foldFromTypes(*node)) {
      results.push_back(std::move(*folded));
    } else {
      bool allKnown = true;
      llvm::SmallVector<Tensor, 4> inputs;
      for (size_t i = 0; i < known.size(); ++i) {
        if (node->getInput(i) && !known[i]) allKnown = false;
        inputs.push_back(known[i] ? *known[i] : Tensor());
      }
      if (!allKnown) continue;
      auto evaluated = schema.evaluate(*node, inputs);
      if (!evaluated) return evaluated.takeError();
      results = std::move(*evaluated);
    }
    for (size_t i = 0; i < results.size() && i < node->getNumOutputs(); ++i)
      computed[node->getOutput(i)] = std::move(results[i]);
  }
  return llvm::Error::success();
}

} // namespace spcc
