//===- LowerDataMovement.cpp - Transpose, Slice, Concat, Gather, Scatter, ... ===//
#include "backends/common/LoweringUtil.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace spcc::lowering {
namespace {

/// A strided copy of input 0 into output 0: output element i reads offset +
/// sum(i * strides), i walking \p dims (by default the output's) in row-major order.
llvm::Expected<KernelCall> stridedCopy(const Node &node, int64_t offset, Dims strides,
                                       std::optional<Dims> dims = std::nullopt) {
  auto shape =
      collapse(node, {dims ? *dims : Dims(dimsOf(node.getOutput(0))), {std::move(strides)}});
  if (!shape) return shape.takeError();
  auto p = zeroed<spcc_strided_copy_params>();
  p.rank = int32_t(shape->dims.size());
  p.elem_size = int32_t(dtypeSize(node.getOutput(0)->getType().getDType()));
  p.offset = offset;
  fill(p.dims, shape->dims);
  fill(p.strides, shape->strides[0]);
  return makeCall("strided_copy", p);
}

/// What a run reports when an index in \p node's input 1 falls outside an axis of \p axisDim.
std::string indexFailure(const Node &node, int64_t axisDim) {
  return (node.describe() + ": an index in '" + node.getInput(1)->getName() + "' is outside [-" +
          llvm::Twine(axisDim) + ", " + llvm::Twine(axisDim) + ")")
      .str();
}

/// Rows of \p dims before \p axis, and bytes per row from \p axis on.
std::pair<int64_t, int64_t> rowsAndBytes(const TensorType &type, int axis) {
  llvm::ArrayRef<int64_t> dims = type.getDims();
  return {product(dims.take_front(size_t(axis))),
          product(dims.drop_front(size_t(axis))) * int64_t(dtypeSize(type.getDType()))};
}

/// Concat (\p parts: the inputs) or Split (\p parts: the outputs) along `axis`.
llvm::Expected<KernelCall> concatOrSplit(const Node &node, llvm::ArrayRef<Value *> parts,
                                         const TensorType &whole, llvm::StringRef kernel) {
  if (parts.size() > SPCC_KERNEL_MAX_PARTS)
    return nodeError(node, ErrorCode::Unsupported,
                     "has " + llvm::Twine(parts.size()) + " parts; the kernel takes at most " +
                         llvm::Twine(SPCC_KERNEL_MAX_PARTS));
  auto axis = normalizeAxis(node, node.getInt("axis", 0), whole.getRank());
  if (!axis) return axis.takeError();
  auto p = zeroed<spcc_concat_params>();
  p.outer = rowsAndBytes(whole, *axis).first;
  p.num_parts = int32_t(parts.size());
  for (size_t i = 0; i < parts.size(); ++i)
    p.part_bytes[i] = rowsAndBytes(parts[i]->getType(), *axis).second;
  return makeCall(kernel, p);
}

/// What a run reports when an index tuple in \p node's input 1 falls outside the axes of
/// \p dims it addresses.
std::string tupleFailure(const Node &node, llvm::ArrayRef<int64_t> dims) {
  return node.describe() + ": an index in '" + node.getInput(1)->getName() +
         "' is outside the dims " + dimsToString(dims) + " it addresses";
}

/// The scatter's `reduction` (the schema checked the name).
int32_t scatterReduction(const Node &node) {
  std::string name = node.getString("reduction", "none");
  return name == "add"   ? SPCC_SCATTER_ADD
         : name == "mul" ? SPCC_SCATTER_MUL
         : name == "max" ? SPCC_SCATTER_MAX
         : name == "min" ? SPCC_SCATTER_MIN
                         : SPCC_SCATTER_NONE;
}

llvm::Error checkKernelRank(const Node &node, int64_t rank) {
  if (rank <= SPCC_KERNEL_MAX_RANK) return llvm::Error::success();
  return nodeError(node, ErrorCode::Unsupported,
                   "indexes " + llvm::Twine(rank) + " axes; the kernel takes at most " +
                       llvm::Twine(SPCC_KERNEL_MAX_RANK));
}

} // namespace

llvm::Expected<KernelCall> lowerTranspose(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> in = dimsOf(node.getInput(0));
  std::vector<int64_t> perm = node.getInts("perm");
  if (perm.empty())
    for (int64_t i = int64_t(in.size()) - 1; i >= 0; --i) perm.push_back(i);
  Dims inStrides = stridesOf(in), strides;
  for (int64_t axis : perm) strides.push_back(inStrides[size_t(axis)]);
  return stridedCopy(node, 0, strides);
}

/// DepthToSpace and SpaceToDepth: the transpose of a 6-D view of the input that ONNX defines
/// them by.
llvm::Expected<KernelCall> lowerBlockRearrange(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  int64_t b = node.getInt("blocksize", 1), n = x[0], c = x[1], h = x[2], w = x[3];
  Dims view, perm;
  if (node.getOpType() == "SpaceToDepth") {
    view = {n, c, h / b, b, w / b, b};
    perm = {0, 3, 5, 1, 2, 4};
  } else if (node.getString("mode", "DCR") == "CRD") {
    view = {n, c / (b * b), b, b, h, w};
    perm = {0, 1, 4, 2, 5, 3};
  } else {
    view = {n, b, b, c / (b * b), h, w};
    perm = {0, 3, 4, 1, 5, 2};
  }
  Dims viewStrides = stridesOf(view), dims, strides;
  for (int64_t axis : perm) {
    dims.push_back(view[size_t(axis)]);
    strides.push_back(viewStrides[size_t(axis)]);
  }
  return stridedCopy(node, 0, strides, dims);
}

/// Tile: a strided copy over the view [r0, d0, r1, d1, ...] of the output, whose repeat axes
/// step 0 through the input.
llvm::Expected<KernelCall> lowerTile(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> in = dimsOf(node.getInput(0)), out = dimsOf(node.getOutput(0));
  if (2 * in.size() > SPCC_KERNEL_MAX_RANK)
    return nodeError(node, ErrorCode::Unsupported,
                     "tiles a rank-" + llvm::Twine(in.size()) +
                         " tensor; the kernel takes at most " +
                         llvm::Twine(SPCC_KERNEL_MAX_RANK / 2) + " axes");
  Dims inStrides = stridesOf(in), dims, strides;
  for (size_t d = 0; d < in.size(); ++d) {
    dims.push_back(in[d] == 0 ? 0 : out[d] / in[d]);
    strides.push_back(0);
    dims.push_back(in[d]);
    strides.push_back(inStrides[d]);
  }
  return stridedCopy(node, 0, strides, dims);
}

llvm::Expected<KernelCall> lowerGatherElements(const Node &node, const KernelLayout &layout) {
  const TensorType &data = node.getInput(0)->getType();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), data.getRank());
  if (!axis) return axis.takeError();
  if (data.getRank() > SPCC_KERNEL_MAX_RANK)
    return nodeError(node, ErrorCode::Unsupported,
                     "the kernel takes at most " + llvm::Twine(SPCC_KERNEL_MAX_RANK) + " axes");
  auto p = zeroed<spcc_gather_elements_params>();
  p.rank = data.getRank();
  p.axis = *axis;
  p.elem_size = int32_t(dtypeSize(data.getDType()));
  p.index_dtype = kernelDType(node.getInput(1)->getType().getDType());
  fill(p.dims, dimsOf(node.getInput(1)));
  fill(p.data_strides, stridesOf(data.getDims()));
  p.axis_dim = data.getDim(*axis);
  KernelCall call = makeCall("gather_elements", p);
  call.failureMessage = indexFailure(node, p.axis_dim);
  return call;
}

llvm::Expected<KernelCall> lowerTrilu(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto p = zeroed<spcc_trilu_params>();
  p.rows = x[x.size() - 2];
  p.cols = x.back();
  p.matrices = p.rows * p.cols == 0 ? 0 : product(x) / (p.rows * p.cols);
  if (node.getInput(1)) {
    auto k = constantInput(node, 1, "k");
    if (!k) return k.takeError();
    p.k = (*k)->getAsInt(0);
  }
  p.upper = node.getInt("upper", 1) != 0;
  p.elem_size = int32_t(dtypeSize(node.getInput(0)->getType().getDType()));
  return makeCall("trilu", p);
}

llvm::Expected<KernelCall> lowerSlice(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> in = dimsOf(node.getInput(0));
  int rank = int(in.size());
  static const char *const names[] = {"starts", "ends", "axes", "steps"};
  llvm::SmallVector<llvm::SmallVector<int64_t>, 4> args(4);
  for (size_t i = 1; i <= 4; ++i) {
    if (!node.getInput(i)) continue;
    auto value = constantInput(node, i, names[i - 1]);
    if (!value) return value.takeError();
    args[i - 1] = (*value)->toInts();
  }
  Dims starts(size_t(rank), 0), steps(size_t(rank), 1);
  // ONNX's clamping (the reference evaluation's computeSlice); the output dims
  // are known.
  llvm::ArrayRef<int64_t> outDims = dimsOf(node.getOutput(0));
  for (size_t i = 0; i < args[0].size(); ++i) {
    auto axis = normalizeAxis(node, args[2].empty() ? int64_t(i) : args[2][i], rank);
    if (!axis) return axis.takeError();
    int64_t step = args[3].empty() ? 1 : args[3][i], dim = in[size_t(*axis)];
    int64_t start = args[0][i];
    if (start < 0) start += dim;
    start = step > 0 ? std::clamp<int64_t>(start, 0, dim)
                     : std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
    starts[size_t(*axis)] = outDims[size_t(*axis)] > 0 ? start : 0;
    steps[size_t(*axis)] = outDims[size_t(*axis)] > 1 ? step : 1;
  }
  Dims inStrides = stridesOf(in), strides;
  int64_t offset = 0;
  for (int a = 0; a < rank; ++a) {
    offset += starts[size_t(a)] * inStrides[size_t(a)];
    strides.push_back(steps[size_t(a)] * inStrides[size_t(a)]);
  }
  return stridedCopy(node, offset, strides);
}

llvm::Expected<KernelCall> lowerExpand(const Node &node, const KernelLayout &layout) {
  return stridedCopy(node, 0,
                     broadcastStrides(dimsOf(node.getOutput(0)), dimsOf(node.getInput(0))));
}

llvm::Expected<KernelCall> lowerConcat(const Node &node, const KernelLayout &layout) {
  return concatOrSplit(node, node.getInputs(), node.getOutput(0)->getType(), "concat");
}

llvm::Expected<KernelCall> lowerSplit(const Node &node, const KernelLayout &layout) {
  return concatOrSplit(node, node.getOutputs(), node.getInput(0)->getType(), "split");
}

llvm::Expected<KernelCall> lowerGather(const Node &node, const KernelLayout &layout) {
  const TensorType &data = node.getInput(0)->getType();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), data.getRank());
  if (!axis) return axis.takeError();
  auto p = zeroed<spcc_gather_params>();
  p.outer = product(data.getDims().take_front(size_t(*axis)));
  p.axis_dim = data.getDim(*axis);
  p.num_indices = node.getInput(1)->getType().getNumElements();
  p.inner_bytes =
      product(data.getDims().drop_front(size_t(*axis) + 1)) * int64_t(dtypeSize(data.getDType()));
  p.index_dtype = kernelDType(node.getInput(1)->getType().getDType());
  KernelCall call = makeCall("gather", p);
  call.failureMessage = indexFailure(node, p.axis_dim);
  return call;
}

llvm::Expected<KernelCall> lowerPad(const Node &node, const KernelLayout &layout) {
  const TensorType &in = node.getInput(0)->getType();
  int rank = in.getRank();
  auto pads = constantInput(node, 1, "pads");
  if (!pads) return pads.takeError();
  llvm::SmallVector<int64_t> values = (*pads)->toInts();
  if (rank > SPCC_KERNEL_MAX_RANK)
    return nodeError(node, ErrorCode::Unsupported,
                     "pads a rank-" + llvm::Twine(rank) + " tensor; the kernel takes at most " +
                         llvm::Twine(SPCC_KERNEL_MAX_RANK) + " axes");
  auto p = zeroed<spcc_pad_params>();
  std::string mode = node.getString("mode", "constant");
  p.mode = mode == "reflect" ? SPCC_PAD_REFLECT
           : mode == "edge"  ? SPCC_PAD_EDGE
                             : SPCC_PAD_CONSTANT;
  p.elem_size = int32_t(dtypeSize(in.getDType()));
  p.has_value = node.getInput(2) != nullptr;
  llvm::ArrayRef<int64_t> outDims = dimsOf(node.getOutput(0));
  // A scalar is padded as one element of rank 1.
  p.rank = std::max(rank, 1);
  p.in_dims[0] = p.out_dims[0] = 1;
  for (int a = 0; a < rank; ++a) {
    p.in_dims[a] = in.getDim(a);
    p.out_dims[a] = outDims[size_t(a)];
    p.pads_begin[a] = values[size_t(a)];
  }
  return makeCall("pad", p);
}

llvm::Expected<KernelCall> lowerScatterND(const Node &node, const KernelLayout &layout) {
  const TensorType &data = node.getInput(0)->getType();
  int64_t k = dimsOf(node.getInput(1)).back();
  if (auto err = checkKernelRank(node, k)) return std::move(err);
  auto p = zeroed<spcc_scatter_nd_params>();
  p.index_rank = int32_t(k);
  p.reduction = scatterReduction(node);
  p.dtype = kernelDType(data.getDType());
  p.elem_size = int32_t(dtypeSize(data.getDType()));
  p.num_updates = product(dimsOf(node.getInput(1)).drop_back());
  p.slice_elems = product(data.getDims().drop_front(size_t(k)));
  fill(p.dims, data.getDims().take_front(size_t(k)));
  KernelCall call = makeCall("scatter_nd", p);
  call.failureMessage = tupleFailure(node, data.getDims().take_front(size_t(k)));
  return call;
}

llvm::Expected<KernelCall> lowerScatterElements(const Node &node, const KernelLayout &layout) {
  const TensorType &data = node.getInput(0)->getType();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), data.getRank());
  if (!axis) return axis.takeError();
  if (auto err = checkKernelRank(node, data.getRank())) return std::move(err);
  auto p = zeroed<spcc_scatter_elements_params>();
  p.rank = data.getRank();
  p.axis = *axis;
  p.reduction = scatterReduction(node);
  p.dtype = kernelDType(data.getDType());
  p.elem_size = int32_t(dtypeSize(data.getDType()));
  p.index_dtype = kernelDType(node.getInput(1)->getType().getDType());
  p.axis_dim = data.getDim(*axis);
  p.data_elems = data.getNumElements();
  fill(p.dims, dimsOf(node.getInput(1)));
  fill(p.data_strides, stridesOf(data.getDims()));
  KernelCall call = makeCall("scatter_elements", p);
  call.failureMessage = indexFailure(node, p.axis_dim);
  return call;
}

llvm::Expected<KernelCall> lowerGatherND(const Node &node, const KernelLayout &layout) {
  const TensorType &data = node.getInput(0)->getType();
  llvm::ArrayRef<int64_t> dims = data.getDims(), indices = dimsOf(node.getInput(1));
  size_t b = size_t(node.getInt("batch_dims", 0));
  int64_t k = indices.back();
  if (auto err = checkKernelRank(node, k)) return std::move(err);
  Dims strides = stridesOf(dims);
  auto p = zeroed<spcc_gather_nd_params>();
  p.index_rank = int32_t(k);
  p.elem_size = int32_t(dtypeSize(data.getDType()));
  p.batches = product(dims.take_front(b));
  p.tuples = product(indices.drop_front(b).drop_back());
  p.batch_stride = b == 0 ? 0 : strides[b - 1];
  p.slice_elems = product(dims.drop_front(b + size_t(k)));
  fill(p.dims, dims.slice(b, size_t(k)));
  fill(p.strides, llvm::ArrayRef<int64_t>(strides).slice(b, size_t(k)));
  KernelCall call = makeCall("gather_nd", p);
  call.failureMessage = tupleFailure(node, dims.slice(b, size_t(k)));
  return call;
}

llvm::Expected<KernelCall> lowerOneHot(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> indices = dimsOf(node.getInput(0));
  auto axis = normalizeAxis(node, node.getInt("axis", -1), int(indices.size()) + 1);
  if (!axis) return axis.takeError();
  auto p = zeroed<spcc_one_hot_params>();
  p.outer = product(indices.take_front(size_t(*axis)));
  p.depth = dimsOf(node.getOutput(0))[size_t(*axis)];
  p.inner = product(indices.drop_front(size_t(*axis)));
  p.index_dtype = kernelDType(node.getInput(0)->getType().getDType());
  p.elem_size = int32_t(dtypeSize(node.getOutput(0)->getType().getDType()));
  return makeCall("one_hot", p);
}

} // namespace spcc::lowering
