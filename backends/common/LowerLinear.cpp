//===- LowerLinear.cpp - MatMul, Gemm, attention, Conv, pool lowerings ---===//
#include "backends/common/LoweringUtil.h"

#include "compiler/ops/FusedEpilogue.h"
#include "compiler/ops/SpatialWindow.h"

#include <tuple>

namespace spcc::lowering {
namespace {

/// Copies a Window3D into the per-axis arrays of conv / pool params.
template <typename Params> void setWindow(Params &p, const Window3D &w) {
  for (int a = 0; a < 3; ++a) {
    p.in[a] = w.in[a];
    p.out[a] = w.out[a];
    p.kernel[a] = w.kernel[a];
    p.stride[a] = w.stride[a];
    p.dilation[a] = w.dilation[a];
    p.pad_begin[a] = w.padBegin[a];
  }
}

static_assert(SPCC_POST_NONE == int(FusedActivation::Kind::None) &&
                  SPCC_POST_RELU == int(FusedActivation::Kind::Relu) &&
                  SPCC_POST_CLIP == int(FusedActivation::Kind::Clip) &&
                  SPCC_POST_GELU == int(FusedActivation::Kind::Gelu),
              "spcc_post_op is FusedActivation::Kind in the kernels' C");

/// The post-op (code, min, max) of a fused node's activation attributes; none for other nodes.
llvm::Expected<std::tuple<int32_t, float, float>> postOpOf(const Node &node) {
  auto activation = fusedActivationOf(node);
  if (!activation) return activation.takeError();
  bool clip = activation->kind == FusedActivation::Kind::Clip;
  return std::make_tuple(int32_t(activation->kind), clip ? activation->min : 0.0f,
                         clip ? activation->max : 0.0f);
}

} // namespace

llvm::Expected<KernelCall> lowerMatMul(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> a = dimsOf(node.getInput(0)), b = dimsOf(node.getInput(1));
  auto p = zeroed<spcc_matmul_params>();
  p.m = a.size() >= 2 ? a[a.size() - 2] : 1;
  p.k = a.back();
  p.n = b.size() >= 2 ? b.back() : 1;
  // Batch axes: the output's, without the matrix axes (and none for 1-D
  // operands).
  Dims aBatch(a.size() > 2 ? a.drop_back(2) : llvm::ArrayRef<int64_t>());
  Dims bBatch(b.size() > 2 ? b.drop_back(2) : llvm::ArrayRef<int64_t>());
  Dims outBatch(aBatch.size() > bBatch.size() ? aBatch : bBatch);
  for (size_t i = 0; i < outBatch.size(); ++i) {
    auto at = [&](const Dims &dims) {
      size_t skip = outBatch.size() - dims.size();
      return i >= skip ? dims[i - skip] : int64_t(1);
    };
    outBatch[i] = std::max(at(aBatch), at(bBatch));
  }
  Dims aStrides = broadcastStrides(outBatch, aBatch), bStrides = broadcastStrides(outBatch, bBatch);
  for (int64_t &s : aStrides) s *= p.m * p.k;
  for (int64_t &s : bStrides) s *= p.k * p.n;
  auto shape = collapse(node, {outBatch, {aStrides, bStrides}});
  if (!shape) return shape.takeError();
  Dims &dims = shape->dims;
  // A batch of A rows against one B matrix is one taller product: the output is
  // row-major.
  if (dims.size() == 1 && shape->strides[1][0] == 0 && shape->strides[0][0] == p.m * p.k) {
    p.m *= dims[0];
    dims[0] = 1;
    shape->strides[0][0] = 0;
  }
  p.batch_rank = int32_t(dims.size());
  fill(p.batch_dims, dims);
  fill(p.a_batch_strides, shape->strides[0]);
  fill(p.b_batch_strides, shape->strides[1]);
  // FusedMatMul: the bias, residual and activation of fuse-epilogues.
  p.has_bias = node.getInput(2) != nullptr;
  p.has_residual = node.getInput(3) != nullptr;
  auto post = postOpOf(node);
  if (!post) return post.takeError();
  std::tie(p.post_op, p.post_min, p.post_max) = *post;
  return makeCall("matmul", p);
}

llvm::Expected<KernelCall> lowerGemm(const Node &node, const KernelLayout &layout) {
  auto p = zeroed<spcc_gemm_params>();
  llvm::ArrayRef<int64_t> a = dimsOf(node.getInput(0));
  llvm::ArrayRef<int64_t> out = dimsOf(node.getOutput(0));
  p.trans_a = node.getInt("transA", 0) != 0;
  p.trans_b = node.getInt("transB", 0) != 0;
  p.m = out[0];
  p.n = out[1];
  p.k = p.trans_a ? a[0] : a[1];
  p.alpha = node.getFloat("alpha", 1.0f);
  p.beta = node.getFloat("beta", 1.0f);
  if (const Value *c = node.getInput(2)) {
    p.has_c = 1;
    Dims strides = broadcastStrides(out, dimsOf(c));
    p.c_stride_m = strides[0];
    p.c_stride_n = strides[1];
  }
  return makeCall("gemm", p);
}

llvm::Expected<KernelCall> lowerConv(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0)), w = dimsOf(node.getInput(1));
  llvm::ArrayRef<int64_t> inSpatial = x.drop_front(2);
  auto window = resolveSpatialWindow(node, inSpatial, w.drop_front(2), false);
  if (!window) return window.takeError();
  auto p = zeroed<spcc_conv_params>();
  setWindow(p, toWindow3D(*window, inSpatial));
  p.n = x[0];
  p.cin = x[1];
  p.cout = w[0];
  p.group = node.getInt("group", 1);
  p.has_bias = node.getInput(2) != nullptr;
  // FusedConv: the residual and activation of fuse-epilogues.
  p.has_residual = node.getInput(3) != nullptr;
  auto post = postOpOf(node);
  if (!post) return post.takeError();
  std::tie(p.post_op, p.post_min, p.post_max) = *post;
  if (p.post_op == SPCC_POST_GELU)
    return nodeError(node, ErrorCode::Unsupported, "the conv kernel has no fused GELU");
  int64_t taps = p.kernel[0] * p.kernel[1] * p.kernel[2];
  bool depthwise = p.cin == p.group && p.cout == p.group;
  bool pointwise = taps == 1;
  for (int a = 0; a < 3; ++a)
    pointwise &= p.stride[a] == 1 && p.pad_begin[a] == 0 && p.in[a] == p.out[a];
  if (!depthwise && !pointwise)
    p.workspace_bytes =
        (p.cin / p.group) * taps * p.out[0] * p.out[1] * p.out[2] * int64_t(sizeof(float));
  KernelCall call = makeCall("conv", p);
  call.workspaceBytes = p.workspace_bytes;
  return call;
}

llvm::Expected<KernelCall> lowerPool(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  llvm::ArrayRef<int64_t> inSpatial = x.drop_front(2);
  std::vector<int64_t> kernel = node.getInts("kernel_shape");
  auto window = resolveSpatialWindow(node, inSpatial, kernel, true);
  if (!window) return window.takeError();
  auto p = zeroed<spcc_pool_params>();
  setWindow(p, toWindow3D(*window, inSpatial));
  size_t skip = 3 - inSpatial.size();
  for (size_t i = 0; i < inSpatial.size(); ++i) p.pad_end[skip + i] = window->padsEnd[i];
  p.planes = x[0] * x[1];
  p.count_include_pad = node.getInt("count_include_pad", 0) != 0;
  bool isMax = node.getOpType() == "MaxPool";
  if (isMax && node.getNumOutputs() > 1)
    return nodeError(node, ErrorCode::Unsupported, "the Indices output has no kernel");
  return makeCall(isMax ? "max_pool" : "average_pool", p);
}

llvm::Expected<KernelCall> lowerGlobalAveragePool(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto p = zeroed<spcc_global_pool_params>();
  p.planes = x[0] * x[1];
  p.plane_size = product(x.drop_front(2));
  return makeCall("global_average_pool", p);
}

/// The maximum of each [n, c] plane, as a reduction over the plane.
llvm::Expected<KernelCall> lowerGlobalMaxPool(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> x = dimsOf(node.getInput(0));
  auto p = zeroed<spcc_reduce_params>();
  p.op = SPCC_REDUCE_MAX;
  p.dtype = SPCC_KDT_F32;
  int64_t planeSize = product(x.drop_front(2));
  p.count = planeSize;
  p.kept_rank = 1;
  p.kept_dims[0] = x[0] * x[1];
  p.kept_strides[0] = planeSize;
  p.reduced_rank = 1;
  p.reduced_dims[0] = planeSize;
  p.reduced_strides[0] = 1;
  return makeCall("reduce", p);
}

llvm::Expected<KernelCall> lowerAttention(const Node &node, const KernelLayout &layout) {
  llvm::ArrayRef<int64_t> q = dimsOf(node.getInput(0)), v = dimsOf(node.getInput(2));
  auto p = zeroed<spcc_attention_params>();
  p.batch = q[0];
  p.q_len = q[1];
  p.heads = q[2];
  p.head_dim = q[3];
  p.kv_len = v[1];
  p.value_dim = v[3];
  p.scale = node.getFloat("scale", 1.0f);
  if (const Value *mask = node.getInput(3)) {
    p.has_mask = 1;
    fill(p.mask_strides, broadcastStrides({p.batch, p.heads, p.q_len, p.kv_len}, dimsOf(mask)));
  }
  // Q, K, V and the output share one layout (FeatureMajorSlots::tied).
  p.feature_major = layout.featureMajorInputs;
  return makeCall("attention", p);
}

} // namespace spcc::lowering
