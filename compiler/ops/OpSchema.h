//===- OpSchema.h - What spcc knows about one operator -------------------===//
//
// Every supported operator has one OpSchema subclass, defined in its family's file in this
// folder (Elementwise.cpp, Conv.cpp, ...) and listed once in Ops.def. The schema holds all the
// compiler needs that is specific to the operator: how to canonicalize it on import, its shape
// rule, its reference evaluation, and its sample rule for a run-time batch.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_OPSCHEMA_H
#define SPCC_OPS_OPSCHEMA_H

#include "compiler/ir/Graph.h"
#include "compiler/support/Error.h"

#include <optional>

namespace spcc {

/// Compile-time values of a node's inputs, one entry per input: the tensor where it is known
/// (a constant, or shape arithmetic evaluated ahead of time), nullptr where it is not or absent.
using KnownInputs = llvm::ArrayRef<const Tensor *>;

/// Output types as a shape rule returns them.
using TypeList = llvm::SmallVector<TensorType, 1>;
/// Output tensors as a reference evaluation returns them.
using TensorList = llvm::SmallVector<Tensor, 1>;

/// How a value varies across the samples of a run-time batch (spcc --shape NAME=Nx...).
struct SampleLayout {
  enum class Kind {
    Shared,     ///< the same for every sample: weights, constants
    Split,      ///< the samples are consecutive equal blocks along `axis`
    BatchSized, ///< shape data computed from the batch size, e.g. a Reshape target
  };
  Kind kind = Kind::Shared;
  int axis = -1;

  static SampleLayout shared() { return {}; }
  static SampleLayout split(int axis) { return {Kind::Split, axis}; }
  static SampleLayout batchSized() { return {Kind::BatchSized, -1}; }
  bool isShared() const { return kind == Kind::Shared; }
  bool isSplit() const { return kind == Kind::Split; }
  bool operator==(const SampleLayout &other) const {
    return kind == other.kind && axis == other.axis;
  }
};
using SampleLayouts = llvm::SmallVector<SampleLayout, 2>;

class OpSchema {
public:
  /// \p maxInputs of -1 means variadic.
  OpSchema(llvm::StringRef name, int minInputs, int maxInputs, int minOutputs = 1,
           int maxOutputs = 1)
      : name(name), minInputs(minInputs), maxInputs(maxInputs), minOutputs(minOutputs),
        maxOutputs(maxOutputs) {}
  virtual ~OpSchema() = default;

  llvm::StringRef getName() const { return name; }
  int getMinInputs() const { return minInputs; }
  int getMaxInputs() const { return maxInputs; }
  int getMinOutputs() const { return minOutputs; }
  int getMaxOutputs() const { return maxOutputs; }

  /// Rewrites a node imported from ONNX opset \p opset into spcc's canonical form, which is the
  /// newest opset's (e.g. Squeeze's `axes` attribute of opset 11 becomes its second input).
  virtual llvm::Error upgrade(Node &node, int opset, Graph &graph) const {
    return llvm::Error::success();
  }

  /// Checks attributes and input types and computes the output types. \p known holds the
  /// compile-time values of inputs a rule needs (Reshape's shape, Slice's starts, ...).
  virtual llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const = 0;

  /// Reference evaluation in plain C++: computes the outputs from \p inputs (a null Tensor for an
  /// omitted optional input). Output types were set by inferTypes and can be read off the node.
  virtual llvm::Expected<TensorList> evaluate(const Node &node,
                                              llvm::ArrayRef<Tensor> inputs) const = 0;

  /// The sample rule, for graphs compiled with a run-time batch: given how each input of
  /// \p node varies across the \p batch samples its types hold (the layout of an omitted
  /// optional input is Shared), says how each output does, or fails where an output element
  /// would depend on several samples (a reduction or a softmax over the batch axis). The default
  /// accepts only inputs every sample shares.
  virtual llvm::Expected<SampleLayouts>
  inferSampleLayouts(const Node &node, llvm::ArrayRef<SampleLayout> inputs, int64_t batch) const;

  /// True for spcc's own ops that passes create (FusedConv): not accepted from ONNX files.
  virtual bool isInternal() const { return false; }

  /// For ops whose result depends on input types only (Shape): that result, without inputs.
  virtual std::optional<Tensor> foldFromTypes(const Node &node) const { return std::nullopt; }

private:
  std::string name;
  int minInputs, maxInputs, minOutputs, maxOutputs;
};

/// The schema of ONNX operator \p opType in the default domain, or nullptr if unsupported.
const OpSchema *lookupOpSchema(llvm::StringRef opType);
/// Names of all supported operators, sorted.
std::vector<std::string> supportedOpNames();

/// An error naming \p node, e.g. "node 'conv1' (Conv): <message>".
llvm::Error nodeError(const Node &node, ErrorCode code, const llvm::Twine &message);

} // namespace spcc

#endif
