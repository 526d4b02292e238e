//===- Verifier.h - Structural and type checks of a graph ----------------===//
#ifndef SPCC_IR_VERIFIER_H
#define SPCC_IR_VERIFIER_H

#include "compiler/ir/Graph.h"

namespace spcc {

/// Checks that \p graph is well formed: unique value names; every node input defined before
/// the node (inputs, constants, earlier outputs); producer links consistent; outputs present;
/// constants' data matching their types; and every node's recorded output types equal to what
/// its shape rule computes. Run after every pass.
llvm::Error verifyGraph(const Graph &graph);

} // namespace spcc

#endif
