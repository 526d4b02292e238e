#include "compiler/frontend/OnnxImporter.h"

#include "compiler/eval/TypeInference.h"
#include "compiler/frontend/ControlFlow.h"
#include "compiler/frontend/TensorProtoReader.h"
#include "compiler/ops/OpSchema.h"
#include "compiler/support/Files.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <limits>
#include <set>

namespace spcc {
namespace {

bool isDefaultDomain(const std::string &domain) { return domain.empty() || domain == "ai.onnx"; }

/// float16 and double, the element types spcc reads as float32.
bool isWideOrHalfFloat(int onnxType) {
  return onnxType == onnx::TensorProto::FLOAT16 || onnxType == onnx::TensorProto::DOUBLE;
}

/// Builds a Graph from a parsed ModelProto. One instance per import.
class ModelImporter {
public:
  ModelImporter(onnx::ModelProto &model, std::string modelDir, const ImportOptions &options)
      : model(model), reader(std::move(modelDir)), options(options),
        graph(std::make_unique<Graph>()) {}

  llvm::Expected<std::unique_ptr<Graph>> run();

private:
  llvm::Error checkOpset();
  llvm::Error computeInFloat32();
  llvm::Error expandVariadicOps();
  llvm::Error splitDropoutMasks();
  llvm::Error checkSupportedOps();
  llvm::Error fixInputShapes();
  llvm::Error runOnnxShapeInference();
  llvm::Error importConstants();
  llvm::Error importInputs();
  llvm::Error importNodes();
  llvm::Error checkNodeAgainstOnnxSchema(const onnx::NodeProto &proto, const std::string &label);
  llvm::Error inferTypes();
  llvm::Error importConstantNode(const onnx::NodeProto &proto);
  llvm::Expected<Attribute> importAttribute(const onnx::AttributeProto &proto,
                                            const std::string &nodeLabel);
  llvm::Error checkAgainstOnnx();
  llvm::Error importOutputs();
  /// "--shape x" (the caller's name for an input shape) or "the shape given for 'x'", in errors.
  std::string shapeGivenFor(const std::string &input) const {
    return options.shapeOption.empty() ? "the shape given for '" + input + "'"
                                       : options.shapeOption + " " + input;
  }
  /// How to give input \p input the dims \p dims: "--shape x=1x128" or "x=1x128".
  std::string shapeExample(const std::string &input, const std::string &dims) const {
    return (options.shapeOption.empty() ? "" : options.shapeOption + " ") + input + "=" + dims;
  }

  onnx::ModelProto &model;
  TensorProtoReader reader;
  const ImportOptions &options;
  std::unique_ptr<Graph> graph;
  int opset = 0;
  /// The opset whose forms the nodes are in, for the rewrites into canonical forms: the model's,
  /// or kMinOpset for an older model whose ops are all defined as at kMinOpset.
  int formOpset = 0;
  /// Types ONNX's shape inference found, by value name (only fully static ones).
  std::map<std::string, TensorType> onnxTypes;
};

llvm::Expected<std::unique_ptr<Graph>> ModelImporter::run() {
  if (!model.has_graph()) return makeError(ErrorCode::BadModel, "not an ONNX model (no graph)");
  if (model.ir_version() < 3)
    return makeError(ErrorCode::BadModel,
                     "not an ONNX model (ir_version " + llvm::Twine(model.ir_version()) + ")");
  if (!model.graph().name().empty()) graph->setName(model.graph().name());
  for (auto step :
       {&ModelImporter::checkOpset, &ModelImporter::computeInFloat32,
        &ModelImporter::expandVariadicOps, &ModelImporter::splitDropoutMasks,
        &ModelImporter::checkSupportedOps, &ModelImporter::importConstants,
        &ModelImporter::fixInputShapes, &ModelImporter::importInputs, &ModelImporter::importNodes,
        &ModelImporter::inferTypes, &ModelImporter::importOutputs,
        &ModelImporter::runOnnxShapeInference, &ModelImporter::checkAgainstOnnx})
    if (llvm::Error err = (this->*step)()) return std::move(err);
  return std::move(graph);
}

llvm::Error ModelImporter::checkOpset() {
  for (const auto &entry : model.opset_import())
    if (isDefaultDomain(entry.domain())) opset = int(entry.version());
  formOpset = opset;
  auto unsupported = [&](const llvm::Twine &why) {
    return makeError(ErrorCode::Unsupported, "model uses ONNX opset " + llvm::Twine(opset) + why +
                                                 "; spcc supports opsets " +
                                                 llvm::Twine(kMinOpset) + " to " +
                                                 llvm::Twine(kMaxOpset));
  };
  if (opset > kMaxOpset || opset < 1) return unsupported("");
  if (opset >= kMinOpset) return llvm::Error::success();
  // An older model imports when each of its ops is defined at its opset as at kMinOpset (Elu,
  // Not, Softplus, ... have not changed since opsets 1-6): ONNX's registry says which version
  // of each op applies at each opset.
  for (const auto &node : model.graph().node()) {
    if (!isDefaultDomain(node.domain())) continue;
    const auto *old = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "");
    const auto *current = onnx::OpSchemaRegistry::Schema(node.op_type(), kMinOpset, "");
    if (!old || !current || old->SinceVersion() != current->SinceVersion())
      return unsupported(" and its " + node.op_type() + " changed by opset " +
                         llvm::Twine(kMinOpset));
  }
  formOpset = kMinOpset;
  return llvm::Error::success();
}

llvm::Error ModelImporter::computeInFloat32() {
  // spcc computes in float32. A model's float16 and double values become float32 values: the
  // reader converts initializers and constants as it reads them, and here, in the proto (so that
  // ONNX's checker and shape inference see the same types), graph inputs, outputs and value
  // infos of those types are declared float32, Casts to them cast to float32, and tensors held
  // in node attributes (Constant, ConstantOfShape) are rewritten as float32.
  auto *protoGraph = model.mutable_graph();
  for (auto *infos : {protoGraph->mutable_input(), protoGraph->mutable_output(),
                      protoGraph->mutable_value_info()})
    for (auto &info : *infos) {
      auto *tensorType = info.mutable_type()->mutable_tensor_type();
      if (info.type().has_tensor_type() && isWideOrHalfFloat(tensorType->elem_type()))
        tensorType->set_elem_type(onnx::TensorProto::FLOAT);
    }
  for (auto &node : *protoGraph->mutable_node())
    for (auto &attr : *node.mutable_attribute()) {
      if (attr.type() == onnx::AttributeProto::INT &&
          (attr.name() == "to" || attr.name() == "dtype") && isWideOrHalfFloat(int(attr.i())))
        attr.set_i(onnx::TensorProto::FLOAT);
      if (attr.type() != onnx::AttributeProto::TENSOR || !isWideOrHalfFloat(attr.t().data_type()))
        continue;
      auto value = reader.read(attr.t());
      if (!value)
        return addContext(value.takeError(), "node '" + node.name() + "' (" + node.op_type() +
                                                 "): attribute '" + attr.name() + "'");
      onnx::TensorProto converted;
      converted.set_name(attr.t().name());
      *converted.mutable_dims() = attr.t().dims();
      converted.set_data_type(onnx::TensorProto::FLOAT);
      auto bytes = value->getBytes();
      converted.set_raw_data(bytes.data(), bytes.size());
      *attr.mutable_t() = std::move(converted);
    }
  return llvm::Error::success();
}

llvm::Error ModelImporter::expandVariadicOps() {
  // Sum, Mean, Max and Min take any number of inputs; spcc's IR and kernels take two. Each is
  // rewritten here, in the proto (so ONNX's checker and shape inference see the same graph), as
  // a chain of two-input nodes: Add for Sum and Mean (then a Div by the count), Max, Min; one
  // input is an Identity.
  auto *protoGraph = model.mutable_graph();
  auto needsRewrite = [](const onnx::NodeProto &node) {
    const std::string &op = node.op_type();
    return isDefaultDomain(node.domain()) &&
           (op == "Sum" || op == "Mean" ||
            ((op == "Max" || op == "Min") && node.input_size() != 2));
  };
  if (std::none_of(protoGraph->node().begin(), protoGraph->node().end(), needsRewrite))
    return llvm::Error::success();
  std::set<std::string> names;
  for (const auto &node : protoGraph->node())
    for (const std::string &out : node.output()) names.insert(out);
  for (const auto &init : protoGraph->initializer()) names.insert(init.name());
  for (const auto &input : protoGraph->input()) names.insert(input.name());
  auto unique = [&](const std::string &base) {
    std::string name = base;
    for (int k = 1; names.count(name); ++k) name = base + "_" + std::to_string(k);
    names.insert(name);
    return name;
  };
  google::protobuf::RepeatedPtrField<onnx::NodeProto> rewritten;
  for (const auto &node : protoGraph->node()) {
    const std::string &op = node.op_type();
    if (!needsRewrite(node)) {
      *rewritten.Add() = node;
      continue;
    }
    if (node.input_size() < 1 || node.output_size() != 1)
      return makeError(ErrorCode::BadModel, "node '" + node.name() + "' (" + op +
                                                ") needs one or more inputs and one output");
    std::string base = node.name().empty() ? node.output(0) : node.name();
    std::string binaryOp = op == "Sum" || op == "Mean" ? "Add" : op;
    bool divide = op == "Mean" && node.input_size() > 1;
    std::string acc = node.input(0);
    for (int i = 1; i < node.input_size(); ++i) {
      onnx::NodeProto *step = rewritten.Add();
      step->set_op_type(binaryOp);
      step->set_name(unique(base + "/" + binaryOp + std::to_string(i)));
      step->add_input(acc);
      step->add_input(node.input(i));
      bool last = i + 1 == node.input_size() && !divide;
      acc = last ? node.output(0) : unique(base + "/partial" + std::to_string(i));
      step->add_output(acc);
    }
    if (node.input_size() == 1) {
      onnx::NodeProto *identity = rewritten.Add();
      identity->set_op_type("Identity");
      identity->set_name(unique(base + "/Identity"));
      identity->add_input(acc);
      identity->add_output(node.output(0));
    } else if (divide) {
      onnx::NodeProto *count = rewritten.Add();
      count->set_op_type("Constant");
      count->set_name(unique(base + "/count"));
      count->add_output(count->name());
      onnx::AttributeProto *value = count->add_attribute();
      value->set_name("value");
      value->set_type(onnx::AttributeProto::TENSOR);
      value->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
      value->mutable_t()->add_float_data(float(node.input_size()));
      onnx::NodeProto *div = rewritten.Add();
      div->set_op_type("Div");
      div->set_name(unique(base + "/Div"));
      div->add_input(acc);
      div->add_input(count->name());
      div->add_output(node.output(0));
    }
  }
  protoGraph->mutable_node()->Swap(&rewritten);
  return llvm::Error::success();
}

llvm::Error ModelImporter::splitDropoutMasks() {
  // At inference a Dropout passes its input through and its mask output is all true (1.0
  // before opset 10). A node that asks for the mask keeps only its first output; the mask
  // becomes ConstantOfShape(Shape(x)), folded at compile time. Rewritten in the proto, so that
  // ONNX's checker and shape inference see the same graph. With a training_mode input the mask
  // is all true too wherever the shape rule accepts the node (training false, or ratio 0).
  auto *protoGraph = model.mutable_graph();
  std::vector<onnx::NodeProto> masks;
  for (auto &node : *protoGraph->mutable_node()) {
    if (!isDefaultDomain(node.domain()) || node.op_type() != "Dropout" || node.output_size() != 2 ||
        node.input_size() > 3 || node.input_size() < 1)
      continue;
    std::string base = node.name().empty() ? node.output(1) : node.name();
    onnx::NodeProto shape;
    shape.set_op_type("Shape");
    shape.set_name(base + "/mask_shape");
    shape.add_input(node.input(0));
    shape.add_output(base + "/mask_shape");
    onnx::NodeProto fill;
    fill.set_op_type("ConstantOfShape");
    fill.set_name(base + "/mask");
    fill.add_input(shape.output(0));
    fill.add_output(node.output(1));
    onnx::AttributeProto *value = fill.add_attribute();
    value->set_name("value");
    value->set_type(onnx::AttributeProto::TENSOR);
    value->mutable_t()->add_dims(1);
    if (formOpset >= 10) {
      value->mutable_t()->set_data_type(onnx::TensorProto::BOOL);
      value->mutable_t()->add_int32_data(1);
    } else {
      value->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
      value->mutable_t()->add_float_data(1.0f);
    }
    node.mutable_output()->RemoveLast();
    masks.push_back(std::move(shape));
    masks.push_back(std::move(fill));
  }
  for (onnx::NodeProto &node : masks) *protoGraph->add_node() = std::move(node);
  return llvm::Error::success();
}

llvm::Error ModelImporter::checkSupportedOps() {
  std::string unsupported;
  int count = 0;
  for (const auto &node : model.graph().node()) {
    const OpSchema *schema = lookupOpSchema(node.op_type());
    bool known = node.op_type() == "Constant" ? isDefaultDomain(node.domain())
                                              : schema && !schema->isInternal();
    // Gelu is accepted from ONNX Runtime's contrib domain as well as the default one.
    if (!isDefaultDomain(node.domain()) &&
        !(node.domain() == "com.microsoft" && node.op_type() == "Gelu"))
      known = false;
    if (known) continue;
    if (count++ < 20)
      unsupported += std::string(count > 1 ? ", " : "") + "node '" + node.name() + "' (" +
                     (isDefaultDomain(node.domain()) ? "" : node.domain() + ".") + node.op_type() +
                     ")";
  }
  if (count == 0) return llvm::Error::success();
  if (count > 20) unsupported += ", and " + std::to_string(count - 20) + " more";
  return makeError(ErrorCode::Unsupported, llvm::Twine(count) + " unsupported node" +
                                               (count > 1 ? "s" : "") + ": " + unsupported);
}

llvm::Error ModelImporter::fixInputShapes() {
  llvm::StringSet<> initializers;
  for (const auto &init : model.graph().initializer()) initializers.insert(init.name());
  for (const auto &init : model.graph().sparse_initializer())
    initializers.insert(init.values().name());

  llvm::StringSet<> inputNames;
  for (const auto &input : model.graph().input())
    if (!initializers.contains(input.name())) inputNames.insert(input.name());
  std::vector<std::string> flagged;
  for (const auto &entry : options.inputShapes) flagged.push_back(entry.first);
  for (const auto &entry : options.boundInputs) flagged.push_back(entry.first);
  for (const std::string &name : flagged)
    if (!inputNames.contains(name)) {
      std::string names;
      for (const auto &n : inputNames) names += (names.empty() ? "" : ", ") + n.getKey().str();
      return makeError(
          ErrorCode::InvalidArgument,
          (options.shapeOption.empty() ? "a shape is given for" : options.shapeOption + " names") +
              " '" + name + "', which is not an input of the model (inputs: " + names + ")");
    }
  for (auto &input : *model.mutable_graph()->mutable_input()) {
    if (initializers.contains(input.name())) continue;
    if (!input.type().has_tensor_type())
      return makeError(ErrorCode::Unsupported, "input '" + input.name() + "' is not a tensor");
    bool hasShape = input.type().tensor_type().has_shape();
    auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    auto bound = options.boundInputs.find(input.name());
    if (bound != options.boundInputs.end()) {
      std::optional<DType> declared = dtypeFromOnnx(input.type().tensor_type().elem_type());
      if (declared != bound->second.getDType())
        return makeError(ErrorCode::Shape,
                         "input '" + input.name() + "' is bound to data of type " +
                             bound->second.getType().str() + ", its declared type differs");
      shape->clear_dim();
      for (int64_t d : bound->second.getDims()) shape->add_dim()->set_dim_value(d);
      continue;
    }
    auto flag = options.inputShapes.find(input.name());
    if (flag != options.inputShapes.end()) {
      const std::vector<int64_t> &dims = flag->second;
      if (llvm::is_contained(dims, kRuntimeBatchDim))
        return makeError(ErrorCode::InvalidArgument,
                         shapeGivenFor(input.name()) +
                             " leaves the batch to run time (N); fixed dims are needed here");
      if (options.runtimeBatchInputs.count(input.name()) && hasShape && shape->dim_size() > 0 &&
          shape->dim(0).has_dim_value() && shape->dim(0).dim_value() >= 0)
        return makeError(ErrorCode::Shape,
                         shapeGivenFor(input.name()) + " (N...): the model fixes dim 0 of '" +
                             input.name() + "' to " + llvm::Twine(shape->dim(0).dim_value()) +
                             "; a run-time batch needs a model exported with a dynamic batch "
                             "axis");
      if (hasShape && shape->dim_size() != int(dims.size()))
        return makeError(ErrorCode::Shape,
                         shapeGivenFor(input.name()) + " has " + llvm::Twine(dims.size()) +
                             " dims, the input has rank " + llvm::Twine(shape->dim_size()));
      for (int i = 0; i < shape->dim_size(); ++i)
        if (shape->dim(i).has_dim_value() && shape->dim(i).dim_value() != dims[size_t(i)])
          return makeError(ErrorCode::Shape,
                           shapeGivenFor(input.name()) + " sets dim " + llvm::Twine(i) + " to " +
                               llvm::Twine(dims[size_t(i)]) + ", but the model fixes it to " +
                               llvm::Twine(shape->dim(i).dim_value()));
      shape->clear_dim();
      for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
      continue;
    }
    if (!hasShape)
      return makeError(ErrorCode::Shape, "input '" + input.name() +
                                             "' has an unknown rank; give its dims (" +
                                             shapeExample(input.name(), "DxDx...") + ")");
    for (int i = 0; i < shape->dim_size(); ++i) {
      const auto &dim = shape->dim(i);
      if (dim.has_dim_value() && dim.dim_value() >= 0) continue;
      // The example keeps fixed dims, offers N (the run-time batch) for a dynamic dim 0 and
      // names the other dynamic dims for the user to fill in.
      std::string example;
      for (int j = 0; j < shape->dim_size(); ++j) {
        const auto &d = shape->dim(j);
        example += j ? "x" : "";
        if (d.has_dim_value() && d.dim_value() >= 0)
          example += std::to_string(d.dim_value());
        else if (j == 0)
          example += "N";
        else
          example += "<" + (d.has_dim_param() ? d.dim_param() : "dim" + std::to_string(j)) + ">";
      }
      return makeError(ErrorCode::Shape,
                       "input '" + input.name() + "' dim " + llvm::Twine(i) +
                           (dim.has_dim_param() ? " ('" + dim.dim_param() + "')" : std::string()) +
                           " is dynamic; fix it (" + shapeExample(input.name(), example) +
                           ": a number for each dynamic dim; N as dim 0 leaves the batch to "
                           "run time)");
    }
  }
  return llvm::Error::success();
}

llvm::Error ModelImporter::runOnnxShapeInference() {
  // ONNX's own inference runs on the proto with fixed input dims, after spcc's shape rules have
  // accepted the graph (ONNX 1.12's inference functions crash on some malformed graphs rather
  // than report them); checkAgainstOnnx then compares the two. Nodes without an ONNX schema
  // are skipped by ONNX.
  // ONNX's inference types sparse initializers as sparse tensors, which its ops reject; they are
  // dense constants to spcc (already imported), so declare them as dense initializers (type and
  // dims only: inference needs no data).
  // ONNX 1.12 does not know opsets past 17: it would take their ops for older versions.
  if (opset > kMaxOnnxCheckedOpset) return llvm::Error::success();
  auto *protoGraph = model.mutable_graph();
  for (const auto &sparse : protoGraph->sparse_initializer()) {
    auto *declared = protoGraph->add_initializer();
    declared->set_name(sparse.values().name());
    int type = sparse.values().data_type();
    declared->set_data_type(isWideOrHalfFloat(type) ? int(onnx::TensorProto::FLOAT) : type);
    for (int64_t d : sparse.dims()) declared->add_dims(d);
  }
  protoGraph->clear_sparse_initializer();
  // float16 and double initializers were read as float32 (computeInFloat32): declared so, by
  // type and dims (inference needs no float data).
  for (auto &init : *protoGraph->mutable_initializer()) {
    if (!isWideOrHalfFloat(init.data_type())) continue;
    onnx::TensorProto declared;
    declared.set_name(init.name());
    *declared.mutable_dims() = init.dims();
    declared.set_data_type(onnx::TensorProto::FLOAT);
    init = std::move(declared);
  }
  try {
    onnx::ShapeInferenceOptions inferenceOptions(/*check_type=*/true, /*strict_mode=*/0,
                                                 /*data_prop=*/true);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), inferenceOptions);
  } catch (const std::exception &e) {
    return makeError(ErrorCode::Shape, llvm::Twine("ONNX shape inference failed: ") + e.what());
  }
  for (const auto &info : model.graph().value_info()) {
    if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape()) continue;
    const auto &tensorType = info.type().tensor_type();
    std::optional<DType> dtype = dtypeFromOnnx(tensorType.elem_type());
    if (!dtype) continue;
    llvm::SmallVector<int64_t, 4> dims;
    bool isStatic = true;
    for (const auto &dim : tensorType.shape().dim()) {
      isStatic &= dim.has_dim_value();
      dims.push_back(dim.dim_value());
    }
    if (isStatic) onnxTypes[info.name()] = TensorType(*dtype, dims);
  }
  return llvm::Error::success();
}

llvm::Error ModelImporter::importConstants() {
  auto add = [&](const std::string &name, llvm::Expected<Tensor> tensor) -> llvm::Error {
    if (!tensor) return tensor.takeError();
    if (name.empty()) return makeError(ErrorCode::BadModel, "an initializer has no name");
    if (graph->findValue(name))
      return makeError(ErrorCode::BadModel, "initializer '" + name + "' is defined twice");
    graph->addConstant(name, std::move(*tensor));
    return llvm::Error::success();
  };
  for (const auto &init : model.graph().initializer())
    if (llvm::Error err = add(init.name(), reader.read(init))) return err;
  for (const auto &init : model.graph().sparse_initializer())
    if (llvm::Error err = add(init.values().name(), reader.readSparse(init))) return err;
  return llvm::Error::success();
}

llvm::Error ModelImporter::importInputs() {
  for (const auto &input : model.graph().input()) {
    if (graph->findValue(input.name())) {
      if (graph->findValue(input.name())->isConstant()) continue; // initializer listed as input
      return makeError(ErrorCode::BadModel, "input '" + input.name() + "' is declared twice");
    }
    auto bound = options.boundInputs.find(input.name());
    if (bound != options.boundInputs.end()) {
      graph->addConstant(input.name(), bound->second);
      continue;
    }
    int onnxType = input.type().tensor_type().elem_type();
    std::optional<DType> dtype = dtypeFromOnnx(onnxType);
    if (!dtype)
      return makeError(ErrorCode::Unsupported,
                       "input '" + input.name() + "' has element type " + onnxTypeName(onnxType));
    llvm::SmallVector<int64_t, 4> dims;
    for (const auto &dim : input.type().tensor_type().shape().dim())
      dims.push_back(dim.dim_value());
    TensorType type(*dtype, dims);
    if (!type.hasRepresentableSize())
      return makeError(ErrorCode::Shape, "input '" + input.name() + "' would be " + type.str() +
                                             ", more than the " + llvm::Twine(kMaxTensorElements) +
                                             " elements a tensor may have");
    graph->addInput(input.name(), std::move(type));
  }
  return llvm::Error::success();
}

llvm::Expected<Attribute> ModelImporter::importAttribute(const onnx::AttributeProto &proto,
                                                         const std::string &nodeLabel) {
  using A = onnx::AttributeProto;
  switch (proto.type()) {
  case A::INT: return Attribute(int64_t(proto.i()));
  case A::FLOAT: return Attribute(proto.f());
  case A::STRING: return Attribute(proto.s());
  case A::INTS: return Attribute(std::vector<int64_t>(proto.ints().begin(), proto.ints().end()));
  case A::FLOATS:
    return Attribute(std::vector<float>(proto.floats().begin(), proto.floats().end()));
  case A::STRINGS:
    return Attribute(std::vector<std::string>(proto.strings().begin(), proto.strings().end()));
  case A::TENSOR: {
    auto tensor = reader.read(proto.t());
    if (!tensor)
      return addContext(tensor.takeError(), nodeLabel + ": attribute '" + proto.name() + "'");
    return Attribute(std::move(*tensor));
  }
  default:
    return makeError(ErrorCode::Unsupported, nodeLabel + ": attribute '" + proto.name() +
                                                 "' has a kind spcc does not support");
  }
}

llvm::Error ModelImporter::importConstantNode(const onnx::NodeProto &proto) {
  std::string label = "node '" + proto.name() + "' (Constant)";
  if (proto.output_size() != 1 || proto.attribute_size() != 1)
    return makeError(ErrorCode::BadModel, label + ": expected one output and one attribute");
  const onnx::AttributeProto &attr = proto.attribute(0);
  llvm::Expected<Tensor> value = Tensor();
  if (attr.name() == "value" && attr.type() == onnx::AttributeProto::TENSOR)
    value = reader.read(attr.t());
  else if (attr.name() == "sparse_value" && attr.type() == onnx::AttributeProto::SPARSE_TENSOR)
    value = reader.readSparse(attr.sparse_tensor());
  else if (attr.name() == "value_float" && attr.type() == onnx::AttributeProto::FLOAT)
    value = Tensor::scalar(attr.f());
  else if (attr.name() == "value_int" && attr.type() == onnx::AttributeProto::INT)
    value = Tensor::scalar<int64_t>(attr.i());
  else if (attr.name() == "value_floats" && attr.type() == onnx::AttributeProto::FLOATS)
    value = Tensor::fromVector<float>(
        {attr.floats_size()}, std::vector<float>(attr.floats().begin(), attr.floats().end()));
  else if (attr.name() == "value_ints" && attr.type() == onnx::AttributeProto::INTS)
    value = Tensor::fromVector<int64_t>(
        {attr.ints_size()}, std::vector<int64_t>(attr.ints().begin(), attr.ints().end()));
  else
    return makeError(ErrorCode::Unsupported,
                     label + ": attribute '" + attr.name() + "' of this kind is not supported");
  if (!value) return addContext(value.takeError(), label);
  if (proto.output(0).empty() || graph->findValue(proto.output(0)))
    return makeError(ErrorCode::BadModel,
                     label + ": output '" + proto.output(0) + "' is empty or defined twice");
  graph->addConstant(proto.output(0), std::move(*value));
  return llvm::Error::success();
}

llvm::Error ModelImporter::importNodes() {
  // Nodes first (so that every output name exists), then inputs, then a topological order:
  // a model whose nodes are out of order still imports, a cycle is reported.
  std::vector<std::pair<Node *, const onnx::NodeProto *>> created;
  int index = 0;
  for (const auto &proto : model.graph().node()) {
    ++index;
    if (proto.op_type() == "Constant") {
      if (llvm::Error err = importConstantNode(proto)) return err;
      continue;
    }
    std::string name =
        proto.name().empty() ? proto.op_type() + "_" + std::to_string(index - 1) : proto.name();
    std::vector<std::string> outputs;
    for (const std::string &given : proto.output()) {
      // An omitted optional output (an empty name) gets a name of its own; nothing reads it.
      std::string out =
          given.empty()
              ? graph->makeUniqueName(name + "/unused_output" + std::to_string(outputs.size()))
              : given;
      if (graph->findValue(out) || llvm::is_contained(outputs, out))
        return makeError(ErrorCode::BadModel, "node '" + name + "' (" + proto.op_type() +
                                                  "): output '" + out + "' is defined twice");
      outputs.push_back(out);
    }
    if (llvm::Error err =
            checkNodeAgainstOnnxSchema(proto, "node '" + name + "' (" + proto.op_type() + ")"))
      return err;
    Node *node =
        graph->addNode(name, proto.op_type(), lookupOpSchema(proto.op_type()), {}, outputs);
    for (const auto &attrProto : proto.attribute()) {
      auto attr = importAttribute(attrProto, node->describe());
      if (!attr) return attr.takeError();
      node->setAttribute(attrProto.name(), std::move(*attr));
    }
    created.push_back({node, &proto});
  }
  for (auto [node, proto] : created) {
    for (const std::string &in : proto->input()) {
      if (in.empty()) {
        node->addInput(nullptr);
        continue;
      }
      Value *v = graph->findValue(in);
      if (!v)
        return makeError(ErrorCode::BadModel,
                         node->describe() + ": input '" + in +
                             "' is not an initializer, a graph input, or any node's output");
      node->addInput(v);
    }
  }
  return graph->sortTopologically();
}

llvm::Error ModelImporter::checkNodeAgainstOnnxSchema(const onnx::NodeProto &proto,
                                                      const std::string &label) {
  // ONNX's checker validates attribute kinds and arity against the op's schema, which ONNX's
  // shape inference assumes (it crashes on malformed nodes rather than reporting them).
  if (!isDefaultDomain(proto.domain()) || opset > kMaxOnnxCheckedOpset ||
      !onnx::OpSchemaRegistry::Schema(proto.op_type(), opset, proto.domain()))
    return llvm::Error::success();
  onnx::checker::CheckerContext context;
  context.set_ir_version(int(model.ir_version()));
  context.set_opset_imports({{"", opset}, {"ai.onnx", opset}});
  onnx::checker::LexicalScopeContext scope;
  try {
    onnx::checker::check_node(proto, context, scope);
  } catch (const std::exception &e) {
    llvm::StringRef what = llvm::StringRef(e.what()).split("\n").first;
    return makeError(ErrorCode::BadModel, label + ": " + what);
  }
  return llvm::Error::success();
}

llvm::Error ModelImporter::inferTypes() {
  TypeInferenceHooks hooks;
  hooks.beforeNode = [&](Node &node) { return node.getSchema().upgrade(node, formOpset, *graph); };
  return inferGraphTypes(*graph, TypeInferenceMode::Assign, hooks);
}

llvm::Error ModelImporter::checkAgainstOnnx() {
  for (Node *node : graph->getNodes())
    for (Value *out : node->getOutputs()) {
      auto it = onnxTypes.find(out->getName());
      if (it == onnxTypes.end() || it->second == out->getType()) continue;
      return nodeError(*node, ErrorCode::Shape,
                       "output '" + out->getName() + "': ONNX shape inference gives " +
                           it->second.str() + ", spcc's shape rule gives " + out->getType().str());
    }
  return llvm::Error::success();
}

llvm::Error ModelImporter::importOutputs() {
  for (const auto &output : model.graph().output()) {
    Value *v = graph->findValue(output.name());
    if (!v)
      return makeError(ErrorCode::BadModel,
                       "output '" + output.name() + "' is not produced by the graph");
    const auto &declared = output.type().tensor_type();
    if (declared.elem_type() != 0 && dtypeFromOnnx(declared.elem_type()) != v->getType().getDType())
      return makeError(ErrorCode::Shape, "output '" + output.name() + "' is declared " +
                                             onnxTypeName(declared.elem_type()) +
                                             " but computed as " + v->getType().str());
    // ONNX's shape inference takes the declared type over the computed one, and its shape
    // functions crash on a rank they did not expect (a graph input re-declared as an output).
    if (declared.has_shape() && declared.shape().dim_size() != v->getType().getRank())
      return makeError(ErrorCode::Shape, "output '" + output.name() + "' is declared with rank " +
                                             llvm::Twine(declared.shape().dim_size()) +
                                             " but computed as " + v->getType().str());
    graph->addOutput(output.name(), v);
  }
  if (graph->getOutputs().empty())
    return makeError(ErrorCode::BadModel, "the graph has no outputs");
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<Graph>>
importModel(llvm::ArrayRef<uint8_t> bytes, std::string modelDir, const ImportOptions &options) {
  if (bytes.size() > size_t(std::numeric_limits<int>::max()))
    return makeError(ErrorCode::Unsupported,
                     "model file is over 2 GiB; store the weights as ONNX external data");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), int(bytes.size())))
    return makeError(ErrorCode::BadModel, "not a valid ONNX model (protobuf parsing failed)");
  ProtoImporter importProto = [&](onnx::ModelProto &proto) {
    return ModelImporter(proto, modelDir, options).run();
  };
  if (llvm::Error err = resolveControlFlow(model, importProto)) return std::move(err);
  return importProto(model);
}

} // namespace

llvm::Expected<std::unique_ptr<Graph>> importOnnxFile(llvm::StringRef path,
                                                      const ImportOptions &options) {
  auto buffer = readRegularFile(path);
  if (!buffer) return buffer.takeError();
  llvm::SmallString<256> dir = llvm::sys::path::parent_path(path);
  if (dir.empty()) dir = ".";
  llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
                                (*buffer)->getBufferSize());
  auto graph = importModel(bytes, dir.str().str(), options);
  if (!graph) return addContext(graph.takeError(), path);
  return graph;
}

llvm::Expected<std::unique_ptr<Graph>> importOnnxBuffer(llvm::ArrayRef<uint8_t> bytes,
                                                        llvm::StringRef label,
                                                        const ImportOptions &options) {
  auto graph = importModel(bytes, "", options);
  if (!graph) return addContext(graph.takeError(), label);
  return graph;
}

} // namespace spcc
