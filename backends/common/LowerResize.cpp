//===- LowerResize.cpp - Resize lowering ---------------------------------===//
#include "backends/common/LoweringUtil.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>

namespace spcc::lowering {

llvm::Expected<KernelCall> lowerResize(const Node &node, const KernelLayout &layout) {
  const TensorType &in = node.getInput(0)->getType();
  const TensorType &out = node.getOutput(0)->getType();
  int rank = in.getRank();
  if (rank > SPCC_KERNEL_MAX_RANK)
    return nodeError(node, ErrorCode::Unsupported,
                     "resizes a rank-" + llvm::Twine(rank) + " tensor; the kernel takes at most " +
                         llvm::Twine(SPCC_KERNEL_MAX_RANK) + " axes");
  static const llvm::StringMap<int32_t> modes = {{"nearest", SPCC_RESIZE_NEAREST},
                                                 {"linear", SPCC_RESIZE_LINEAR},
                                                 {"cubic", SPCC_RESIZE_CUBIC}};
  static const llvm::StringMap<int32_t> coordinates = {
      {"half_pixel", SPCC_RESIZE_HALF_PIXEL},
      {"half_pixel_symmetric", SPCC_RESIZE_HALF_PIXEL_SYMMETRIC},
      {"pytorch_half_pixel", SPCC_RESIZE_PYTORCH_HALF_PIXEL},
      {"align_corners", SPCC_RESIZE_ALIGN_CORNERS},
      {"asymmetric", SPCC_RESIZE_ASYMMETRIC}};
  static const llvm::StringMap<int32_t> nearestModes = {
      {"round_prefer_floor", SPCC_RESIZE_ROUND_PREFER_FLOOR},
      {"round_prefer_ceil", SPCC_RESIZE_ROUND_PREFER_CEIL},
      {"floor", SPCC_RESIZE_FLOOR},
      {"ceil", SPCC_RESIZE_CEIL}};
  auto mode = modes.find(node.getString("mode", "nearest"));
  auto coordinate =
      coordinates.find(node.getString("coordinate_transformation_mode", "half_pixel"));
  auto nearest = nearestModes.find(node.getString("nearest_mode", "round_prefer_floor"));
  if (mode == modes.end() || coordinate == coordinates.end() || nearest == nearestModes.end())
    return nodeError(node, ErrorCode::Unsupported, "has a mode the resize kernel does not run");
  auto p = zeroed<spcc_resize_params>();
  p.rank = rank;
  p.mode = mode->second;
  p.coordinates = coordinate->second;
  p.nearest_mode = nearest->second;
  p.exclude_outside = node.getInt("exclude_outside", 0) != 0;
  p.cubic_coeff_a = node.getFloat("cubic_coeff_a", -0.75f);
  // The scale each axis's coordinates divide by: the given scale, or out / in from sizes.
  const Value *scales = node.getInput(2);
  bool givenScales = scales && scales->getType().getNumElements() > 0;
  std::vector<int64_t> axes = node.getInts("axes");
  if (axes.empty())
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  for (int d = 0; d < rank; ++d) {
    p.in_dims[d] = in.getDim(d);
    p.out_dims[d] = out.getDim(d);
    p.scales[d] = in.getDim(d) == 0 ? 1.0 : double(out.getDim(d)) / double(in.getDim(d));
  }
  if (givenScales) {
    auto values = constantInput(node, 2, "scales");
    if (!values) return values.takeError();
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t d = axes[i] < 0 ? axes[i] + rank : axes[i];
      p.scales[d] = (*values)->getAsDouble(int64_t(i));
    }
  }
  KernelCall call = makeCall("resize", p);
  int taps = p.mode == SPCC_RESIZE_NEAREST ? 1 : p.mode == SPCC_RESIZE_LINEAR ? 2 : 4;
  for (int d = 0; d < rank; ++d) call.workspaceBytes += 16 * p.out_dims[d] * taps;
  return call;
}

} // namespace spcc::lowering
