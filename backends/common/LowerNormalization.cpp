//===- LowerNormalization.cpp - Normalization, softmax, reduce lowerings -===//
#include "backends/common/LoweringUtil.h"

#include "llvm/ADT/StringMap.h"

namespace spcc::lowering {
namespace {

/// The period with which a LayerNormalization parameter of \p dims repeats
/// along a row of the normalized dims \p normDims: its element count when it
/// matches their trailing dims (after dropping leading 1s), 1 for a single
/// element.
std::optional<int64_t> parameterPeriod(llvm::ArrayRef<int64_t> dims,
                                       llvm::ArrayRef<int64_t> normDims) {
  int64_t count = product(dims);
  if (count == 1) return 1;
  while (!dims.empty() && dims.front() == 1) dims = dims.drop_front();
  if (dims.size() > normDims.size() || dims != normDims.take_back(dims.size())) return std::nullopt;
  return count;
}

} // namespace

llvm::Expected<KernelCall> lowerBatchNormalization(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto p = zeroed<spcc_batch_norm_params>();
  p.n = x[0];
  p.c = x[1];
  p.spatial = product(x.drop_front(2));
  p.epsilon = node.getFloat("epsilon", 1e-5f);
  return makeCall("batch_norm", p);
}

llvm::Expected<KernelCall> lowerInstanceNormalization(const Node &node,
                                                      const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto p = zeroed<spcc_instance_norm_params>();
  p.channels = x[1];
  p.planes = x[0] * x[1];
  p.plane_size = product(x.drop_front(2));
  p.epsilon = node.getFloat("epsilon", 1e-5f);
  return makeCall("instance_norm", p);
}

llvm::Expected<KernelCall> lowerLrn(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto p = zeroed<spcc_lrn_params>();
  p.n = x[0];
  p.channels = x[1];
  p.plane = product(x.drop_front(2));
  p.size = node.getInt("size", 1);
  p.alpha = node.getFloat("alpha", 1e-4f);
  p.beta = node.getFloat("beta", 0.75f);
  p.bias = node.getFloat("bias", 1.0f);
  return makeCall("lrn", p);
}

llvm::Expected<KernelCall> lowerLayerNormalization(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto axis = normalizeAxis(node, node.getInt("axis", -1), int(x.size()));
  if (!axis) return axis.takeError();
  llvm::ArrayRef<int64_t> normDims = x.drop_front(size_t(*axis));
  auto p = zeroed<spcc_layer_norm_params>();
  p.size = product(normDims);
  p.rows = product(x.take_front(size_t(*axis)));
  p.epsilon = node.getFloat("epsilon", 1e-5f);
  p.num_outputs = int32_t(node.getNumOutputs());
  auto scale = parameterPeriod(dimsOf(node.getInput(1)), normDims);
  std::optional<int64_t> bias = 1;
  if (const Value *b = node.getInput(2)) {
    p.has_bias = 1;
    bias = parameterPeriod(dimsOf(b), normDims);
  }
  if (!scale || !bias)
    return nodeError(node, ErrorCode::Unsupported,
                     "Scale or B broadcasts to the normalized dims " + dimsToString(normDims) +
                         " in a pattern the kernel lacks (only full trailing "
                         "dims or scalars)");
  p.scale_period = *scale;
  p.bias_period = *bias;
  p.input_feature_major = layout.featureMajorInputs;
  p.output_feature_major = layout.featureMajorOutput;
  return makeCall("layer_norm", p);
}

llvm::Expected<KernelCall> lowerSoftmax(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto axis = normalizeAxis(node, node.getInt("axis", -1), int(x.size()));
  if (!axis) return axis.takeError();
  auto p = zeroed<spcc_softmax_params>();
  p.outer = product(x.take_front(size_t(*axis)));
  p.axis = x[size_t(*axis)];
  p.inner = product(x.drop_front(size_t(*axis) + 1));
  p.is_log = node.getOpType() == "LogSoftmax";
  return makeCall("softmax", p);
}

llvm::Expected<KernelCall> lowerArgReduce(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  int64_t defaultAxis = node.getOpType() == "Hardmax" ? -1 : 0;
  auto axis = normalizeAxis(node, node.getInt("axis", defaultAxis), int(x.size()));
  if (!axis) return axis.takeError();
  auto p = zeroed<spcc_arg_reduce_params>();
  p.outer = product(x.take_front(size_t(*axis)));
  p.axis_dim = x[size_t(*axis)];
  p.inner = product(x.drop_front(size_t(*axis) + 1));
  p.is_max = node.getOpType() != "ArgMin";
  p.one_hot = node.getOpType() == "Hardmax";
  p.select_last_index = node.getInt("select_last_index", 0) != 0;
  p.dtype = kernelDType(node.getInput(0)->getType().getDType());
  return makeCall("arg_reduce", p);
}

llvm::Expected<KernelCall> lowerTopK(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto axis = normalizeAxis(node, node.getInt("axis", -1), int(x.size()));
  if (!axis) return axis.takeError();
  auto p = zeroed<spcc_top_k_params>();
  p.outer = product(x.take_front(size_t(*axis)));
  p.axis_dim = x[size_t(*axis)];
  p.inner = product(x.drop_front(size_t(*axis) + 1));
  p.k = node.getOutput(0)->getType().getDim(*axis);
  p.largest = node.getInt("largest", 1) != 0;
  p.dtype = kernelDType(node.getInput(0)->getType().getDType());
  KernelCall call = makeCall("top_k", p);
  call.inputMap = {0}; // k is compiled in
  return call;
}

llvm::Expected<KernelCall> lowerCumSum(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto axisTensor = constantInput(node, 1, "axis");
  if (!axisTensor) return axisTensor.takeError();
  auto axis = normalizeAxis(node, (*axisTensor)->getAsInt(0), int(x.size()));
  if (!axis) return axis.takeError();
  auto p = zeroed<spcc_cumsum_params>();
  p.outer = product(x.take_front(size_t(*axis)));
  p.axis_dim = x[size_t(*axis)];
  p.inner = product(x.drop_front(size_t(*axis) + 1));
  p.exclusive = node.getInt("exclusive", 0) != 0;
  p.reverse = node.getInt("reverse", 0) != 0;
  p.dtype = kernelDType(node.getInput(0)->getType().getDType());
  KernelCall call = makeCall("cumsum", p);
  call.inputMap = {0}; // the axis is in the parameters
  return call;
}

llvm::Expected<KernelCall> lowerReduce(const Node &node, const KernelLayout &layout) {
  const TensorType &in = node.getInput(0)->getType();
  int rank = in.getRank();
  std::vector<int64_t> axes;
  if (node.hasAttribute("axes")) {
    axes = node.getInts("axes");
  } else if (node.getInput(1)) {
    auto value = constantInput(node, 1, "axes");
    if (!value) return value.takeError();
    for (int64_t a : (*value)->toInts()) axes.push_back(a);
  }
  if (axes.empty() && node.getInt("noop_with_empty_axes", 0) != 0) {
    KernelCall call;
    call.isAlias = true;
    return call;
  }
  llvm::SmallVector<bool, 4> reduced(size_t(rank), axes.empty());
  for (int64_t axis : axes) {
    auto normalized = normalizeAxis(node, axis, rank, "reduction axis");
    if (!normalized) return normalized.takeError();
    reduced[size_t(*normalized)] = true;
  }
  Dims strides = stridesOf(in.getDims());
  StridedShape kept{{}, {Dims()}}, red{{}, {Dims()}};
  for (int d = 0; d < rank; ++d) {
    StridedShape &part = reduced[size_t(d)] ? red : kept;
    part.dims.push_back(in.getDim(d));
    part.strides[0].push_back(strides[size_t(d)]);
  }
  auto keptShape = collapse(node, kept);
  if (!keptShape) return keptShape.takeError();
  auto redShape = collapse(node, red);
  if (!redShape) return redShape.takeError();
  auto p = zeroed<spcc_reduce_params>();
  static const llvm::StringMap<int32_t> codes = {
      {"ReduceSum", SPCC_REDUCE_SUM},        {"ReduceMean", SPCC_REDUCE_MEAN},
      {"ReduceMax", SPCC_REDUCE_MAX},        {"ReduceMin", SPCC_REDUCE_MIN},
      {"ReduceProd", SPCC_REDUCE_PROD},      {"ReduceL1", SPCC_REDUCE_L1},
      {"ReduceL2", SPCC_REDUCE_L2},          {"ReduceSumSquare", SPCC_REDUCE_SUM_SQUARE},
      {"ReduceLogSum", SPCC_REDUCE_LOG_SUM}, {"ReduceLogSumExp", SPCC_REDUCE_LOG_SUM_EXP}};
  auto code = codes.find(node.getOpType());
  if (code == codes.end()) return nodeError(node, ErrorCode::Internal, "has no reduction kernel");
  p.op = code->second;
  p.dtype = kernelDType(in.getDType());
  p.count = product(red.dims);
  // A single kept element needs no kept axes.
  p.kept_rank =
      keptShape->dims.size() == 1 && keptShape->dims[0] == 1 ? 0 : int32_t(keptShape->dims.size());
  fill(p.kept_dims, keptShape->dims);
  fill(p.kept_strides, keptShape->strides[0]);
  p.reduced_rank = int32_t(redShape->dims.size());
  fill(p.reduced_dims, redShape->dims);
  fill(p.reduced_strides, redShape->strides[0]);
  return makeCall("reduce", p);
}

} // namespace spcc::lowering
