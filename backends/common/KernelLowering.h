//===- KernelLowering.h - From a node to a kernel call -------------------===//
#ifndef SPCC_BACKENDS_KERNELLOWERING_H
#define SPCC_BACKENDS_KERNELLOWERING_H

#include "compiler/ir/Node.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace spcc {

/// How the generated code runs one node: the kernel library symbol to call (signature
/// spcc_kernel_fn, runtime/kernels/KernelAbi.h) and the bytes of its parameter struct
/// (runtime/kernels/KernelParams.h), emitted as 8-byte aligned constant data.
struct KernelCall {
  std::string symbol;
  std::vector<uint8_t> params;
  /// True when the node only reinterprets its input (Reshape, Flatten, Squeeze, Unsqueeze,
  /// Identity, Dropout): no call; the output shares the input's memory.
  bool isAlias = false;
  /// Scratch memory the kernel needs during the call, in bytes (0: none). The caller passes a
  /// 64-byte aligned buffer of this size as one extra output pointer, right after the node's
  /// outputs (`out[node.getNumOutputs()]`); it holds nothing before or after the call.
  int64_t workspaceBytes = 0;
  /// For a layer running generated code (spcc_kernel_sparse): the symbol of its generated task
  /// and its tile work table, stored as the first two pointer fields of the parameter struct.
  std::string generatedTask;
  std::vector<int64_t> taskTable;
  /// The node inputs the kernel receives, in order (-1: a null pointer); empty: all of them.
  std::vector<int> inputMap;
};

/// Chooses the dense kernel for \p node and encodes its parameters from the node's attributes
/// and its input/output types. Fails with Unsupported for an op the kernel library lacks.
llvm::Expected<KernelCall> lowerToKernelCall(const Node &node);

} // namespace spcc

#endif
