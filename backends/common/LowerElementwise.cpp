//===- LowerElementwise.cpp - Unary, Cast, binary and Where lowerings ----===//
#include "backends/common/LoweringUtil.h"
#include "compiler/ops/UnaryAttributes.h"

#include "llvm/ADT/StringMap.h"

#include <limits>

namespace spcc::lowering {
namespace {

/// The spcc_unary_op running \p node: its op's first row of UnaryOps.def, the tanh form for
/// Gelu with approximate = "tanh".
int32_t unaryOpCode(const Node &node) {
  static const llvm::StringMap<int32_t> codes = [] {
    llvm::StringMap<int32_t> first;
#define SPCC_UNARY_OP(Op, CODE, ...) first.try_emplace(#Op, SPCC_UNARY_##CODE);
#include "runtime/kernels/UnaryOps.def"
    return first;
  }();
  if (node.getOpType() == "Gelu" && node.getString("approximate", "none") == "tanh")
    return SPCC_UNARY_GELU_TANH;
  return codes.lookup(node.getOpType());
}

/// Sets Clip's bound \p index (1: min, 2: max): folded into the params when
/// constant, read at run time otherwise.
void setClipBound(const Node &node, size_t index, spcc_unary_params &p) {
  const Value *bound = node.getInput(index);
  bool isMin = index == 1;
  if (!bound) return;
  if (!bound->isConstant()) {
    (isMin ? p.min_from_input : p.max_from_input) = 1;
    return;
  }
  const Tensor &value = bound->getConstant();
  if (p.dtype == SPCC_KDT_F32)
    (isMin ? p.alpha : p.beta) = float(value.getAsDouble(0));
  else
    (isMin ? p.int_min : p.int_max) = value.getAsInt(0);
}

} // namespace

llvm::Expected<KernelCall> lowerUnary(const Node &node, const KernelLayout &layout) {
  auto p = zeroed<spcc_unary_params>();
  p.count = node.getOutput(0)->getType().getNumElements();
  p.op = unaryOpCode(node);
  p.dtype = kernelDType(node.getInput(0)->getType().getDType());
  bool isFloat = p.dtype == SPCC_KDT_F32;
  if (!isFloat && p.op != SPCC_UNARY_NEG && p.op != SPCC_UNARY_CLIP)
    return nodeError(node, ErrorCode::Unsupported,
                     "the dense kernel takes f32 only, got " + node.getInput(0)->getType().str());
  UnaryAttributes attributes = unaryAttributes(node);
  p.alpha = attributes.alpha;
  p.beta = attributes.beta;
  if (p.op == SPCC_UNARY_CLIP) {
    p.alpha = std::numeric_limits<float>::lowest();
    p.beta = std::numeric_limits<float>::max();
    if (p.dtype == SPCC_KDT_I32) {
      p.int_min = std::numeric_limits<int32_t>::min();
      p.int_max = std::numeric_limits<int32_t>::max();
    } else {
      p.int_min = std::numeric_limits<int64_t>::min();
      p.int_max = std::numeric_limits<int64_t>::max();
    }
    setClipBound(node, 1, p);
    setClipBound(node, 2, p);
  }
  return makeCall("unary", p);
}

llvm::Expected<KernelCall> lowerCast(const Node &node, const KernelLayout &layout) {
  auto p = zeroed<spcc_cast_params>();
  p.count = node.getOutput(0)->getType().getNumElements();
  p.from = kernelDType(node.getInput(0)->getType().getDType());
  p.to = kernelDType(node.getOutput(0)->getType().getDType());
  if (p.from == SPCC_KDT_F16 || p.to == SPCC_KDT_F16)
    return nodeError(node, ErrorCode::Unsupported, "casts from or to f16 have no kernel");
  return makeCall("cast", p);
}

llvm::Expected<KernelCall> lowerPredicate(const Node &node, const KernelLayout &layout) {
  auto p = zeroed<spcc_predicate_params>();
  p.count = node.getOutput(0)->getType().getNumElements();
  const std::string &op = node.getOpType();
  p.op = op == "Not"     ? SPCC_PREDICATE_NOT
         : op == "IsNaN" ? SPCC_PREDICATE_IS_NAN
                         : SPCC_PREDICATE_IS_INF;
  p.detect_negative = node.getInt("detect_negative", 1) != 0;
  p.detect_positive = node.getInt("detect_positive", 1) != 0;
  return makeCall("predicate", p);
}

llvm::Expected<KernelCall> lowerBinary(const Node &node, const KernelLayout &layout) {
  static const llvm::StringMap<int32_t> codes = {
      {"Add", SPCC_BINARY_ADD},
      {"Sub", SPCC_BINARY_SUB},
      {"Mul", SPCC_BINARY_MUL},
      {"Div", SPCC_BINARY_DIV},
      {"Pow", SPCC_BINARY_POW},
      {"Equal", SPCC_BINARY_EQUAL},
      {"Greater", SPCC_BINARY_GREATER},
      {"Less", SPCC_BINARY_LESS},
      {"GreaterOrEqual", SPCC_BINARY_GREATER_OR_EQUAL},
      {"LessOrEqual", SPCC_BINARY_LESS_OR_EQUAL},
      {"Max", SPCC_BINARY_MAX},
      {"Min", SPCC_BINARY_MIN},
      {"Mod", SPCC_BINARY_MOD},
      {"And", SPCC_BINARY_AND},
      {"Or", SPCC_BINARY_OR},
      {"Xor", SPCC_BINARY_XOR},
      {"PRelu", SPCC_BINARY_PRELU},
  };
  auto p = zeroed<spcc_binary_params>();
  auto code = codes.find(node.getOpType());
  if (code == codes.end())
    return nodeError(node, ErrorCode::Internal, "has no binary kernel operation");
  p.op = code->second;
  if (p.op == SPCC_BINARY_MOD && node.getInt("fmod", 0) == 1) p.op = SPCC_BINARY_FMOD;
  p.dtype = kernelDType(node.getInput(0)->getType().getDType());
  p.b_dtype = kernelDType(node.getInput(1)->getType().getDType());
  llvm::ArrayRef<int64_t> out = dimsOf(node.getOutput(0));
  auto shape = collapse(node, {Dims(out),
                               {broadcastStrides(out, dimsOf(node.getInput(0))),
                                broadcastStrides(out, dimsOf(node.getInput(1)))}});
  if (!shape) return shape.takeError();
  p.rank = int32_t(shape->dims.size());
  fill(p.dims, shape->dims);
  fill(p.a_strides, shape->strides[0]);
  fill(p.b_strides, shape->strides[1]);
  return makeCall("binary", p);
}

llvm::Expected<KernelCall> lowerWhere(const Node &node, const KernelLayout &layout) {
  auto p = zeroed<spcc_where_params>();
  p.elem_size = int32_t(dtypeSize(node.getOutput(0)->getType().getDType()));
  llvm::ArrayRef<int64_t> out = dimsOf(node.getOutput(0));
  StridedShape shape{Dims(out), {}};
  for (size_t i = 0; i < 3; ++i)
    shape.strides.push_back(broadcastStrides(out, dimsOf(node.getInput(i))));
  auto collapsed = collapse(node, std::move(shape));
  if (!collapsed) return collapsed.takeError();
  p.rank = int32_t(collapsed->dims.size());
  fill(p.dims, collapsed->dims);
  fill(p.cond_strides, collapsed->strides[0]);
  fill(p.x_strides, collapsed->strides[1]);
  fill(p.y_strides, collapsed->strides[2]);
  return makeCall("where", p);
}

} // namespace spcc::lowering
