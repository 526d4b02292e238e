//===- ExpandConvTranspose.cpp - ConvTranspose as a Conv -----------------===//
//
// A transposed convolution with a constant kernel is a convolution, stride 1, over its input
// with stride - 1 zeros inserted between neighbours, padded by (kernel extent - 1 - pad) on each
// side (plus output_padding at the end), with the kernel flipped on every spatial axis and its
// two channel axes swapped within each group. The zero insertion is a Reshape / Pad / Reshape /
// Slice per strided axis; the Conv then gets the backends' convolutions, generated sparse code
// for a pruned kernel included. The inserted zeros cost stride^rank more multiply-adds than a
// direct scatter would: simple and exact, not yet the fastest form.
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/ConvTranspose.h"
#include "passes/NodeEmitter.h"
#include "passes/Pass.h"

namespace spcc {
namespace {

/// W [C, M/group, k...] of a ConvTranspose as the equivalent Conv's [M, C/group, k...], flipped.
Tensor convKernel(const Tensor &weight, int64_t group) {
  llvm::ArrayRef<int64_t> dims = weight.getDims();
  int64_t channels = dims[0], groupOut = dims[1], groupIn = channels / group;
  Dims kernel(dims.begin() + 2, dims.end());
  int64_t taps = 1;
  for (int64_t k : kernel) taps *= k;
  Dims outDims{groupOut * group, groupIn};
  outDims.append(kernel.begin(), kernel.end());
  Tensor out(TensorType(DType::Float32, outDims));
  auto src = weight.getData<float>();
  auto dst = out.getMutableData<float>();
  for (int64_t c = 0; c < channels; ++c) {
    int64_t g = c / groupIn, ci = c % groupIn;
    for (int64_t m = 0; m < groupOut; ++m) {
      const float *from = src.data() + (c * groupOut + m) * taps;
      float *to = dst.data() + ((g * groupOut + m) * groupIn + ci) * taps;
      // Reversing the flattened taps reverses every spatial axis at once.
      for (int64_t t = 0; t < taps; ++t) to[taps - 1 - t] = from[t];
    }
  }
  return out;
}

class ExpandConvTranspose : public Pass {
public:
  llvm::StringRef getName() const override { return "expand-conv-transpose"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    bool changed = false;
    for (Node *node : graph.getNodes()) {
      if (node->getOpType() != "ConvTranspose") continue;
      for (size_t i = 1; i < node->getNumInputs(); ++i)
        if (node->getInput(i) && !node->getInput(i)->isConstant())
          return nodeError(*node, ErrorCode::Unsupported,
                           "input " + llvm::Twine(i) + " ('" + node->getInput(i)->getName() +
                               "') must be known at compile time (the kernel is compiled in)");
      auto geometry = resolveConvTransposeGeometry(*node);
      if (!geometry) return geometry.takeError();
      if (llvm::Error err = expand(graph, *node, *geometry)) return err;
      changed = true;
    }
    if (!changed) return false;
    graph.removeUnusedValues();
    if (llvm::Error err = graph.sortTopologically()) return std::move(err);
    return true;
  }

private:
  static llvm::Error expand(Graph &graph, Node &node, const ConvTransposeGeometry &g) {
    NodeEmitter emitter(graph,
                        node.getName().empty() ? node.getOutput(0)->getName() : node.getName());
    Value *x = node.getInput(0);
    Dims dims(x->getType().getDims());
    int64_t rank = int64_t(dims.size());
    Dims convBegin, convEnd;
    for (size_t a = 0; a < g.in.size(); ++a) {
      int64_t axis = 2 + int64_t(a), s = g.strides[a], length = dims[size_t(axis)];
      int64_t extent = (g.kernel[a] - 1) * g.dilations[a] + 1;
      int64_t begin = extent - 1 - g.padsBegin[a];
      int64_t end = extent - 1 - g.padsEnd[a] + g.outputPadding[a];
      int64_t upsampled = (length - 1) * s + 1;
      if (s > 1) {
        // [.., L, ..] -> [.., L, 1, ..] -> pad to [.., L, s, ..] -> [.., L * s, ..].
        Dims split(dims);
        split.insert(split.begin() + axis + 1, 1);
        std::vector<int64_t> pads(size_t(2 * (rank + 1)), 0);
        pads[size_t(rank + 1 + axis + 1)] = s - 1;
        x = emitter.reshape(x, std::vector<int64_t>(split.begin(), split.end()));
        x = emitter.emit("Pad", {x, emitter.ints(pads)});
        dims[size_t(axis)] = length * s;
        x = emitter.reshape(x, std::vector<int64_t>(dims.begin(), dims.end()));
      }
      // Drop the zeros after the last element, and crop where the padding exceeds the kernel.
      int64_t first = std::max<int64_t>(0, -begin);
      int64_t last = upsampled - std::max<int64_t>(0, -end);
      if (first != 0 || last != dims[size_t(axis)]) {
        x = emitter.slice(x, axis, first, last);
        dims[size_t(axis)] = last - first;
      }
      convBegin.push_back(std::max<int64_t>(0, begin));
      convEnd.push_back(std::max<int64_t>(0, end));
    }
    std::vector<int64_t> pads(convBegin.begin(), convBegin.end());
    pads.insert(pads.end(), convEnd.begin(), convEnd.end());
    std::vector<Value *> inputs = {
        x, emitter.constant("kernel", convKernel(node.getInput(1)->getConstant(), g.group))};
    if (node.getNumInputs() > 2 && node.getInput(2)) inputs.push_back(node.getInput(2));
    Value *conv =
        emitter.emit("Conv", inputs,
                     {{"dilations", std::vector<int64_t>(g.dilations.begin(), g.dilations.end())},
                      {"pads", pads},
                      {"group", g.group}});
    if (llvm::Error err = emitter.error()) return err;
    graph.replaceAllUsesWith(node.getOutput(0), conv);
    graph.eraseNode(&node);
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Pass> createExpandConvTranspose() {
  return std::make_unique<ExpandConvTranspose>();
}

} // namespace spcc
