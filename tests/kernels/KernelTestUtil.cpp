#include "tests/kernels/KernelTestUtil.h"

#include "backends/common/FeatureMajor.h"
#include "backends/common/KernelLowering.h"
#include "compiler/eval/TypeInference.h"
#include "runtime/kernels/KernelTable.h"

#include <cstring>

namespace spcc::test {
namespace {

/// The graph of one op application, kept alive while the node is used.
struct OneNode {
  Graph graph;
  Node *node = nullptr;
};

llvm::Error build(const OpCall &call, OneNode &g) {
  const OpSchema *schema = lookupOpSchema(call.opType);
  if (!schema) return makeError(ErrorCode::Unsupported, "no op " + call.opType);
  std::vector<Value *> inputs;
  std::vector<const Tensor *> known;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor &t = call.inputs[i];
    bool constant = i >= call.constantInputs.size() || call.constantInputs[i];
    std::string name = "in" + std::to_string(i);
    if (t.isNull())
      inputs.push_back(nullptr);
    else
      inputs.push_back(constant ? g.graph.addConstant(name, t)
                                : g.graph.addInput(name, t.getType()));
    known.push_back(!t.isNull() && constant ? &t : nullptr);
  }
  std::vector<std::string> outputNames;
  for (size_t i = 0; i < call.numOutputs; ++i) outputNames.push_back("out" + std::to_string(i));
  g.node = g.graph.addNode("node", call.opType, schema, inputs, outputNames);
  for (const auto &[key, value] : call.attributes) g.node->setAttribute(key, value);
  auto types = inferNodeTypes(*g.node, known);
  if (!types) return types.takeError();
  for (size_t i = 0; i < types->size(); ++i) g.node->getOutput(i)->setType((*types)[i]);
  return llvm::Error::success();
}

/// \p t's floats as stored feature-major with \p rows rows (transposed to [size / rows, rows]),
/// or back to token-major when \p back.
std::vector<float> transposedFloats(llvm::ArrayRef<float> t, int64_t rows, bool back) {
  int64_t size = int64_t(t.size()), features = size / rows;
  std::vector<float> result(t.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t f = 0; f < features; ++f) {
      int64_t tokenMajor = r * features + f, featureMajor = f * rows + r;
      result[size_t(back ? tokenMajor : featureMajor)] =
          t[size_t(back ? featureMajor : tokenMajor)];
    }
  return result;
}

/// checkKernel's work; the kernel reads its slotted inputs (FeatureMajorSlots) feature-major
/// when \p inputs and writes its output so when \p output.
std::string checkKernelIn(const OpCall &call, double rtol, double atol, bool inputs, bool output) {
  OneNode g;
  if (auto err = build(call, g)) FAIL(takeMessage(std::move(err)));
  auto expected = g.node->getSchema().evaluate(*g.node, call.inputs);
  if (!expected) FAIL(takeMessage(expected.takeError()));
  auto kernelCall = lowerToKernelCall(*g.node, {inputs, output});
  if (!kernelCall) FAIL(takeMessage(kernelCall.takeError()));
  if (kernelCall->isAlias) {
    REQUIRE(expected->size() == 1);
    REQUIRE((*expected)[0].getBytes() == call.inputs[0].getBytes());
    return "";
  }
  std::optional<FeatureMajorSlots> slots;
  if (inputs || output) {
    slots = featureMajorSlots(*g.node);
    REQUIRE(slots);
  }
  spcc_kernel_fn fn = lookupKernel(kernelCall->symbol.c_str());
  INFO("kernel " << kernelCall->symbol << (inputs ? ", inputs feature-major" : "")
                 << (output ? ", output feature-major" : ""));
  REQUIRE(fn != nullptr);
  std::vector<std::vector<float>> transposedInputs(call.inputs.size());
  std::vector<const void *> ins;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor &t = call.inputs[i];
    if (inputs && slots->inputRows[i] > 0) {
      transposedInputs[i] = transposedFloats(t.getData<float>(), slots->inputRows[i], false);
      ins.push_back(transposedInputs[i].data());
      continue;
    }
    ins.push_back(t.isNull() ? nullptr : t.getBytes().data());
  }
  for (int threads = 1; threads <= 3; ++threads) {
    INFO("threads " << threads);
    TensorList actual;
    std::vector<void *> outs;
    for (size_t i = 0; i < g.node->getNumOutputs(); ++i) {
      // Filled with NaN bytes, so an element the kernel does not write shows.
      actual.push_back(Tensor(g.node->getOutput(i)->getType()));
      llvm::MutableArrayRef<uint8_t> bytes = actual.back().getMutableBytes();
      std::memset(bytes.data(), 0xff, bytes.size());
      outs.push_back(bytes.data());
    }
    Tensor workspace(TensorType(DType::UInt8, {kernelCall->workspaceBytes}));
    if (kernelCall->workspaceBytes > 0) outs.push_back(workspace.getMutableBytes().data());
    REQUIRE(fn(ins.data(), outs.data(), kernelCall->params.data(), threads) == SPCC_KERNEL_OK);
    if (output) {
      std::vector<float> tokenMajor =
          transposedFloats(actual[0].getData<float>(), slots->outputRows, true);
      std::copy(tokenMajor.begin(), tokenMajor.end(), actual[0].getMutableData<float>().begin());
    }
    for (size_t i = 0; i < actual.size(); ++i) {
      INFO("output " << i);
      if (actual[i].getDType() == DType::Float32) {
        requireClose(actual[i], (*expected)[i], rtol, atol);
      } else {
        REQUIRE(actual[i].getType() == (*expected)[i].getType());
        REQUIRE(actual[i].getBytes() == (*expected)[i].getBytes());
      }
    }
  }
  return kernelCall->symbol;
}

} // namespace

std::string checkKernel(const OpCall &call, double rtol, double atol) {
  return checkKernelIn(call, rtol, atol, false, false);
}

std::string checkKernelFeatureMajor(const OpCall &call, bool inputs, bool output, double rtol,
                                    double atol) {
  return checkKernelIn(call, rtol, atol, inputs, output);
}

KernelRun runKernel(const OpCall &call, int32_t threads) {
  OneNode g;
  if (auto err = build(call, g)) FAIL(takeMessage(std::move(err)));
  auto kernelCall = lowerToKernelCall(*g.node);
  if (!kernelCall) FAIL(takeMessage(kernelCall.takeError()));
  spcc_kernel_fn fn = lookupKernel(kernelCall->symbol.c_str());
  REQUIRE(fn != nullptr);
  std::vector<const void *> ins;
  for (const Tensor &t : call.inputs) ins.push_back(t.isNull() ? nullptr : t.getBytes().data());
  KernelRun run;
  std::vector<void *> outs;
  for (size_t i = 0; i < g.node->getNumOutputs(); ++i) {
    run.outputs.push_back(Tensor(g.node->getOutput(i)->getType()));
    llvm::MutableArrayRef<uint8_t> bytes = run.outputs.back().getMutableBytes();
    std::memset(bytes.data(), 0xff, bytes.size());
    outs.push_back(bytes.data());
  }
  Tensor workspace(TensorType(DType::UInt8, {kernelCall->workspaceBytes}));
  if (kernelCall->workspaceBytes > 0) outs.push_back(workspace.getMutableBytes().data());
  run.status = fn(ins.data(), outs.data(), kernelCall->params.data(), threads);
  run.failureMessage = kernelCall->failureMessage;
  return run;
}

std::string loweringError(const OpCall &call) {
  OneNode g;
  if (auto err = build(call, g)) FAIL(takeMessage(std::move(err)));
  auto kernelCall = lowerToKernelCall(*g.node);
  if (kernelCall) FAIL("expected the lowering of " + call.opType + " to fail");
  return takeMessage(kernelCall.takeError());
}

Tensor ints(llvm::ArrayRef<int64_t> dims, llvm::ArrayRef<int64_t> values) {
  return Tensor::fromVector<int64_t>(dims, values);
}

Tensor ints(llvm::ArrayRef<int64_t> values) {
  return Tensor::fromVector<int64_t>({int64_t(values.size())}, values);
}

} // namespace spcc::test
