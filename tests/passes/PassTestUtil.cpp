#include "tests/passes/PassTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "compiler/frontend/OnnxImporter.h"
#include "compiler/ir/IRParser.h"
#include "compiler/ir/IRPrinter.h"
#include "compiler/ir/Verifier.h"
#include "compiler/support/Error.h"
#include "passes/PassPipeline.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <sstream>

namespace spcc::test {

std::unique_ptr<Graph> parseOrFail(const std::string &text) {
  auto graph = parseGraph(text, "<test>");
  if (!graph) FAIL(takeMessage(graph.takeError()));
  return std::move(*graph);
}

std::string runPassOnText(const std::string &pass, const std::string &input, bool *changed) {
  std::unique_ptr<Graph> graph = parseOrFail(input);
  std::unique_ptr<Pass> p = createPassByName(pass);
  REQUIRE(p);
  auto result = p->run(*graph, PassOptions());
  if (!result) FAIL(takeMessage(result.takeError()));
  if (changed) *changed = *result;
  if (llvm::Error err = verifyGraph(*graph)) FAIL(takeMessage(std::move(err)));
  PrintOptions options;
  options.elideConstantsAbove = -1;
  return graphToString(*graph, options);
}

std::string randomConstant(const std::string &name, const std::vector<int64_t> &dims, uint32_t seed,
                           float lo, float hi, double zeroFraction) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> value(lo, hi);
  std::bernoulli_distribution zero(zeroFraction);
  int64_t count = 1;
  std::ostringstream line;
  line << "  %" << name << ": f32[";
  for (size_t i = 0; i < dims.size(); ++i) {
    line << (i ? "," : "") << dims[i];
    count *= dims[i];
  }
  line << "] = constant [";
  for (int64_t i = 0; i < count; ++i) {
    float v = value(random);
    line << (i ? ", " : "") << std::showpoint << (zero(random) ? 0.0f : v);
  }
  line << "]\n";
  return line.str();
}

double maxOutputDifference(const std::string &text, const std::string &pass, uint32_t seed) {
  std::unique_ptr<Graph> before = parseOrFail(text), after = parseOrFail(text);
  std::unique_ptr<Pass> p = createPassByName(pass);
  REQUIRE(p);
  auto changed = p->run(*after, PassOptions());
  if (!changed) FAIL(takeMessage(changed.takeError()));
  CHECK(*changed);
  if (llvm::Error err = verifyGraph(*after)) FAIL(takeMessage(std::move(err)));

  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::map<std::string, Tensor> inputs;
  for (const Value *in : before->getInputs()) {
    Tensor t(in->getType());
    for (float &v : t.getMutableData<float>()) v = uniform(random);
    inputs.emplace(in->getName(), std::move(t));
  }
  auto expected = interpretGraph(*before, inputs);
  auto actual = interpretGraph(*after, inputs);
  if (!expected) FAIL(takeMessage(expected.takeError()));
  if (!actual) FAIL(takeMessage(actual.takeError()));
  REQUIRE(expected->size() == actual->size());
  double worst = 0;
  for (size_t o = 0; o < expected->size(); ++o) {
    auto e = (*expected)[o].getData<float>(), a = (*actual)[o].getData<float>();
    REQUIRE(e.size() == a.size());
    for (size_t i = 0; i < e.size(); ++i) worst = std::max(worst, double(std::fabs(e[i] - a[i])));
  }
  return worst;
}

float checkPipelineMatchesReference(const std::string &bytes,
                                    const std::map<std::string, Tensor> &feeds,
                                    const std::string &expandedOp) {
  auto import = [&] {
    return importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()},
                            "model.onnx", {});
  };
  auto reference = import();
  if (!reference) FAIL(takeMessage(reference.takeError()));
  auto expected = interpretGraph(**reference, feeds);
  if (!expected) FAIL(takeMessage(expected.takeError()));
  auto expanded = import();
  if (!expanded) FAIL(takeMessage(expanded.takeError()));
  if (llvm::Error err = runDefaultPipeline(**expanded, PipelineOptions()))
    FAIL(takeMessage(std::move(err)));
  for (Node *n : (*expanded)->getNodes()) CHECK(n->getOpType() != expandedOp);
  auto actual = interpretGraph(**expanded, feeds);
  if (!actual) FAIL(takeMessage(actual.takeError()));
  REQUIRE(actual->size() == expected->size());
  float largest = 0;
  for (size_t o = 0; o < actual->size(); ++o) {
    INFO("output " << o);
    REQUIRE((*actual)[o].getType() == (*expected)[o].getType());
    auto a = (*actual)[o].getData<float>(), e = (*expected)[o].getData<float>();
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(std::abs(a[i] - e[i]) <= 1e-5f + 1e-4f * std::abs(e[i]));
      largest = std::max(largest, std::abs(e[i]));
    }
  }
  return largest;
}

} // namespace spcc::test
