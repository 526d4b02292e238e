// Einsum: its reference evaluation on a product worked by hand, the expand-einsum pass against
// that evaluation over the equations exporters write (and the corners: diagonals, broadcast
// ellipses, implicit outputs, three operands), and the equations it must refuse.
#include "tests/frontend/ModelBuilder.h"
#include "tests/ops/OpTestUtil.h"
#include "tests/passes/PassTestUtil.h"

#include "compiler/eval/Interpreter.h"
#include "compiler/frontend/OnnxImporter.h"
#include "compiler/support/Error.h"

#include <random>

using namespace spcc;
using namespace spcc::test;

namespace {

struct EinsumCase {
  std::string equation;
  std::vector<std::vector<int64_t>> shapes;
  /// Operands from this index on are initializers (weights), pruned to \p sparsity.
  size_t firstConstant = 99;
  float sparsity = 0;
};

std::string buildModel(const EinsumCase &c, std::map<std::string, Tensor> &feeds) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform;
  ModelBuilder b(12);
  std::vector<std::string> names;
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    std::string name = "x" + std::to_string(i);
    int64_t n = 1;
    for (int64_t d : c.shapes[i]) n *= d;
    std::vector<float> values(static_cast<size_t>(n));
    bool constant = i >= c.firstConstant;
    for (float &v : values) v = constant && uniform(rng) < c.sparsity ? 0.0f : normal(rng);
    if (constant)
      b.initializer(name, c.shapes[i], values);
    else {
      b.input(name, c.shapes[i]);
      feeds.emplace(name, Tensor::fromVector<float>(c.shapes[i], values));
    }
    names.push_back(name);
  }
  b.output("y");
  onnx::NodeProto &node = b.node("Einsum", names, {"y"}, "einsum");
  onnx::AttributeProto *attr = node.add_attribute();
  attr->set_name("equation");
  attr->set_type(onnx::AttributeProto::STRING);
  attr->set_s(c.equation);
  return b.bytes();
}

void checkExpansion(const EinsumCase &c) {
  INFO(c.equation);
  std::map<std::string, Tensor> feeds;
  std::string bytes = buildModel(c, feeds);
  CHECK(checkPipelineMatchesReference(bytes, feeds, "Einsum") > 0.1f);
}

std::string importError(const EinsumCase &c) {
  std::map<std::string, Tensor> feeds;
  std::string bytes = buildModel(c, feeds);
  auto graph =
      importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()}, "m", {});
  if (graph) return "";
  return takeMessage(graph.takeError());
}

} // namespace

TEST_CASE("Einsum's reference evaluation computes a product worked by hand", "[ops]") {
  ModelBuilder b(12);
  b.input("a", {2, 3}).output("y");
  b.initializer("w", {3, 2}, {1, 2, 3, 4, 5, 6});
  onnx::NodeProto &node = b.node("Einsum", {"a", "w"}, {"y"});
  onnx::AttributeProto *attr = node.add_attribute();
  attr->set_name("equation");
  attr->set_type(onnx::AttributeProto::STRING);
  attr->set_s("ij, jk");
  std::string bytes = b.bytes();
  auto graph =
      importOnnxBuffer({reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()}, "m", {});
  if (!graph) FAIL(takeMessage(graph.takeError()));
  std::map<std::string, Tensor> feeds = {
      {"a", Tensor::fromVector<float>({2, 3}, {1, 0, -1, 2, 1, 0})}};
  auto out = interpretGraph(**graph, feeds);
  if (!out) FAIL(takeMessage(out.takeError()));
  // [1 0 -1; 2 1 0] x [1 2; 3 4; 5 6] = [-4 -4; 5 8]
  CHECK((*out)[0].getType().str() == "f32[2,2]");
  auto y = (*out)[0].getData<float>();
  CHECK(std::vector<float>(y.begin(), y.end()) == std::vector<float>{-4, -4, 5, 8});
}

TEST_CASE("expand-einsum matches Einsum's reference evaluation", "[passes]") {
  // Batched products, attention's two, a projection against pruned weights.
  checkExpansion({"bij,bjk->bik", {{3, 4, 5}, {3, 5, 2}}});
  checkExpansion({"bhqd,bhkd->bhqk", {{2, 3, 4, 8}, {2, 3, 6, 8}}});
  checkExpansion({"bhqk,bhkd->bqhd", {{2, 3, 4, 6}, {2, 3, 6, 8}}});
  checkExpansion({"bnd,dh->bnh", {{2, 7, 16}, {16, 12}}, 1, 0.9f});
  checkExpansion({"bnd,hd->bhn", {{2, 7, 16}, {12, 16}}, 1, 0.7f});
  // Transposes, sums, inner and outer products, implicit outputs.
  checkExpansion({"ij->ji", {{3, 5}}});
  checkExpansion({"ijk->", {{3, 4, 5}}});
  checkExpansion({"ij->i", {{3, 4}}});
  checkExpansion({"i,i", {{64}, {64}}});
  checkExpansion({"i,j->ij", {{3}, {4}}});
  checkExpansion({"ij,jk", {{3, 4}, {4, 5}}});
  checkExpansion({"ba,ca", {{3, 4}, {5, 4}}});
  // Diagonals, ellipses (broadcast over an axis of extent 1), three operands.
  checkExpansion({"ii->i", {{4, 4}}});
  checkExpansion({"...ii->...i", {{3, 5, 5}}});
  checkExpansion({"bii,bjj->bij", {{2, 3, 3}, {2, 4, 4}}});
  checkExpansion({"...ij,...jk->...ik", {{2, 1, 3, 4}, {5, 4, 2}}});
  checkExpansion({"...j,...j->...", {{2, 1, 4}, {1, 3, 4}}});
  checkExpansion({"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 5}}});
  checkExpansion({"i,ij,j->", {{3}, {3, 4}, {4}}});
  checkExpansion({"abc,cd,ae->bde", {{2, 3, 4}, {4, 5}, {2, 3}}});
}

TEST_CASE("Einsum refuses malformed equations by name", "[ops]") {
  CHECK(importError({"ij,jk->ik", {{2, 3}}}) != "");
  CHECK(importError({"ij,jk->ik", {{2, 3}, {4, 5}}}).find("label 'j' has extent") !=
        std::string::npos);
  CHECK(importError({"ij->ik", {{2, 3}}}).find("output label 'k' appears in no input") !=
        std::string::npos);
  CHECK(importError({"ij->ii", {{2, 3}}}).find("appears twice") != std::string::npos);
  CHECK(importError({"i2->i", {{2, 3}}}).find("unexpected '2'") != std::string::npos);
  CHECK(importError({"ijk->i", {{2, 3}}}).find("does not fit input 0") != std::string::npos);
  CHECK(importError({"", {{2, 3}}}).find("'equation' is missing") != std::string::npos);
}
