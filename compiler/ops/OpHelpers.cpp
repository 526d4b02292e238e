#include "compiler/ops/OpHelpers.h"

namespace spcc {

Dims stridesOf(llvm::ArrayRef<int64_t> dims) {
  Dims strides(dims.size(), 1);
  for (int i = int(dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

Dims broadcastStrides(llvm::ArrayRef<int64_t> outDims, llvm::ArrayRef<int64_t> inDims) {
  Dims inStrides = stridesOf(inDims);
  Dims strides(outDims.size(), 0);
  size_t skip = outDims.size() - inDims.size();
  for (size_t i = 0; i < inDims.size(); ++i) strides[skip + i] = inDims[i] == 1 ? 0 : inStrides[i];
  return strides;
}

llvm::Expected<int> normalizeAxis(const Node &node, int64_t axis, int rank, llvm::StringRef what) {
  if (axis < -rank || axis >= rank)
    return nodeError(node, ErrorCode::BadModel,
                     what + " " + llvm::Twine(axis) + " is out of range for rank " +
                         llvm::Twine(rank));
  return int(axis < 0 ? axis + rank : axis);
}

llvm::Expected<Dims> broadcastShapes(const Node &node, llvm::ArrayRef<int64_t> a,
                                     llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return nodeError(node, ErrorCode::Shape,
                       "shapes " + dimsToString(a) + " and " + dimsToString(b) +
                           " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

llvm::Error expectInputDType(const Node &node, size_t index, std::initializer_list<DType> allowed) {
  const Value *v = node.getInput(index);
  if (!v)
    return nodeError(node, ErrorCode::BadModel, "input " + llvm::Twine(index) + " is missing");
  DType dtype = v->getType().getDType();
  if (llvm::is_contained(allowed, dtype)) return llvm::Error::success();
  std::string names;
  for (DType d : allowed) names += (names.empty() ? "" : ", ") + dtypeName(d).str();
  // A dtype ONNX allows but spcc does not implement for this op: unsupported, not malformed.
  return nodeError(node, ErrorCode::Unsupported,
                   "input " + llvm::Twine(index) + " ('" + v->getName() + "') has element type " +
                       dtypeName(dtype) + ", expected one of " + names);
}

llvm::Error expectInputRank(const Node &node, size_t index, int rank) {
  const Value *v = node.getInput(index);
  if (v && v->getType().getRank() == rank) return llvm::Error::success();
  return nodeError(node, ErrorCode::Shape,
                   "input " + llvm::Twine(index) + " must have rank " + llvm::Twine(rank) +
                       (v ? ", got " + v->getType().str() : std::string()));
}

llvm::Expected<const Tensor *> requireKnown(const Node &node, KnownInputs known, size_t index,
                                            llvm::StringRef what) {
  if (index < known.size() && known[index]) return known[index];
  return nodeError(node, ErrorCode::Unsupported,
                   what + " (input " + llvm::Twine(index) +
                       ") must be known at compile time; fix the dynamic input shapes");
}

std::vector<int64_t> broadcastOffsets(llvm::ArrayRef<int64_t> outDims,
                                      llvm::ArrayRef<int64_t> inDims) {
  size_t rank = outDims.size();
  Dims inStrides = stridesOf(inDims);
  // Stride of each output axis in the input: 0 where the input broadcasts.
  Dims step(rank, 0);
  for (size_t i = 0; i < inDims.size(); ++i) {
    size_t axis = rank - inDims.size() + i;
    step[axis] = inDims[i] == 1 ? 0 : inStrides[i];
  }
  int64_t total = 1;
  for (int64_t d : outDims) total *= d;
  std::vector<int64_t> offsets(size_t(std::max<int64_t>(total, 0)));
  Dims index(rank, 0);
  int64_t offset = 0;
  for (int64_t n = 0; n < total; ++n) {
    offsets[size_t(n)] = offset;
    for (int axis = int(rank) - 1; axis >= 0; --axis) {
      if (++index[axis] < outDims[axis]) {
        offset += step[axis];
        break;
      }
      offset -= step[axis] * (outDims[axis] - 1);
      index[axis] = 0;
    }
  }
  return offsets;
}

llvm::Error moveIntsAttributeToInput(Node &node, Graph &graph, const std::string &attr,
                                     size_t index) {
  if (!node.hasAttribute(attr)) return llvm::Error::success();
  if (node.getInput(index))
    return nodeError(node, ErrorCode::BadModel,
                     "has both an attribute '" + attr + "' and an input " + llvm::Twine(index));
  std::vector<int64_t> values = node.getInts(attr);
  Value *constant =
      graph.addConstant(graph.makeUniqueName(node.getName() + "_" + attr),
                        Tensor::fromVector<int64_t>({int64_t(values.size())}, values));
  while (node.getNumInputs() <= index) node.addInput(nullptr);
  node.setInput(index, constant);
  node.removeAttribute(attr);
  return llvm::Error::success();
}

llvm::Error moveFloatAttributeToInput(Node &node, Graph &graph, const std::string &attr,
                                      size_t index) {
  if (!node.hasAttribute(attr)) return llvm::Error::success();
  if (node.getInput(index))
    return nodeError(node, ErrorCode::BadModel,
                     "has both an attribute '" + attr + "' and an input " + llvm::Twine(index));
  Value *constant = graph.addConstant(graph.makeUniqueName(node.getName() + "_" + attr),
                                      Tensor::scalar<float>(node.getFloat(attr, 0.0f)));
  while (node.getNumInputs() <= index) node.addInput(nullptr);
  node.setInput(index, constant);
  node.removeAttribute(attr);
  return llvm::Error::success();
}

llvm::Error upgradeCoercedAxis(Node &node, int opset) {
  if (opset >= 13) return llvm::Error::success();
  const TensorType &x = node.getInput(0)->getType();
  auto axis = normalizeAxis(node, node.getInt("axis", 1), x.getRank());
  if (!axis) return axis.takeError();
  for (int d = *axis + 1; d < x.getRank(); ++d)
    if (x.getDim(d) != 1)
      return nodeError(node, ErrorCode::Unsupported,
                       "opset " + llvm::Twine(opset) + " " + node.getOpType() +
                           " flattens the input to 2-D at axis " + llvm::Twine(*axis) +
                           "; only the last axis is supported, input is " + x.str());
  node.setAttribute("axis", int64_t(*axis));
  return llvm::Error::success();
}

llvm::Error moveConstantInputToIntsAttribute(Node &node, size_t index, const std::string &attr) {
  const Value *input = node.getNumInputs() > index ? node.getInput(index) : nullptr;
  if (!input) return llvm::Error::success();
  if (node.hasAttribute(attr))
    return nodeError(node, ErrorCode::BadModel,
                     "has both an attribute '" + attr + "' and an input " + llvm::Twine(index));
  if (!input->isConstant() || input->getType().getDType() != DType::Int64 ||
      input->getType().getRank() != 1)
    return nodeError(node, ErrorCode::Unsupported,
                     "its " + attr + " (input " + llvm::Twine(index) + ", '" + input->getName() +
                         "') must be a 1-D int64 constant, got " + input->getType().str() +
                         (input->isConstant() ? "" : " computed at run time"));
  llvm::SmallVector<int64_t> values = input->getConstant().toInts();
  node.setAttribute(attr, Attribute(std::vector<int64_t>(values.begin(), values.end())));
  std::vector<Value *> inputs(node.getInputs().begin(), node.getInputs().end());
  inputs[index] = nullptr;
  while (!inputs.empty() && !inputs.back()) inputs.pop_back();
  node.setInputs(inputs);
  return llvm::Error::success();
}

AxisSplit splitAtAxis(llvm::ArrayRef<int64_t> dims, int axis) {
  AxisSplit split{1, dims[size_t(axis)], 1};
  for (int d = 0; d < axis; ++d) split.outer *= dims[size_t(d)];
  for (size_t d = size_t(axis) + 1; d < dims.size(); ++d) split.inner *= dims[d];
  return split;
}

} // namespace spcc
