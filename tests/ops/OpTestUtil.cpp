#include "tests/ops/OpTestUtil.h"

#include "compiler/eval/TypeInference.h"

#include <cmath>

namespace spcc::test {

llvm::Expected<TensorList> runOp(const OpCall &call) {
  const OpSchema *schema = lookupOpSchema(call.opType);
  if (!schema) return makeError(ErrorCode::Unsupported, "no op " + call.opType);
  Graph graph;
  std::vector<Value *> inputs;
  std::vector<const Tensor *> known;
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor &t = call.inputs[i];
    if (t.isNull()) {
      inputs.push_back(nullptr);
      known.push_back(nullptr);
      continue;
    }
    bool constant = i >= call.constantInputs.size() || call.constantInputs[i];
    std::string name = "in" + std::to_string(i);
    inputs.push_back(constant ? graph.addConstant(name, t) : graph.addInput(name, t.getType()));
    known.push_back(constant ? &t : nullptr);
  }
  std::vector<std::string> outputNames;
  for (size_t i = 0; i < call.numOutputs; ++i) outputNames.push_back("out" + std::to_string(i));
  Node *node = graph.addNode("node", call.opType, schema, inputs, outputNames);
  for (const auto &[key, value] : call.attributes) node->setAttribute(key, value);
  auto types = inferNodeTypes(*node, known);
  if (!types) return types.takeError();
  for (size_t i = 0; i < types->size(); ++i) node->getOutput(i)->setType((*types)[i]);
  auto outs = schema->evaluate(*node, call.inputs);
  if (!outs) return outs.takeError();
  for (size_t i = 0; i < call.numOutputs; ++i)
    if ((*outs)[i].getType() != (*types)[i])
      return makeError(ErrorCode::Internal, "evaluation type " + (*outs)[i].getType().str() +
                                                " differs from shape rule " + (*types)[i].str());
  return outs;
}

TensorList runOpOrFail(const OpCall &call) {
  auto outs = runOp(call);
  if (!outs) FAIL(takeMessage(outs.takeError()));
  return std::move(*outs);
}

std::string runOpError(const OpCall &call) {
  auto outs = runOp(call);
  if (outs) FAIL("expected " + call.opType + " to fail");
  return takeMessage(outs.takeError());
}

Tensor randomTensor(llvm::ArrayRef<int64_t> dims, std::mt19937 &rng, float lo, float hi) {
  Tensor t(TensorType(DType::Float32, dims));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float &x : t.getMutableData<float>()) x = dist(rng);
  return t;
}

void requireClose(const Tensor &actual, const Tensor &expected, double rtol, double atol) {
  REQUIRE(actual.getType().str() == expected.getType().str());
  int64_t worst = -1;
  double worstExcess = 0;
  for (int64_t i = 0; i < actual.getNumElements(); ++i) {
    double a = actual.getAsDouble(i), e = expected.getAsDouble(i);
    double excess = std::fabs(a - e) - (atol + rtol * std::fabs(e));
    if (std::isnan(a) != std::isnan(e) || excess > worstExcess) {
      worst = i;
      worstExcess = std::isnan(excess) ? INFINITY : excess;
    }
  }
  if (worst >= 0)
    FAIL("element " << worst << ": got " << actual.getAsDouble(worst) << ", expected "
                    << expected.getAsDouble(worst));
}

} // namespace spcc::test
