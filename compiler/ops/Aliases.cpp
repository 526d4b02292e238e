//===- Aliases.cpp - Ops whose output is a view of their input -----------===//
#include "compiler/ops/Aliases.h"

#include "llvm/ADT/StringSet.h"

namespace spcc {
namespace {

/// The ops whose Ops.def row says `Alias`.
const llvm::StringSet<> &aliasOps() {
  static const llvm::StringSet<> ops = [] {
    llvm::StringSet<> names;
#define SPCC_OP(Name, Lowering)                                                                    \
  if (llvm::StringRef(#Lowering) == "Alias") names.insert(#Name);
#include "compiler/ops/Ops.def"
    return names;
  }();
  return ops;
}

} // namespace

bool isAliasOp(const Node &node) {
  // One output only: a Dropout with its mask output computes the mask.
  if (!aliasOps().contains(node.getOpType()) || node.getNumOutputs() != 1 || !node.getInput(0))
    return false;
  const TensorType &in = node.getInput(0)->getType();
  const TensorType &out = node.getOutput(0)->getType();
  return in.getDType() == out.getDType() && in.getSizeInBytes() == out.getSizeInBytes();
}

const Value *aliasRoot(const Value *v) {
  while (v->getProducer() && isAliasOp(*v->getProducer())) v = v->getProducer()->getInput(0);
  return v;
}

} // namespace spcc
