//===- RuntimeBatch.cpp - Import a model whose batch is chosen at run time -===//
#include "compiler/frontend/RuntimeBatch.h"

#include "compiler/eval/ConstantFolder.h"
#include "compiler/ops/OpSchema.h"

#include "llvm/ADT/DenseMap.h"

#include <cstring>

namespace spcc {
namespace {

/// The batch the model is probed at. Any size above 1 shows where the samples go; sample rules
/// follow axes, not sizes, so a coincidence with another dim cannot mislead them.
constexpr int64_t kProbeBatch = 2;

/// \p options with the run-time batch fixed to \p batch.
ImportOptions withBatch(const ImportOptions &options, int64_t batch) {
  ImportOptions fixed = options;
  for (auto &[name, dims] : fixed.inputShapes)
    if (!dims.empty() && dims[0] == kRuntimeBatchDim) {
      dims[0] = batch;
      fixed.runtimeBatchInputs.insert(name);
    }
  return fixed;
}

/// Imports at \p batch and folds what is known at compile time (the Shape arithmetic of
/// exports becomes constants: Reshape targets that hold the batch size).
llvm::Expected<std::unique_ptr<Graph>> importFolded(
    const ImportOptions &options, int64_t batch,
    const std::function<llvm::Expected<std::unique_ptr<Graph>>(const ImportOptions &)> &importAt) {
  auto graph = importAt(withBatch(options, batch));
  if (!graph) return graph.takeError();
  if (auto folded = foldConstants(**graph); !folded) return folded.takeError();
  eraseDeadNodes(**graph);
  return graph;
}

llvm::Error refuse(const llvm::Twine &message) {
  return makeError(ErrorCode::Unsupported, "run-time batch: " + message);
}

/// Whether \p probe holds \p batch copies of \p one, one after another along \p axis.
bool tiles(const Tensor &one, const Tensor &probe, int axis, int64_t batch) {
  llvm::ArrayRef<int64_t> dims = one.getDims();
  int64_t outer = 1;
  for (int a = 0; a < axis; ++a) outer *= dims[size_t(a)];
  size_t block = size_t(one.getBytes().size() / size_t(std::max<int64_t>(outer, 1)));
  const uint8_t *src = one.getBytes().data(), *dst = probe.getBytes().data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t s = 0; s < batch; ++s)
      if (std::memcmp(dst + size_t(o * batch + s) * block, src + size_t(o) * block, block) != 0)
        return false;
  return true;
}

/// How a constant varies with the batch, from its values at batch 1 and at the probe batch.
SampleLayout constantLayout(const Tensor &one, const Tensor &probe, int64_t batch) {
  if (one.getType() == probe.getType() && one.getBytes().size() == probe.getBytes().size() &&
      std::memcmp(one.getBytes().data(), probe.getBytes().data(), one.getBytes().size()) == 0)
    return SampleLayout::shared();
  llvm::ArrayRef<int64_t> a = one.getDims(), b = probe.getDims();
  if (one.getDType() == probe.getDType() && a.size() == b.size())
    for (size_t axis = 0; axis < a.size(); ++axis) {
      llvm::SmallVector<int64_t, 4> expected(a.begin(), a.end());
      expected[axis] *= batch;
      if (llvm::ArrayRef<int64_t>(expected) == b && tiles(one, probe, int(axis), batch))
        return SampleLayout::split(int(axis));
    }
  return SampleLayout::batchSized();
}

/// Whether a value of type \p one at batch 1 is the same value at the probe batch with layout
/// \p layout.
bool typesAgree(const TensorType &one, const TensorType &probe, const SampleLayout &layout,
                int64_t batch) {
  if (one.getDType() != probe.getDType() || one.getRank() != probe.getRank()) return false;
  for (int a = 0; a < one.getRank(); ++a) {
    int64_t factor = layout.isSplit() && layout.axis == a ? batch : 1;
    if (one.getDim(a) * factor != probe.getDim(a)) return false;
  }
  return true;
}

/// Follows the samples through the probe graph, node by node, checking it against the graph of
/// one sample; on success marks the batched inputs and outputs of \p one.
class SampleAnalysis {
public:
  SampleAnalysis(Graph &one, const Graph &probe, int64_t batch)
      : one(one), probe(probe), batch(batch) {}

  llvm::Error run(const std::set<std::string> &batchedInputs) {
    std::set<std::string> batched;
    if (one.getInputs().size() != probe.getInputs().size())
      return refuse("the model's inputs change with the batch size");
    for (size_t i = 0; i < one.getInputs().size(); ++i) {
      const Value *in = probe.getInputs()[i];
      if (in->getName() != one.getInputs()[i]->getName())
        return refuse("the model's inputs change with the batch size");
      SampleLayout layout =
          batchedInputs.count(in->getName()) ? SampleLayout::split(0) : SampleLayout::shared();
      if (llvm::Error err = record(one.getInputs()[i], in, layout)) return err;
      if (layout.isSplit()) batched.insert(in->getName());
    }
    std::vector<Node *> oneNodes = one.getNodes(), probeNodes = probe.getNodes();
    if (oneNodes.size() != probeNodes.size())
      return refuse("the model has " + llvm::Twine(oneNodes.size()) + " nodes at batch 1 and " +
                    llvm::Twine(probeNodes.size()) + " at batch " + llvm::Twine(batch));
    for (size_t n = 0; n < oneNodes.size(); ++n)
      if (llvm::Error err = visit(*oneNodes[n], *probeNodes[n])) return err;
    if (one.getOutputs().size() != probe.getOutputs().size())
      return refuse("the model's outputs change with the batch size");
    for (size_t o = 0; o < probe.getOutputs().size(); ++o) {
      const GraphOutput &out = probe.getOutputs()[o];
      const Value *oneValue = one.getOutputs()[o].value;
      auto layout = layoutOf(oneValue, out.value);
      if (!layout) return layout.takeError();
      if (layout->kind == SampleLayout::Kind::BatchSized ||
          (layout->isSplit() && layout->axis != 0))
        return refuse("output '" + out.name + "' holds the samples along axis " +
                      llvm::Twine(layout->axis) + "; only dim 0 can hold the batch");
      // The runtime advances a batched output by one sample's bytes: dim 0 must count samples.
      if (layout->isSplit() && oneValue->getType().getDim(0) != 1)
        return refuse("output '" + out.name + "' holds " +
                      llvm::Twine(oneValue->getType().getDim(0)) +
                      " rows per sample on dim 0; only one row per sample is supported");
      if (layout->isSplit()) batched.insert(out.name);
    }
    one.setBatchedTensors(std::move(batched));
    return llvm::Error::success();
  }

private:
  llvm::Error record(const Value *oneValue, const Value *probeValue, SampleLayout layout) {
    if (!typesAgree(oneValue->getType(), probeValue->getType(), layout, batch))
      return refuse("'" + probeValue->getName() + "' is " + oneValue->getType().str() +
                    " at batch 1 but " + probeValue->getType().str() + " at batch " +
                    llvm::Twine(batch));
    layouts[probeValue] = layout;
    counterparts[probeValue] = oneValue;
    return llvm::Error::success();
  }

  /// The layout of \p probeValue, whose counterpart at batch 1 is \p oneValue.
  llvm::Expected<SampleLayout> layoutOf(const Value *oneValue, const Value *probeValue) {
    if (!oneValue || !probeValue) {
      if (oneValue || probeValue) return refuse("an optional input is present at one batch only");
      return SampleLayout::shared();
    }
    if (probeValue->isConstant() && oneValue->isConstant())
      return constantLayout(oneValue->getConstant(), probeValue->getConstant(), batch);
    auto it = layouts.find(probeValue);
    if (it == layouts.end() || counterparts.lookup(probeValue) != oneValue)
      return refuse("'" + probeValue->getName() +
                    "' is computed differently at batch 1 and at batch " + llvm::Twine(batch));
    return it->second;
  }

  llvm::Error visit(const Node &oneNode, const Node &probeNode) {
    if (oneNode.getOpType() != probeNode.getOpType() ||
        oneNode.getNumInputs() != probeNode.getNumInputs() ||
        oneNode.getNumOutputs() != probeNode.getNumOutputs())
      return refuse(probeNode.describe() + " has no counterpart at batch 1");
    SampleLayouts inputs;
    for (size_t i = 0; i < probeNode.getNumInputs(); ++i) {
      auto layout = layoutOf(oneNode.getInput(i), probeNode.getInput(i));
      if (!layout) return layout.takeError();
      inputs.push_back(*layout);
    }
    auto outputs = probeNode.getSchema().inferSampleLayouts(probeNode, inputs, batch);
    if (!outputs) return refuse(llvm::toString(outputs.takeError()));
    for (size_t o = 0; o < probeNode.getNumOutputs(); ++o)
      if (llvm::Error err = record(oneNode.getOutput(o), probeNode.getOutput(o), (*outputs)[o]))
        return err;
    return llvm::Error::success();
  }

  Graph &one;
  const Graph &probe;
  int64_t batch;
  llvm::DenseMap<const Value *, SampleLayout> layouts;
  llvm::DenseMap<const Value *, const Value *> counterparts;
};

} // namespace

bool hasRuntimeBatch(const ImportOptions &options) {
  for (const auto &[name, dims] : options.inputShapes)
    if (!dims.empty() && dims[0] == kRuntimeBatchDim) return true;
  return false;
}

llvm::Expected<std::unique_ptr<Graph>> importWithRuntimeBatch(
    const ImportOptions &options,
    const std::function<llvm::Expected<std::unique_ptr<Graph>>(const ImportOptions &)> &importAt) {
  if (!hasRuntimeBatch(options)) return importAt(options);
  auto one = importFolded(options, 1, importAt);
  if (!one) return one.takeError();
  auto probe = importFolded(options, kProbeBatch, importAt);
  if (!probe) return probe.takeError();
  SampleAnalysis analysis(**one, **probe, kProbeBatch);
  if (llvm::Error err = analysis.run(withBatch(options, 1).runtimeBatchInputs)) return err;
  return one;
}

llvm::Expected<std::unique_ptr<Graph>> importModelFile(llvm::StringRef path,
                                                       const ImportOptions &options) {
  std::string file = path.str();
  auto graph = importWithRuntimeBatch(
      options, [&](const ImportOptions &fixed) { return importOnnxFile(file, fixed); });
  if (!graph && hasRuntimeBatch(options)) return addContext(graph.takeError(), path);
  return graph;
}

} // namespace spcc
