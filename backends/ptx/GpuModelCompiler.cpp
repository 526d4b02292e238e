//===- GpuModelCompiler.cpp - A memory-planned graph to a GPU model .so ---===//
//
// Every node becomes one kernel launch (or none, for a reshape): products with constant
// weights get a baked-weights SpMM kernel specialized to their pattern, Relu and Add an
// elementwise kernel. The device arena holds the inputs, then the outputs, then the graph's
// memory-planned intermediates at their offsets. The kernels go to one NVPTX module (PTX, plus a
// cubin when ptxas is installed) or, for --emulate-gpu, into the host module itself in their
// host-emulation flavor. The host module holds the program's tables and the descriptor and is
// linked by the x86 linker into the model .so.
//
//===----------------------------------------------------------------------===//
#include "backends/ptx/GpuModelCompiler.h"

#include "backends/common/ModelInterface.h"
#include "backends/common/sparse/SparseKernelSpec.h"
#include "backends/ptx/BakedSpmmEmitter.h"
#include "backends/ptx/ConvKernels.h"
#include "backends/ptx/CsrSpmmEmitter.h"
#include "backends/ptx/GpuProgram.h"
#include "backends/ptx/PtxEmitter.h"
#include "backends/ptx/Ptxas.h"
#include "backends/ptx/StridedKernels.h"
#include "backends/ptx/TransformerKernels.h"
#include "backends/x86/Linker.h"
#include "backends/x86/ObjectEmitter.h"
#include "compiler/ops/Aliases.h"
#include "compiler/ops/FusedEpilogue.h"
#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/SpatialWindow.h"
#include "compiler/support/Error.h"
#include "compiler/support/Files.h"
#include "runtime/ModelAbi.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>

namespace spcc::ptx {
namespace {

/// The most nonzeros a layer bakes into code (SparseRT's style): ~16 bytes of sm_90 machine code
/// each, so 128 KB at most, and LLVM's NVPTX code generation grows with them; larger layers get
/// the CSR kernel, whose code does not grow. At 16384, ResNet-50's 13107-nonzero layers (rows
/// of ~100 loads) spilled ~5 KB per thread under ptxas's 64-register budget. A size rule, not
/// yet measured on a GPU.
constexpr int64_t kBakedNonzeroBudget = 8192;

/// The sparsest weights a product beyond the baked budget runs dense: every weight read, no
/// column index. At 1/3 zeros the index a CSR nonzero carries (2-4 bytes beside its 4-byte
/// value) costs about what the zeros do. A size rule, not yet measured on a GPU.
constexpr double kDenseUpToSparsity = 1.0 / 3.0;

std::string formatSparsity(double sparsity) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2f", sparsity);
  return text;
}

/// Alignment of every buffer in the device arena (cudaMalloc's is 256 bytes).
constexpr uint64_t kDeviceAlignment = 256;

uint64_t alignUp(uint64_t bytes) {
  return (bytes + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment;
}

Window2D window2D(const SpatialWindow &window) {
  Window2D w;
  w.kernelH = window.kernel[0];
  w.kernelW = window.kernel[1];
  w.strideH = window.strides[0];
  w.strideW = window.strides[1];
  w.padTop = window.padsBegin[0];
  w.padLeft = window.padsBegin[1];
  w.dilationH = window.dilations[0];
  w.dilationW = window.dilations[1];
  return w;
}

llvm::Error unsupportedNode(const Node &node, const GpuArch &arch, llvm::StringRef why) {
  return makeError(
      ErrorCode::Unsupported,
      "node '" + node.getName() + "' (" + node.getOpType() + "): " + why.str() + " on GPU target " +
          arch.name +
          " (it compiles MatMul, Gemm, FusedMatMul and 2-D Conv / FusedConv with "
          "constant weights, MaxPool, GlobalAveragePool, FusedAttention, LayerNormalization, "
          "Gather, Transpose, Cast to float, float elementwise ops and reshapes so far)");
}

class GpuModelCompiler {
public:
  GpuModelCompiler(const Graph &graph, const CompileOptions &options, const GpuArch &arch,
                   bool emulate, CompileReport &report)
      : graph(graph), options(options), arch(arch), emulate(emulate), report(report),
        host(std::make_unique<llvm::Module>(graph.getName(), context)),
        device(std::make_unique<llvm::Module>(graph.getName() + ".gpu", context)) {}

  llvm::Error run();

private:
  KernelFlavor flavor() const {
    return emulate ? KernelFlavor::HostEmulation : KernelFlavor::Device;
  }
  llvm::Module &kernelModule() { return emulate ? *host : *device; }
  /// "spcc_gpu_k<index>_<op>": a profiler's (nsys, ncu, PyTorch's) kernel list then names
  /// each kernel's op, and the index finds its node in `--report`'s order.
  std::string newKernelName(const Node &node) {
    std::string op = node.getOpType();
    for (char &c : op)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return "spcc_gpu_k" + std::to_string(program.kernelNames.size()) + "_" + op;
  }

  void layOut();
  /// The offset of \p bytes of scratch for the node being lowered (every node's scratch is the
  /// same region: the launches run in order on one stream).
  uint64_t reserveScratch(uint64_t bytes);
  llvm::Expected<uint64_t> offsetOf(const Value *value) const;
  llvm::Error lowerNode(const Node &node);
  llvm::Error lowerProduct(const Node &node);
  llvm::Error lowerConv(const Node &node);
  llvm::Error lowerGlobalAveragePool(const Node &node);
  llvm::Error lowerMaxPool(const Node &node);
  /// Emits \p spec's sparse product, baked into code or as CSR data by its size, and its launch.
  llvm::Error lowerSparseProduct(const Node &node, const SparseKernelSpec &spec,
                                 const GpuProductLayout &layout, uint64_t input, uint64_t output,
                                 GpuArg residual);
  /// Adds a product layer's launch of \p kernel and its report row.
  void addProductLaunch(const Node &node, const std::string &kernel, const SparseKernelSpec &spec,
                        const std::string &tiling, const std::string &decidedBy,
                        const GpuLaunchShape &shape, uint64_t input, uint64_t output,
                        GpuArg residual);
  /// Adds a launch of one thread per element over \p count elements.
  void addElementLaunch(const std::string &kernel, int64_t count, int threads,
                        std::vector<GpuArg> args);
  /// An operand of a strided kernel: \p value read at \p strides (or baked, when constant).
  llvm::Expected<StridedOperand> stridedOperand(const Node &node, const Value *value,
                                                llvm::ArrayRef<int64_t> strides, GpuArg &arg);
  llvm::Error lowerStrided(const Node &node, StridedOp op);
  llvm::Error lowerTranspose(const Node &node);
  llvm::Error addStridedLaunch(const Node &node, const StridedSpec &spec, GpuArg a, GpuArg b);
  llvm::Error lowerGather(const Node &node);
  llvm::Error lowerLayerNorm(const Node &node);
  llvm::Error lowerAttention(const Node &node);
  llvm::Expected<std::string> deviceCode(std::vector<char> &cubin);
  llvm::Error link();

  const Graph &graph;
  const CompileOptions &options;
  const GpuArch &arch;
  bool emulate;
  CompileReport &report;
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> host, device;

  /// The kernels, launches and device arena layout the model's tables will hold.
  GpuProgram program;
  std::map<const Value *, uint64_t> aliasOffsets;
  uint64_t arenaBase = 0;
  /// Past the planned intermediates: scratch that one node's launches pass between them.
  uint64_t scratchBase = 0;
};

void GpuModelCompiler::layOut() {
  uint64_t at = 0;
  for (const Value *input : graph.getInputs()) {
    program.inputOffsets.push_back(at);
    at = alignUp(at + uint64_t(input->getType().getSizeInBytes()));
  }
  for (const GraphOutput &output : graph.getOutputs()) {
    program.outputOffsets.push_back(at);
    at = alignUp(at + uint64_t(output.value->getType().getSizeInBytes()));
  }
  arenaBase = at;
  scratchBase = alignUp(at + uint64_t(graph.getArenaBytes()));
  program.deviceArenaBytes = std::max<uint64_t>(scratchBase, 1);
}

uint64_t GpuModelCompiler::reserveScratch(uint64_t bytes) {
  program.deviceArenaBytes = std::max(program.deviceArenaBytes, scratchBase + alignUp(bytes));
  return scratchBase;
}

llvm::Expected<uint64_t> GpuModelCompiler::offsetOf(const Value *value) const {
  if (auto it = aliasOffsets.find(value); it != aliasOffsets.end()) return it->second;
  if (value->isConstant())
    return makeError(ErrorCode::Unsupported, "constant '" + value->getName() +
                                                 "' is read by a GPU kernel that cannot "
                                                 "take it as data yet");
  if (value->getArenaOffset() >= 0) return arenaBase + uint64_t(value->getArenaOffset());
  llvm::ArrayRef<Value *> inputs = graph.getInputs();
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i] == value) return program.inputOffsets[i];
  llvm::ArrayRef<GraphOutput> outputs = graph.getOutputs();
  for (size_t i = 0; i < outputs.size(); ++i)
    if (aliasRoot(outputs[i].value) == value) return program.outputOffsets[i];
  return makeError(ErrorCode::Internal,
                   "value '" + value->getName() + "' has no storage: memory planning has not run");
}

llvm::Error GpuModelCompiler::lowerProduct(const Node &node) {
  const Value *x = node.getInput(0), *w = node.getInput(1);
  bool gemm = node.getOpType() == "Gemm";
  if (!w || !w->isConstant() || w->getType().getRank() != 2 ||
      x->getType().getDType() != DType::Float32 || w->getType().getDType() != DType::Float32)
    return unsupportedNode(node, arch, "only float32 products with constant 2-D weights run");
  if (gemm && node.getInt("transA", 0) != 0)
    return unsupportedNode(node, arch, "a Gemm with transA has no GPU kernel");
  // W as the product's A: [m outputs, k features].
  Tensor weights = w->getConstant();
  bool transposed = gemm && node.getInt("transB", 0) != 0;
  int64_t k = transposed ? weights.getType().getDims()[1] : weights.getType().getDims()[0];
  int64_t m = transposed ? weights.getType().getDims()[0] : weights.getType().getDims()[1];
  Tensor a(TensorType(DType::Float32, {m, k}));
  {
    llvm::ArrayRef<float> from = weights.getData<float>();
    llvm::MutableArrayRef<float> to = a.getMutableData<float>();
    float alpha = gemm ? node.getFloat("alpha", 1.0f) : 1.0f;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < k; ++j)
        to[size_t(i * k + j)] =
            alpha * (transposed ? from[size_t(i * k + j)] : from[size_t(j * m + i)]);
  }
  int64_t rows = x->getType().getNumElements() / k;
  SparseKernelSpec spec;
  spec.weights = SparseTensor::fromDense(a);
  for (int64_t j = 0; j < k; ++j) spec.bRowOffsets.push_back(j);
  spec.n = rows;
  spec.ldc = 1;
  if (const Value *bias = node.getInput(2)) {
    if (!bias->isConstant() || bias->getType().getNumElements() != m)
      return unsupportedNode(node, arch, "only a constant bias of one value per output runs");
    float beta = gemm ? node.getFloat("beta", 1.0f) : 1.0f;
    for (float b : bias->getConstant().getData<float>()) spec.epilogue.bias.push_back(beta * b);
  }
  GpuArg residual;
  if (node.getOpType() == "FusedMatMul") {
    auto activation = fusedActivationOf(node);
    if (!activation) return activation.takeError();
    spec.epilogue.activation = *activation;
    if (const Value *r = node.getInput(3)) {
      auto at = offsetOf(r);
      if (!at) return at.takeError();
      spec.epilogue.residual = true;
      residual = pointerArg(*at);
    }
  }
  auto in = offsetOf(x), out = offsetOf(node.getOutput(0));
  if (!in) return in.takeError();
  if (!out) return out.takeError();
  return lowerSparseProduct(node, spec, GpuProductLayout{k, m}, *in, *out, residual);
}

llvm::Error GpuModelCompiler::lowerSparseProduct(const Node &node, const SparseKernelSpec &spec,
                                                 const GpuProductLayout &layout, uint64_t input,
                                                 uint64_t output, GpuArg residual) {
  std::string name = newKernelName(node);
  int64_t nonzeros = spec.weights.getNumNonZeros();
  // Blocks of whole warps, at most 128 positions.
  int threads = int(std::min<int64_t>(128, (spec.n + 31) / 32 * 32));
  std::string tilingName, decidedBy;
  llvm::Expected<GpuLaunchShape> shape = GpuLaunchShape{};
  if (nonzeros <= kBakedNonzeroBudget) {
    // Enough row groups to spread a narrow product over the GPU.
    BakedSpmmTiling tiling;
    tiling.rowsPerGroup = spec.n >= 32 ? 16 : 4;
    tiling.threadsPerBlock = threads;
    shape = emitBakedSpmm(kernelModule(), name, spec, tiling, flavor(), layout);
    tilingName = "gpu-baked-r" + std::to_string(tiling.rowsPerGroup) + "-t" +
                 std::to_string(tiling.threadsPerBlock);
    decidedBy = "cost model (" + std::to_string(nonzeros) + " nonzeros: baked up to " +
                std::to_string(kBakedNonzeroBudget) + ")";
  } else {
    bool dense = spec.weights.getSparsity() <= kDenseUpToSparsity && denseProductApplies(spec);
    CsrSpmmTiling tiling;
    bool aligned16 = input % 16 == 0 && output % 16 == 0 &&
                     (residual.kind != SPCC_ABI_GPU_ARG_DEVICE_POINTER || residual.value % 16 == 0);
    tiling.positionsPerThread = csrVectorPositions(spec, layout, aligned16);
    int64_t threadsNeeded = spec.n / tiling.positionsPerThread;
    tiling.threadsPerBlock = int(std::min<int64_t>(128, (threadsNeeded + 31) / 32 * 32));
    std::string form = "-v" + std::to_string(tiling.positionsPerThread);
    decidedBy = "cost model (" + std::to_string(nonzeros) + " nonzeros: more than the " +
                std::to_string(kBakedNonzeroBudget) + " baked into code";
    if (dense) {
      shape = emitDenseProduct(kernelModule(), name, spec, tiling, flavor(), layout);
      tilingName = "gpu-dense-t" + std::to_string(tiling.threadsPerBlock) + form;
      decidedBy +=
          "; sparsity up to " + formatSparsity(kDenseUpToSparsity) + ": dense, no column indices)";
    } else {
      shape = emitCsrSpmm(kernelModule(), name, spec, tiling, flavor(), layout);
      tilingName = "gpu-csr-t" + std::to_string(tiling.threadsPerBlock) + form +
                   (csrNarrowColumns(spec) ? "-i16" : "-i32");
      decidedBy += ")";
    }
  }
  if (!shape) return addContext(shape.takeError(), node.describe());
  addProductLaunch(node, name, spec, tilingName, decidedBy, *shape, input, output, residual);
  return llvm::Error::success();
}

void GpuModelCompiler::addProductLaunch(const Node &node, const std::string &kernel,
                                        const SparseKernelSpec &spec, const std::string &tiling,
                                        const std::string &decidedBy, const GpuLaunchShape &shape,
                                        uint64_t input, uint64_t output, GpuArg residual) {
  GpuLaunch launch;
  launch.kernel = uint32_t(program.kernelNames.size());
  int64_t perBlock = int64_t(shape.threadsPerBlock) * shape.positionsPerThread;
  launch.gridX = uint32_t((spec.n + perBlock - 1) / perBlock);
  launch.gridY = uint32_t(shape.gridY);
  launch.blockX = uint32_t(shape.threadsPerBlock);
  launch.args = {pointerArg(input), pointerArg(output), residual, int32Arg(spec.n)};
  program.launches.push_back(std::move(launch));
  program.kernelNames.push_back(kernel);

  LayerReport layer;
  layer.name = node.getName();
  layer.op = node.getOpType();
  layer.m = spec.weights.getRows();
  layer.k = spec.weights.getCols();
  layer.n = spec.n;
  layer.sparsity = spec.weights.getSparsity();
  layer.sparse = true;
  layer.tiling = tiling;
  layer.decidedBy = decidedBy;
  layer.sparseSeconds = layer.denseSeconds = std::numeric_limits<double>::quiet_NaN();
  layer.csrBytes = spec.weights.getCsrBytes();
  if (!spec.epilogue.bias.empty()) layer.fused.push_back("bias");
  if (spec.epilogue.residual) layer.fused.push_back("residual");
  setDensityGrid(layer, spec.weights);
  report.layers.push_back(std::move(layer));
}

void GpuModelCompiler::addElementLaunch(const std::string &kernel, int64_t count, int threads,
                                        std::vector<GpuArg> args) {
  GpuLaunch launch;
  launch.kernel = uint32_t(program.kernelNames.size());
  launch.gridX = uint32_t(std::max<int64_t>(1, (count + threads - 1) / threads));
  launch.blockX = uint32_t(threads);
  launch.args = std::move(args);
  program.launches.push_back(std::move(launch));
  program.kernelNames.push_back(kernel);
}

/// A 2-D convolution of one image: a pointwise one as a product over the image's positions
/// (a sparse product), any other as a direct convolution; FusedConv's residual and activation in
/// the epilogue.
llvm::Error GpuModelCompiler::lowerConv(const Node &node) {
  const Value *x = node.getInput(0), *w = node.getInput(1), *y = node.getOutput(0);
  llvm::ArrayRef<int64_t> xDims = x->getType().getDims(), wDims = w->getType().getDims();
  if (xDims.size() != 4 || xDims[0] != 1 || !w->isConstant() ||
      x->getType().getDType() != DType::Float32)
    return unsupportedNode(node, arch,
                           "only 2-D float32 convolutions of one image with "
                           "constant weights run");
  auto window = resolveSpatialWindow(node, xDims.drop_front(2), wDims.drop_front(2), false);
  if (!window) return window.takeError();
  std::vector<float> bias;
  if (const Value *b = node.getInput(2)) {
    if (!b->isConstant()) return unsupportedNode(node, arch, "only a constant bias runs");
    llvm::ArrayRef<float> values = b->getConstant().getData<float>();
    bias.assign(values.begin(), values.end());
  }
  FusedActivation activation;
  GpuArg residual;
  if (node.getOpType() == "FusedConv") {
    auto fused = fusedActivationOf(node);
    if (!fused) return fused.takeError();
    activation = *fused;
    if (const Value *r = node.getInput(3)) {
      auto at = offsetOf(r);
      if (!at) return at.takeError();
      residual = pointerArg(*at);
    }
  }
  auto in = offsetOf(x), out = offsetOf(y);
  if (!in) return in.takeError();
  if (!out) return out.takeError();
  int64_t group = node.getInt("group", 1), cout = wDims[0];
  int64_t inH = xDims[2], inW = xDims[3], outH = window->outDims[0], outW = window->outDims[1];
  bool pointwise = wDims[2] == 1 && wDims[3] == 1 && group == 1 && window->strides[0] == 1 &&
                   window->strides[1] == 1 && window->padsBegin[0] == 0 &&
                   window->padsBegin[1] == 0 && outH == inH && outW == inW;
  if (pointwise) {
    // A product over the image's positions: W [cout, cin] times X [cin, H * W], feature-major.
    SparseKernelSpec spec;
    Tensor weights = w->getConstant();
    spec.weights = SparseTensor::fromDense(
        Tensor::fromVector<float>({cout, xDims[1]}, weights.getData<float>()));
    for (int64_t c = 0; c < xDims[1]; ++c) spec.bRowOffsets.push_back(c * inH * inW);
    spec.n = spec.ldc = inH * inW;
    spec.epilogue.bias = std::move(bias);
    spec.epilogue.residual = residual.kind == SPCC_ABI_GPU_ARG_DEVICE_POINTER;
    spec.epilogue.activation = activation;
    return lowerSparseProduct(node, spec, GpuProductLayout{}, *in, *out, residual);
  }
  DirectConvSpec spec;
  spec.inChannels = xDims[1];
  spec.inH = inH;
  spec.inW = inW;
  spec.outChannels = cout;
  spec.outH = outH;
  spec.outW = outW;
  spec.window = window2D(*window);
  spec.group = group;
  llvm::ArrayRef<float> weights = w->getConstant().getData<float>();
  spec.weights.assign(weights.begin(), weights.end());
  spec.bias = std::move(bias);
  spec.residual = residual.kind == SPCC_ABI_GPU_ARG_DEVICE_POINTER;
  spec.activation = activation;
  std::string name = newKernelName(node);
  emitDirectConvKernel(kernelModule(), name, spec, flavor());
  int64_t count = y->getType().getNumElements();
  addElementLaunch(name, count, kConvThreads,
                   {pointerArg(*out), pointerArg(*in), residual, int32Arg(count)});
  return llvm::Error::success();
}

llvm::Error GpuModelCompiler::lowerMaxPool(const Node &node) {
  const Value *x = node.getInput(0), *y = node.getOutput(0);
  llvm::ArrayRef<int64_t> dims = x->getType().getDims();
  if (dims.size() != 4 || x->getType().getDType() != DType::Float32 ||
      (node.getNumOutputs() > 1 && node.getOutput(1)))
    return unsupportedNode(node, arch, "only 2-D float32 max pooling without Indices runs");
  std::vector<int64_t> kernel = node.getInts("kernel_shape");
  auto window = resolveSpatialWindow(node, dims.drop_front(2), kernel, true);
  if (!window) return window.takeError();
  auto in = offsetOf(x), out = offsetOf(y);
  if (!in) return in.takeError();
  if (!out) return out.takeError();
  MaxPoolSpec spec;
  spec.channels = dims[0] * dims[1];
  spec.inH = dims[2];
  spec.inW = dims[3];
  spec.outH = window->outDims[0];
  spec.outW = window->outDims[1];
  spec.window = window2D(*window);
  std::string name = newKernelName(node);
  emitMaxPoolKernel(kernelModule(), name, spec, flavor());
  int64_t count = y->getType().getNumElements();
  addElementLaunch(name, count, kConvThreads,
                   {pointerArg(*out), pointerArg(*in), GpuArg(), int32Arg(count)});
  return llvm::Error::success();
}

llvm::Error GpuModelCompiler::lowerGlobalAveragePool(const Node &node) {
  llvm::ArrayRef<int64_t> dims = node.getInput(0)->getType().getDims();
  if (dims.size() < 3 || node.getInput(0)->getType().getDType() != DType::Float32)
    return unsupportedNode(node, arch, "only float32 pooling runs");
  auto in = offsetOf(node.getInput(0)), out = offsetOf(node.getOutput(0));
  if (!in) return in.takeError();
  if (!out) return out.takeError();
  int64_t channels = dims[0] * dims[1];
  int64_t plane = node.getInput(0)->getType().getNumElements() / channels;
  std::string name = newKernelName(node);
  emitGlobalAveragePoolKernel(kernelModule(), name, plane, flavor());
  addElementLaunch(name, channels, kConvThreads,
                   {pointerArg(*out), pointerArg(*in), GpuArg(), int32Arg(channels)});
  return llvm::Error::success();
}

llvm::Expected<StridedOperand> GpuModelCompiler::stridedOperand(const Node &node,
                                                                const Value *value,
                                                                llvm::ArrayRef<int64_t> strides,
                                                                GpuArg &arg) {
  StridedOperand operand;
  operand.strides.assign(strides.begin(), strides.end());
  DType dtype = value->getType().getDType();
  if (dtype != DType::Float32 && dtype != DType::Int64 && dtype != DType::Int32 &&
      dtype != DType::Bool)
    return unsupportedNode(node, arch, "only float32, int64, int32 and bool operands are read");
  if (value->isConstant()) {
    const Tensor &tensor = value->getConstant();
    for (int64_t i = 0; i < tensor.getNumElements(); ++i)
      operand.constant.push_back(float(tensor.getAsDouble(i)));
    return operand;
  }
  operand.dtype = dtype;
  auto at = offsetOf(value);
  if (!at) return at.takeError();
  arg = pointerArg(*at);
  return operand;
}

llvm::Error GpuModelCompiler::lowerStrided(const Node &node, StridedOp op) {
  const Value *out = node.getOutput(0);
  if (out->getType().getDType() != DType::Float32)
    return unsupportedNode(node, arch, "only elementwise ops with a float32 result run");
  size_t operands = isBinary(op) ? 2 : 1;
  if (node.getNumInputs() < operands ||
      (operands == 1 && node.getNumInputs() > 1 && node.getOpType() != "Cast") ||
      (operands == 2 && node.getNumInputs() > 2))
    return unsupportedNode(node, arch, "only the one- and two-operand forms run");
  llvm::ArrayRef<int64_t> outDims = out->getType().getDims();
  StridedSpec spec;
  spec.op = op;
  spec.outDims.assign(outDims.begin(), outDims.end());
  GpuArg args[2];
  for (size_t k = 0; k < operands; ++k) {
    const Value *input = node.getInput(k);
    auto operand =
        stridedOperand(node, input, broadcastStrides(outDims, input->getType().getDims()), args[k]);
    if (!operand) return operand.takeError();
    spec.operands.push_back(std::move(*operand));
  }
  return addStridedLaunch(node, spec, args[0], args[1]);
}

llvm::Error GpuModelCompiler::lowerTranspose(const Node &node) {
  const Value *x = node.getInput(0), *out = node.getOutput(0);
  llvm::ArrayRef<int64_t> dims = x->getType().getDims();
  std::vector<int64_t> perm = node.getInts("perm");
  if (perm.empty())
    for (size_t d = dims.size(); d-- > 0;) perm.push_back(int64_t(d));
  Dims own = stridesOf(dims);
  std::vector<int64_t> strides;
  for (int64_t axis : perm) strides.push_back(own[size_t(axis)]);
  StridedSpec spec;
  llvm::ArrayRef<int64_t> outDims = out->getType().getDims();
  spec.outDims.assign(outDims.begin(), outDims.end());
  GpuArg arg;
  auto operand = stridedOperand(node, x, strides, arg);
  if (!operand) return operand.takeError();
  if (x->getType().getDType() != DType::Float32)
    return unsupportedNode(node, arch, "only float32 transposes run");
  spec.operands.push_back(std::move(*operand));
  return addStridedLaunch(node, spec, arg, GpuArg());
}

llvm::Error GpuModelCompiler::addStridedLaunch(const Node &node, const StridedSpec &spec, GpuArg a,
                                               GpuArg b) {
  const Value *out = node.getOutput(0);
  int64_t count = out->getType().getNumElements();
  if (count >= (int64_t(1) << 31))
    return unsupportedNode(node, arch, "tensors of 2^31 elements or more have no GPU kernel");
  auto o = offsetOf(out);
  if (!o) return o.takeError();
  std::string name = newKernelName(node);
  emitStridedKernel(kernelModule(), name, spec, flavor());
  addElementLaunch(name, count, kStridedThreads, {pointerArg(*o), a, b, int32Arg(count)});
  return llvm::Error::success();
}

llvm::Error GpuModelCompiler::lowerGather(const Node &node) {
  const Value *data = node.getInput(0), *indices = node.getInput(1), *out = node.getOutput(0);
  DType indexType = indices->getType().getDType();
  if (data->getType().getDType() != DType::Float32 ||
      (indexType != DType::Int64 && indexType != DType::Int32))
    return unsupportedNode(node, arch,
                           "only a Gather of float32 data by int64 / int32 indices runs");
  llvm::ArrayRef<int64_t> dims = data->getType().getDims();
  int64_t axis = node.getInt("axis", 0);
  if (axis < 0) axis += int64_t(dims.size());
  GatherSpec spec;
  spec.indexType = indexType;
  spec.axisDim = dims[size_t(axis)];
  spec.numIndices = indices->getType().getNumElements();
  for (size_t d = 0; d < dims.size(); ++d) {
    if (int64_t(d) < axis) spec.outer *= dims[d];
    if (int64_t(d) > axis) spec.inner *= dims[d];
  }
  GpuArg table;
  if (data->isConstant()) {
    llvm::ArrayRef<float> values = data->getConstant().getData<float>();
    spec.data.assign(values.begin(), values.end());
  } else {
    auto at = offsetOf(data);
    if (!at) return at.takeError();
    table = pointerArg(*at);
  }
  GpuArg indexArg;
  if (indices->isConstant()) {
    spec.indexType = DType::Int64;
    for (int64_t i = 0; i < spec.numIndices; ++i)
      spec.indices.push_back(indices->getConstant().getAsInt(i));
  } else {
    auto at = offsetOf(indices);
    if (!at) return at.takeError();
    indexArg = pointerArg(*at);
  }
  auto o = offsetOf(out);
  if (!o) return o.takeError();
  int64_t count = out->getType().getNumElements();
  std::string name = newKernelName(node);
  emitGatherKernel(kernelModule(), name, spec, flavor());
  addElementLaunch(name, count, kStridedThreads,
                   {pointerArg(*o), table, indexArg, int32Arg(count)});
  return llvm::Error::success();
}

llvm::Error GpuModelCompiler::lowerLayerNorm(const Node &node) {
  const Value *x = node.getInput(0), *scale = node.getInput(1);
  const Value *bias = node.getNumInputs() > 2 ? node.getInput(2) : nullptr;
  for (size_t i = 1; i < node.getNumOutputs(); ++i)
    if (node.getOutput(i))
      return unsupportedNode(node, arch, "the Mean and InvStdDev outputs have no GPU kernel");
  llvm::ArrayRef<int64_t> dims = x->getType().getDims();
  int64_t axis = node.getInt("axis", -1);
  if (axis < 0) axis += int64_t(dims.size());
  LayerNormSpec spec;
  for (size_t d = 0; d < dims.size(); ++d) (int64_t(d) < axis ? spec.rows : spec.size) *= dims[d];
  auto constantValues = [&](const Value *value, std::vector<float> &to) {
    if (!value->isConstant() || value->getType().getDType() != DType::Float32) return false;
    const Tensor &tensor = value->getConstant();
    // Scale and bias broadcast to the normalized dims; spelled out per element.
    llvm::ArrayRef<int64_t> own = value->getType().getDims();
    std::vector<int64_t> normalized(dims.begin() + axis, dims.end());
    Dims strides = broadcastStrides(normalized, own);
    for (int64_t i = 0; i < spec.size; ++i) {
      int64_t rest = i, at = 0;
      for (size_t d = normalized.size(); d-- > 0;) {
        at += rest % normalized[d] * strides[d];
        rest /= normalized[d];
      }
      to.push_back(tensor.getData<float>()[size_t(at)]);
    }
    return true;
  };
  if (x->getType().getDType() != DType::Float32 || !constantValues(scale, spec.scale) ||
      (bias && !constantValues(bias, spec.bias)))
    return unsupportedNode(node, arch, "only float32 data with a constant scale and bias runs");
  spec.epsilon = node.getFloat("epsilon", 1e-5f);
  auto in = offsetOf(x), o = offsetOf(node.getOutput(0));
  if (!in) return in.takeError();
  if (!o) return o.takeError();
  int64_t count = spec.rows * spec.size, chunks = spec.rows * spec.chunks();
  if (count == 0) return llvm::Error::success(); // nothing to compute
  if (count > std::numeric_limits<int32_t>::max())
    return unsupportedNode(node, arch, "a layer norm of over 2^31 elements has no GPU kernel");
  GpuArg partials = pointerArg(reserveScratch(uint64_t(chunks) * 2 * sizeof(float)));
  std::string name = newKernelName(node);
  emitLayerNormStatisticsKernel(kernelModule(), name, spec, flavor());
  addElementLaunch(name, chunks, kTransformerThreads,
                   {partials, pointerArg(*in), int32Arg(chunks)});
  name = newKernelName(node);
  emitLayerNormKernel(kernelModule(), name, spec, flavor());
  addElementLaunch(name, count, kTransformerThreads,
                   {pointerArg(*o), pointerArg(*in), partials, int32Arg(count)});
  return llvm::Error::success();
}

llvm::Error GpuModelCompiler::lowerAttention(const Node &node) {
  llvm::ArrayRef<int64_t> q = node.getInput(0)->getType().getDims();
  llvm::ArrayRef<int64_t> k = node.getInput(1)->getType().getDims();
  llvm::ArrayRef<int64_t> v = node.getInput(2)->getType().getDims();
  AttentionSpec spec;
  spec.batch = q[0];
  spec.queries = q[1];
  spec.heads = q[2];
  spec.depth = q[3];
  spec.keys = k[1];
  spec.valueDepth = v[3];
  spec.scale = node.getFloat("scale", 1.0f);
  std::vector<GpuArg> args;
  for (size_t i = 0; i < 3; ++i) {
    if (node.getInput(i)->isConstant())
      return unsupportedNode(node, arch, "constant Q, K or V have no GPU kernel");
    auto at = offsetOf(node.getInput(i));
    if (!at) return at.takeError();
    args.push_back(pointerArg(*at));
  }
  GpuArg mask;
  if (const Value *m = node.getNumInputs() > 3 ? node.getInput(3) : nullptr) {
    if (m->isConstant())
      return unsupportedNode(node, arch, "a constant attention mask has no GPU kernel yet");
    Dims strides =
        broadcastStrides({spec.batch, spec.heads, spec.queries, spec.keys}, m->getType().getDims());
    std::copy(strides.begin(), strides.end(), spec.maskStrides);
    spec.hasMask = true;
    auto at = offsetOf(m);
    if (!at) return at.takeError();
    mask = pointerArg(*at);
  }
  auto o = offsetOf(node.getOutput(0));
  if (!o) return o.takeError();
  if (spec.outputCount() == 0) return llvm::Error::success(); // nothing to compute
  if (spec.keys == 0 || spec.depth == 0)
    return unsupportedNode(node, arch, "attention over no keys or of zero depth has no GPU kernel");
  if (spec.scoreCount() > std::numeric_limits<int32_t>::max() ||
      spec.outputCount() > std::numeric_limits<int32_t>::max())
    return unsupportedNode(node, arch, "attention of over 2^31 scores has no GPU kernel");
  GpuArg scores = pointerArg(reserveScratch(uint64_t(spec.scoreCount()) * sizeof(float)));
  std::string name = newKernelName(node);
  emitAttentionScoresKernel(kernelModule(), name, spec, flavor());
  addElementLaunch(name, spec.scoreCount(), kTransformerThreads,
                   {scores, args[0], args[1], mask, int32Arg(spec.scoreCount())});
  int64_t rows = spec.batch * spec.heads * spec.queries;
  name = newKernelName(node);
  emitSoftmaxRowsKernel(kernelModule(), name, spec.keys, flavor());
  addElementLaunch(name, rows, kRowThreads, {scores, int32Arg(rows)});
  name = newKernelName(node);
  emitAttentionValuesKernel(kernelModule(), name, spec, flavor());
  addElementLaunch(name, spec.outputCount(), kTransformerThreads,
                   {pointerArg(*o), scores, args[2], int32Arg(spec.outputCount())});
  return llvm::Error::success();
}

llvm::Error GpuModelCompiler::lowerNode(const Node &node) {
  llvm::StringRef op = node.getOpType();
  if (isAliasOp(node)) {
    // The output is the input's bytes: no launch (a graph output copies from there).
    auto at = offsetOf(node.getInput(0));
    if (!at) return at.takeError();
    aliasOffsets[node.getOutput(0)] = *at;
    return llvm::Error::success();
  }
  if (op == "MatMul" || op == "Gemm" || op == "FusedMatMul") return lowerProduct(node);
  if (op == "Conv" || op == "FusedConv") return lowerConv(node);
  if (op == "GlobalAveragePool") return lowerGlobalAveragePool(node);
  if (op == "MaxPool") return lowerMaxPool(node);
  static const std::map<llvm::StringRef, StridedOp> stridedOps = {
      {"Relu", StridedOp::Relu}, {"Tanh", StridedOp::Tanh},
      {"Sqrt", StridedOp::Sqrt}, {"Exp", StridedOp::Exp},
      {"Erf", StridedOp::Erf},   {"Sigmoid", StridedOp::Sigmoid},
      {"Neg", StridedOp::Neg},   {"Reciprocal", StridedOp::Reciprocal},
      {"Add", StridedOp::Add},   {"Sub", StridedOp::Sub},
      {"Mul", StridedOp::Mul},   {"Div", StridedOp::Div},
      {"Max", StridedOp::Max},   {"Min", StridedOp::Min},
      {"Cast", StridedOp::Copy}};
  if (auto it = stridedOps.find(op); it != stridedOps.end()) return lowerStrided(node, it->second);
  if (op == "Transpose") return lowerTranspose(node);
  if (op == "Gather") return lowerGather(node);
  if (op == "LayerNormalization") return lowerLayerNorm(node);
  if (op == "FusedAttention") return lowerAttention(node);
  return unsupportedNode(node, arch, "no GPU kernel yet");
}

llvm::Expected<std::string> GpuModelCompiler::deviceCode(std::vector<char> &cubin) {
  auto machine = createNvptxTargetMachine(arch);
  if (!machine) return machine.takeError();
  auto ptx = emitPtx(*device, **machine);
  if (!ptx) return ptx.takeError();
  if (std::optional<std::string> ptxas = findPtxas()) {
    auto assembled = assemblePtx(*ptxas, *ptx, arch);
    if (!assembled) return assembled.takeError();
    cubin = std::move(assembled->cubin);
  } else if (options.warnings) {
    *options.warnings << "spcc: warning: ptxas not found (set CUDA_HOME): the model carries PTX "
                         "only, which the driver compiles when the model is loaded\n";
  }
  return ptx;
}

llvm::Error GpuModelCompiler::link() {
  // The host side needs no more than baseline x86-64: the descriptor, and for emulation the
  // kernels, which any x86-64 machine runs.
  x86::TargetIsa isa{"x86-64", "", "x86-64-v3"};
  auto machine = x86::createTargetMachine(isa);
  if (!machine) return machine.takeError();
  auto object = x86::emitObject(*host, **machine);
  if (!object) return object.takeError();
  report.objectBytes = int64_t(object->size());
  auto archive = x86::findKernelLibrary(isa.kernelLevel, options.executablePath, "a");
  if (!archive) return archive.takeError();
  llvm::ArrayRef<char> objects[] = {*object};
  if (llvm::Error err = x86::linkModel(objects, *archive, options.outputPath)) return err;
  uint64_t libraryBytes = 0;
  if (!llvm::sys::fs::file_size(options.outputPath, libraryBytes))
    report.sharedLibraryBytes = int64_t(libraryBytes);
  return llvm::Error::success();
}

llvm::Error GpuModelCompiler::run() {
  auto started = std::chrono::steady_clock::now();
  auto lap = [&] {
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - started).count();
    started = now;
    return seconds;
  };
  report.target = arch.name;
  report.kernelLevel = emulate ? "emulated on the host" : "PTX " + std::string(kPtxFeatures + 4);
  for (const Value *input : graph.getInputs())
    if (graph.isBatched(input->getName()))
      return makeError(ErrorCode::Unsupported, "input '" + input->getName() +
                                                   "': GPU targets take fixed shapes (no "
                                                   "run-time batch) so far");
  layOut();
  for (const Node *node : graph.getNodes())
    if (llvm::Error err = lowerNode(*node)) return err;
  // A graph output that is a graph input or a constant is not computed by any launch.
  for (const GraphOutput &output : graph.getOutputs()) {
    const Value *root = aliasRoot(output.value);
    if (root->isConstant() || llvm::is_contained(graph.getInputs(), root))
      return makeError(ErrorCode::Unsupported,
                       "output '" + output.name +
                           "' is a constant or a graph input, which GPU targets do not copy to "
                           "an output so far");
  }

  // Both flavors carry the kernels' arrays beside the code, so emulation checks the loader's
  // copy too.
  program.data = detachModuleData(kernelModule(), !emulate);
  std::string ptx;
  std::vector<char> cubin;
  if (!emulate) {
    auto code = deviceCode(cubin);
    if (!code) return code.takeError();
    ptx = std::move(*code);
    if (!options.emitPtxDir.empty()) {
      llvm::SmallString<256> path(options.emitPtxDir);
      llvm::sys::path::append(path,
                              llvm::sys::path::stem(options.outputPath) + "." + arch.name + ".ptx");
      if (std::error_code error = llvm::sys::fs::create_directories(options.emitPtxDir))
        return makeError(ErrorCode::IO, "--emit-ptx: cannot create '" + options.emitPtxDir +
                                            "': " + error.message());
      std::error_code error;
      llvm::raw_fd_ostream file(path, error);
      if (error)
        return makeError(ErrorCode::IO, "--emit-ptx: cannot write '" + std::string(path) +
                                            "': " + error.message());
      file << ptx;
      if (llvm::Error err = finishWriting(file, path)) return err;
    }
  }
  report.codegenSeconds = lap();
  emitGpuProgram(*host, graph, arch, program, emulate, ptx, cubin);
  if (llvm::Error err = link()) return err;
  report.linkSeconds = lap();
  if (options.log) printLayerTable(*options.log, report);
  return llvm::Error::success();
}

} // namespace

llvm::Error compileGpuModel(const Graph &graph, const CompileOptions &options, const GpuArch &arch,
                            bool emulate, CompileReport &report) {
  if (llvm::Error err = checkModelInterface(graph)) return err;
  report = CompileReport();
  return GpuModelCompiler(graph, options, arch, emulate, report).run();
}

} // namespace spcc::ptx
