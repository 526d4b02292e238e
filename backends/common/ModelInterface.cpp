//===- ModelInterface.cpp - What the runtime accepts of a model's interface ===//
#include "backends/common/ModelInterface.h"

#include "compiler/support/Error.h"
#include "runtime/ModelAbi.h"

namespace spcc {
namespace {

llvm::Error checkRank(const std::string &name, const TensorType &type, const char *kind) {
  if (type.getRank() <= SPCC_ABI_MAX_RANK) return llvm::Error::success();
  return makeError(ErrorCode::Unsupported,
                   llvm::Twine(kind) + " '" + name + "' has rank " + llvm::Twine(type.getRank()) +
                       "; the runtime takes " + llvm::Twine(SPCC_ABI_MAX_RANK) + " at most");
}

llvm::Error checkCount(size_t count, const char *kind) {
  if (count <= SPCC_ABI_MAX_TENSORS) return llvm::Error::success();
  return makeError(ErrorCode::Unsupported, "the model has " + llvm::Twine(count) + " " + kind +
                                               "s; the runtime takes " +
                                               llvm::Twine(SPCC_ABI_MAX_TENSORS) + " at most");
}

} // namespace

llvm::Error checkModelInterface(const Graph &graph) {
  if (llvm::Error err = checkCount(graph.getInputs().size(), "input")) return err;
  if (llvm::Error err = checkCount(graph.getOutputs().size(), "output")) return err;
  for (const Value *in : graph.getInputs())
    if (llvm::Error err = checkRank(in->getName(), in->getType(), "input")) return err;
  for (const GraphOutput &out : graph.getOutputs())
    if (llvm::Error err = checkRank(out.name, out.value->getType(), "output")) return err;
  return llvm::Error::success();
}

} // namespace spcc
