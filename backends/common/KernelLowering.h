//===- KernelLowering.h - From a node to a kernel call -------------------===//
#ifndef SPCC_BACKENDS_KERNELLOWERING_H
#define SPCC_BACKENDS_KERNELLOWERING_H

#include "compiler/ir/Node.h"

#include "llvm/Support/Error.h"

#include <cstring>
#include <string>
#include <type_traits>
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
  /// For a kernel that can fail on its input data (KernelAbi.h): what the run reports when it
  /// does, naming the node. Empty: the kernel cannot fail and its result is not checked.
  std::string failureMessage;
};

/// A call of kernel `spcc_kernel_<name>` with the bytes of \p params (a struct of
/// runtime/kernels/KernelParams.h or SparseParams.h).
template <typename Params> KernelCall makeCall(llvm::StringRef name, const Params &params) {
  static_assert(std::is_trivially_copyable_v<Params>, "kernel params are plain C structs");
  KernelCall call;
  call.symbol = ("spcc_kernel_" + name).str();
  call.params.resize(sizeof(Params));
  std::memcpy(call.params.data(), &params, sizeof(Params));
  return call;
}

/// Which activations of a node its dense kernel exchanges feature-major (FeatureMajor.h, chosen
/// by LayoutSelection): anything but the default only for a node with feature-major slots.
struct KernelLayout {
  /// The slotted inputs.
  bool featureMajorInputs = false;
  /// Output 0.
  bool featureMajorOutput = false;
};

/// Chooses the dense kernel for \p node (the Lowering column of compiler/ops/Ops.def) and
/// encodes its parameters from the node's attributes, its input/output types and \p layout.
/// Fails with Unsupported for an op the kernel library lacks.
llvm::Expected<KernelCall> lowerToKernelCall(const Node &node, const KernelLayout &layout = {});

} // namespace spcc

#endif
