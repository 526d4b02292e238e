#include "tests/passes/PassTestUtil.h"

#include "compiler/ir/IRParser.h"
#include "compiler/ir/IRPrinter.h"
#include "compiler/ir/Verifier.h"
#include "compiler/support/Error.h"
#include "passes/PassPipeline.h"

#include <catch2/catch.hpp>

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

} // namespace spcc::test
