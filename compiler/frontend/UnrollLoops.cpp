#include "compiler/frontend/UnrollLoops.h"

#include "compiler/support/Error.h"

#include <onnx/onnx_pb.h>

#include <optional>

namespace spcc {
namespace {

const onnx::GraphProto *bodyOf(const onnx::NodeProto &node) {
  for (const auto &attr : node.attribute())
    if (attr.name() == "body" && attr.has_g()) return &attr.g();
  return nullptr;
}

const onnx::AttributeProto *attributeOf(const onnx::NodeProto &node, const char *name) {
  for (const auto &attr : node.attribute())
    if (attr.name() == name) return &attr;
  return nullptr;
}

/// The attribute \p name as a list of \p count integers (each \p dflt when it is absent).
llvm::Expected<std::vector<int64_t>> intsAttribute(const onnx::NodeProto &node, const char *name,
                                                   size_t count, int64_t dflt) {
  const onnx::AttributeProto *attr = attributeOf(node, name);
  if (!attr) return std::vector<int64_t>(count, dflt);
  if (size_t(attr->ints_size()) != count)
    return makeError(ErrorCode::BadModel, describe(node) + ": attribute '" + name + "' has " +
                                              llvm::Twine(attr->ints_size()) +
                                              " entries, expected " + llvm::Twine(count));
  return std::vector<int64_t>(attr->ints().begin(), attr->ints().end());
}

/// The name \p name of \p body resolves to through Identity nodes.
std::string throughIdentities(const onnx::GraphProto &body, std::string name) {
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto &node : body.node())
      if (isDefaultOp(node, "Identity") && node.output_size() == 1 && node.output(0) == name &&
          node.input_size() == 1) {
        name = node.input(0);
        moved = true;
      }
  }
  return name;
}

/// Writes the unrolled form of one node in its place: the main graph is cut after the nodes
/// before it, the iterations are appended (so that what an iteration computes can be imported
/// and folded as the unrolling goes), and the nodes after it are put back by finish().
class Unroller {
public:
  Unroller(onnx::ModelProto &model, int index)
      : model(model), graph(*model.mutable_graph()), node(graph.node(index)),
        opset(defaultOpset(model)), taken(namesIn(graph)) {
    for (int i = index + 1; i < graph.node_size(); ++i)
      after.push_back(std::move(*graph.mutable_node(i)));
    graph.mutable_node()->DeleteSubrange(index, graph.node_size() - index);
  }

  void finish() {
    for (auto &moved : after) *graph.add_node() = std::move(moved);
    after.clear();
  }

  const onnx::NodeProto &loopNode() const { return node; }

  std::string addConstant(onnx::TensorProto tensor) {
    tensor.set_name(freshName(node.name() + "/" + tensor.name(), taken));
    *graph.add_initializer() = std::move(tensor);
    return graph.initializer(graph.initializer_size() - 1).name();
  }

  /// One node with fresh output names (or \p output), returning its output.
  std::string emit(const std::string &op, std::vector<std::string> inputs,
                   std::string output = "") {
    onnx::NodeProto &emitted = *graph.add_node();
    emitted.set_op_type(op);
    emitted.set_name(freshName(node.name() + "/" + op, taken));
    for (auto &in : inputs) emitted.add_input(std::move(in));
    if (output.empty()) output = freshName(emitted.name(), taken);
    emitted.add_output(output);
    return output;
  }

  std::string gather(const std::string &x, int64_t index, int64_t axis) {
    std::string out = emit("Gather", {x, addConstant(scalarInt64("index", index))});
    setInt(lastNode(), "axis", axis);
    return out;
  }

  /// \p parts (each of one shape) stacked along a new axis \p axis into \p output (a fresh
  /// name where empty); returns the output's name.
  std::string stack(const std::vector<std::string> &parts, int64_t axis,
                    const std::string &output = "") {
    std::vector<std::string> expanded;
    for (const std::string &part : parts) {
      if (opset >= 13) {
        onnx::TensorProto axes;
        axes.set_name("axes");
        axes.set_data_type(onnx::TensorProto::INT64);
        axes.add_dims(1);
        axes.add_int64_data(axis);
        expanded.push_back(emit("Unsqueeze", {part, addConstant(std::move(axes))}));
      } else {
        expanded.push_back(emit("Unsqueeze", {part}));
        onnx::AttributeProto *attr = lastNode().add_attribute();
        attr->set_name("axes");
        attr->set_type(onnx::AttributeProto::INTS);
        attr->add_ints(axis);
      }
    }
    std::string out = emit("Concat", expanded, output);
    setInt(lastNode(), "axis", axis);
    return out;
  }

  void copy(const std::string &from, const std::string &to) {
    if (!to.empty()) emit("Identity", {from}, to);
  }

  /// One copy of \p body with its inputs bound to \p bound; returns its outputs' names.
  std::vector<std::string> inlineBody(const onnx::GraphProto &body,
                                      const std::vector<std::string> &bound) {
    onnx::GraphProto copy = body;
    NameMap names;
    names.renameDefinitions(copy, taken);
    for (int i = 0; i < copy.input_size(); ++i) names.set(copy.input(i).name(), bound[size_t(i)]);
    names.apply(copy);
    for (auto &init : *copy.mutable_initializer()) *graph.add_initializer() = std::move(init);
    for (auto &init : *copy.mutable_sparse_initializer())
      *graph.add_sparse_initializer() = std::move(init);
    for (auto &inner : *copy.mutable_node()) *graph.add_node() = std::move(inner);
    std::vector<std::string> outputs;
    for (const auto &out : copy.output()) outputs.push_back(out.name());
    return outputs;
  }

  /// The values \p names take, where known at compile time (nullopt where not).
  llvm::Expected<std::vector<std::optional<Tensor>>> evaluate(const std::vector<std::string> &names,
                                                              const ProtoImporter &import,
                                                              const std::string &what) {
    auto imported = importDependencies(model, names, import, what + " of " + describe(node));
    if (!imported) return imported.takeError();
    std::vector<std::optional<Tensor>> values;
    for (const std::string &name : names) {
      const Value *value = findImported(**imported, name);
      values.push_back(value && value->isConstant() ? std::optional(value->getConstant())
                                                    : std::nullopt);
    }
    return values;
  }

  /// The types of \p names.
  llvm::Expected<std::vector<TensorType>> typesOf(const std::vector<std::string> &names,
                                                  const ProtoImporter &import) {
    auto imported =
        importDependencies(model, names, import, "finding the shapes read by " + describe(node));
    if (!imported) return imported.takeError();
    std::vector<TensorType> types;
    for (const std::string &name : names) {
      const Value *value = findImported(**imported, name);
      if (!value)
        return makeError(ErrorCode::BadModel, describe(node) + ": no value '" + name + "'");
      types.push_back(value->getType());
    }
    return types;
  }

private:
  onnx::NodeProto &lastNode() { return *graph.mutable_node(graph.node_size() - 1); }

  static void setInt(onnx::NodeProto &target, const char *name, int64_t value) {
    onnx::AttributeProto *attr = target.add_attribute();
    attr->set_name(name);
    attr->set_type(onnx::AttributeProto::INT);
    attr->set_i(value);
  }

  onnx::ModelProto &model;
  onnx::GraphProto &graph;
  onnx::NodeProto node;
  int64_t opset;
  std::set<std::string> taken;
  std::vector<onnx::NodeProto> after;
};

llvm::Error tooManyIterations(const onnx::NodeProto &node) {
  return makeError(ErrorCode::Unsupported,
                   describe(node) + ": runs more than " + llvm::Twine(kMaxUnrolledIterations) +
                       " iterations; spcc unrolls loops and scans, at most " +
                       llvm::Twine(kMaxUnrolledIterations) + " iterations each");
}

} // namespace

llvm::Error unrollLoop(onnx::ModelProto &model, int index, const ProtoImporter &import) {
  const onnx::NodeProto node = model.graph().node(index);
  const onnx::GraphProto *body = bodyOf(node);
  if (!body) return makeError(ErrorCode::BadModel, describe(node) + ": no body graph");
  int carriedCount = node.input_size() - 2;
  int scanCount = body->output_size() - 1 - carriedCount;
  if (carriedCount < 0 || body->input_size() != carriedCount + 2 || scanCount < 0 ||
      node.output_size() > carriedCount + scanCount)
    return makeError(ErrorCode::BadModel,
                     describe(node) + ": its body takes " + llvm::Twine(body->input_size()) +
                         " inputs and gives " + llvm::Twine(body->output_size()) +
                         " outputs, which does not fit the node's " +
                         llvm::Twine(node.input_size()) + " inputs and " +
                         llvm::Twine(node.output_size()) + " outputs");
  Unroller unroller(model, index);

  // The trip count and the initial condition (either may be omitted).
  std::optional<int64_t> trips;
  bool condition = true;
  std::vector<std::string> deciding;
  for (int i = 0; i < 2; ++i)
    if (!node.input(i).empty()) deciding.push_back(node.input(i));
  if (!deciding.empty()) {
    auto values = unroller.evaluate(deciding, import, "finding the trip count");
    if (!values) return values.takeError();
    for (size_t k = 0; k < deciding.size(); ++k) {
      bool isTrips = deciding[k] == node.input(0);
      if (!(*values)[k] || (*values)[k]->getNumElements() != 1)
        return makeError(ErrorCode::Unsupported,
                         describe(node) + ": its " + (isTrips ? "trip count" : "condition") + " '" +
                             deciding[k] +
                             "' must be known at compile time, as one value (spcc unrolls "
                             "loops)");
      int64_t value = (*values)[k]->getAsInt(0);
      if (isTrips)
        trips = value;
      else
        condition = value != 0;
    }
  }
  bool conditionPassedThrough =
      throughIdentities(*body, body->output(0).name()) == body->input(1).name();
  if (!trips && conditionPassedThrough && condition)
    return makeError(ErrorCode::BadModel,
                     describe(node) + ": runs forever (no trip count, and the condition never "
                                      "changes)");

  // A trip count beyond the limit is refused before any unrolling.
  if (condition && trips && *trips > kMaxUnrolledIterations) return tooManyIterations(node);
  std::vector<std::string> carried(node.input().begin() + 2, node.input().end());
  std::vector<std::vector<std::string>> scans(static_cast<size_t>(scanCount));
  for (int64_t i = 0; condition && (!trips || i < *trips); ++i) {
    if (i >= kMaxUnrolledIterations) return tooManyIterations(node);
    std::vector<std::string> bound = {unroller.addConstant(scalarInt64("iteration", i)),
                                      unroller.addConstant(scalarBool("condition", true))};
    bound.insert(bound.end(), carried.begin(), carried.end());
    std::vector<std::string> outputs = unroller.inlineBody(*body, bound);
    carried.assign(outputs.begin() + 1, outputs.begin() + 1 + carriedCount);
    for (int k = 0; k < scanCount; ++k)
      scans[size_t(k)].push_back(outputs[size_t(1 + carriedCount + k)]);
    if (conditionPassedThrough) continue;
    auto value = unroller.evaluate({outputs[0]}, import, "finding the condition");
    if (!value) return value.takeError();
    if (!(*value)[0] || (*value)[0]->getNumElements() != 1)
      return makeError(ErrorCode::Unsupported,
                       describe(node) + ": the condition its body computes ('" +
                           body->output(0).name() +
                           "') depends on the input data; it must be known at compile time "
                           "(spcc unrolls loops)");
    condition = (*value)[0]->getAsInt(0) != 0;
  }

  for (int j = 0; j < std::min(carriedCount, node.output_size()); ++j)
    unroller.copy(carried[size_t(j)], node.output(j));
  for (int k = 0; k + carriedCount < node.output_size(); ++k) {
    const std::string &output = node.output(carriedCount + k);
    if (output.empty()) continue;
    if (scans[size_t(k)].empty())
      return makeError(ErrorCode::Unsupported,
                       describe(node) + ": runs no iteration, so the shape of its scan output '" +
                           output + "' is unknown");
    unroller.stack(scans[size_t(k)], 0, output);
  }
  unroller.finish();
  return llvm::Error::success();
}

llvm::Error unrollScan(onnx::ModelProto &model, int index, const ProtoImporter &import) {
  const onnx::NodeProto node = model.graph().node(index);
  const onnx::GraphProto *body = bodyOf(node);
  if (!body) return makeError(ErrorCode::BadModel, describe(node) + ": no body graph");
  // Scan-8 has a leading sequence_lens input and a batch axis 0 on every input and output.
  bool batched = defaultOpset(model) < 9;
  int first = batched ? 1 : 0;
  if (batched && node.input_size() > 0 && !node.input(0).empty())
    return makeError(ErrorCode::Unsupported,
                     describe(node) + ": input sequence_lens is not supported (every sequence "
                                      "runs its full length)");
  const onnx::AttributeProto *scanInputsAttr = attributeOf(node, "num_scan_inputs");
  int scanInputs = scanInputsAttr ? int(scanInputsAttr->i()) : 0;
  int stateCount = node.input_size() - first - scanInputs;
  int scanOutputs = body->output_size() - stateCount;
  if (scanInputs < 1 || stateCount < 0 || body->input_size() != stateCount + scanInputs ||
      scanOutputs < 0 || node.output_size() > body->output_size())
    return makeError(ErrorCode::BadModel,
                     describe(node) + ": num_scan_inputs, the node's " +
                         llvm::Twine(node.input_size()) + " inputs and " +
                         llvm::Twine(node.output_size()) + " outputs and its body's " +
                         llvm::Twine(body->input_size()) + " inputs and " +
                         llvm::Twine(body->output_size()) + " outputs do not fit together");
  auto inputAxes = intsAttribute(node, "scan_input_axes", size_t(scanInputs), 0);
  auto inputDirections =
      intsAttribute(node, batched ? "directions" : "scan_input_directions", size_t(scanInputs), 0);
  auto outputAxes = intsAttribute(node, "scan_output_axes", size_t(scanOutputs), 0);
  auto outputDirections = intsAttribute(node, "scan_output_directions", size_t(scanOutputs), 0);
  for (auto *list : {&inputAxes, &inputDirections, &outputAxes, &outputDirections})
    if (!*list) return list->takeError();

  Unroller unroller(model, index);
  std::vector<std::string> states(node.input().begin() + first,
                                  node.input().begin() + first + stateCount);
  std::vector<std::string> xs(node.input().begin() + first + stateCount, node.input().end());
  auto types = unroller.typesOf(xs, import);
  if (!types) return types.takeError();
  int64_t length = -1, batch = 1;
  std::vector<int64_t> axes;
  for (int j = 0; j < scanInputs; ++j) {
    const TensorType &type = (*types)[size_t(j)];
    int64_t rank = type.getRank(), axis = batched ? 1 : (*inputAxes)[size_t(j)];
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || (batched && rank < 2))
      return makeError(ErrorCode::BadModel, describe(node) + ": scan input '" + xs[size_t(j)] +
                                                "' of type " + type.str() + " has no scan axis " +
                                                llvm::Twine(axis));
    if (batched) batch = type.getDim(0);
    if (length >= 0 && type.getDim(int(axis)) != length)
      return makeError(ErrorCode::Shape, describe(node) + ": its scan inputs have lengths " +
                                             llvm::Twine(length) + " and " +
                                             llvm::Twine(type.getDim(int(axis))));
    length = type.getDim(int(axis));
    // In a batch element's slice, the scan axis is one lower.
    axes.push_back(batched ? 0 : axis);
  }
  if (length * batch > kMaxUnrolledIterations) return tooManyIterations(node);
  if (batch == 0) return makeError(ErrorCode::Unsupported, describe(node) + ": its batch is empty");
  if (length == 0 && scanOutputs > 0)
    return makeError(ErrorCode::Unsupported,
                     describe(node) + ": its scan inputs are empty, so the shapes of its scan "
                                      "outputs are unknown");

  std::vector<std::vector<std::string>> finalStates(static_cast<size_t>(stateCount)),
      stacked(static_cast<size_t>(scanOutputs));
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<std::string> carried = states, sequences = xs;
    if (batched) {
      for (std::string &s : carried) s = unroller.gather(s, b, 0);
      for (std::string &x : sequences) x = unroller.gather(x, b, 0);
    }
    std::vector<std::vector<std::string>> steps(static_cast<size_t>(scanOutputs));
    for (int64_t t = 0; t < length; ++t) {
      std::vector<std::string> bound = carried;
      for (int j = 0; j < scanInputs; ++j) {
        int64_t at = (*inputDirections)[size_t(j)] ? length - 1 - t : t;
        bound.push_back(unroller.gather(sequences[size_t(j)], at, axes[size_t(j)]));
      }
      std::vector<std::string> outputs = unroller.inlineBody(*body, bound);
      carried.assign(outputs.begin(), outputs.begin() + stateCount);
      for (int k = 0; k < scanOutputs; ++k)
        steps[size_t(k)].push_back(outputs[size_t(stateCount + k)]);
    }
    for (int j = 0; j < stateCount; ++j) finalStates[size_t(j)].push_back(carried[size_t(j)]);
    for (int k = 0; k < scanOutputs; ++k) {
      std::vector<std::string> &parts = steps[size_t(k)];
      if ((*outputDirections)[size_t(k)]) std::reverse(parts.begin(), parts.end());
      int64_t axis = (*outputAxes)[size_t(k)];
      if (axis < 0) { // counted from the end of the stacked output's rank
        auto stepTypes = unroller.typesOf({parts[0]}, import);
        if (!stepTypes) return stepTypes.takeError();
        axis += (*stepTypes)[0].getRank() + 1;
      }
      if (!batched) {
        if (stateCount + k < node.output_size() && !node.output(stateCount + k).empty())
          unroller.stack(parts, axis, node.output(stateCount + k));
        continue;
      }
      stacked[size_t(k)].push_back(unroller.stack(parts, axis));
    }
  }

  for (int j = 0; j < std::min(stateCount, node.output_size()); ++j) {
    if (node.output(j).empty()) continue;
    if (batched)
      unroller.stack(finalStates[size_t(j)], 0, node.output(j));
    else
      unroller.copy(finalStates[size_t(j)][0], node.output(j));
  }
  if (batched)
    for (int k = 0; stateCount + k < node.output_size(); ++k)
      if (!node.output(stateCount + k).empty())
        unroller.stack(stacked[size_t(k)], 0, node.output(stateCount + k));
  unroller.finish();
  return llvm::Error::success();
}

} // namespace spcc
