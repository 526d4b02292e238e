//===- SpatialWindow.cpp - Sliding-window geometry of Conv and pooling ---===//
#include "compiler/ops/SpatialWindow.h"

namespace spcc {

llvm::Expected<Dims> readPerAxis(const Node &node, const std::string &key, size_t count,
                                 int64_t dflt, int64_t min) {
  std::vector<int64_t> values = node.getInts(key, std::vector<int64_t>(count, dflt));
  if (values.size() != count)
    return nodeError(node, ErrorCode::BadModel,
                     "attribute '" + key + "' has " + llvm::Twine(values.size()) +
                         " entries, expected " + llvm::Twine(count));
  for (int64_t v : values) {
    if (v < min)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute '" + key + "' " + dimsToString(values) + " has an entry below " +
                           llvm::Twine(min));
    // Window arithmetic adds and multiplies these with dims: keep it far from overflow.
    if (v > kMaxTensorElements)
      return nodeError(node, ErrorCode::BadModel,
                       "attribute '" + key + "' " + dimsToString(values) + " has an entry above " +
                           llvm::Twine(kMaxTensorElements));
  }
  return Dims(values.begin(), values.end());
}

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

llvm::Expected<int> spatialRankOf(const Node &node, size_t index) {
  const TensorType &type = node.getInput(index)->getType();
  if (type.getRank() < 3)
    return nodeError(node, ErrorCode::Shape,
                     "input " + llvm::Twine(index) +
                         " must have rank 3 or more (N, C, spatial axes), got " + type.str());
  if (type.getRank() > 5)
    return nodeError(node, ErrorCode::Unsupported,
                     "input " + llvm::Twine(index) + " has " + llvm::Twine(type.getRank() - 2) +
                         " spatial axes; at most 3 are supported");
  return type.getRank() - 2;
}

llvm::Expected<SpatialWindow> resolveSpatialWindow(const Node &node,
                                                   llvm::ArrayRef<int64_t> inSpatial,
                                                   llvm::ArrayRef<int64_t> kernel,
                                                   bool allowCeilMode) {
  size_t rank = inSpatial.size();
  assert(kernel.size() == rank && "caller checks the kernel's rank");
  SpatialWindow w;
  w.kernel.assign(kernel.begin(), kernel.end());
  if (llvm::any_of(kernel, [](int64_t k) { return k < 1; }))
    return nodeError(node, ErrorCode::BadModel,
                     "kernel " + dimsToString(kernel) + " has an extent below 1");
  auto strides = readPerAxis(node, "strides", rank, 1, 1);
  if (!strides) return strides.takeError();
  auto dilations = readPerAxis(node, "dilations", rank, 1, 1);
  if (!dilations) return dilations.takeError();
  auto pads = readPerAxis(node, "pads", 2 * rank, 0, 0);
  if (!pads) return pads.takeError();
  w.strides = std::move(*strides);
  w.dilations = std::move(*dilations);

  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad.empty()) autoPad = "NOTSET";
  if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" &&
      autoPad != "VALID")
    return nodeError(node, ErrorCode::BadModel,
                     "attribute 'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, "
                     "got \"" +
                         autoPad + "\"");
  int64_t ceilMode = allowCeilMode ? node.getInt("ceil_mode", 0) : 0;
  if (ceilMode != 0 && ceilMode != 1)
    return nodeError(node, ErrorCode::BadModel,
                     "attribute 'ceil_mode' must be 0 or 1, got " + llvm::Twine(ceilMode));

  w.padsBegin.assign(rank, 0);
  w.padsEnd.assign(rank, 0);
  w.outDims.assign(rank, 0);
  for (size_t i = 0; i < rank; ++i) {
    int64_t in = inSpatial[i], stride = w.strides[i];
    if (w.kernel[i] - 1 > kMaxTensorElements / w.dilations[i])
      return nodeError(node, ErrorCode::BadModel,
                       "kernel " + dimsToString(kernel) + " with dilations " +
                           dimsToString(w.dilations) + " spans more than " +
                           llvm::Twine(kMaxTensorElements) + " elements");
    int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      // Output covers ceil(in / stride) windows; the padding needed is split evenly, the odd
      // element going to the end (UPPER) or the beginning (LOWER).
      int64_t out = ceilDiv(in, stride);
      int64_t total = std::max<int64_t>(0, (out - 1) * stride + extent - in);
      int64_t half = total / 2;
      w.padsBegin[i] = autoPad == "SAME_UPPER" ? half : total - half;
      w.padsEnd[i] = total - w.padsBegin[i];
      w.outDims[i] = out;
      continue;
    }
    if (autoPad == "NOTSET") {
      w.padsBegin[i] = (*pads)[i];
      w.padsEnd[i] = (*pads)[rank + i];
    }
    int64_t span = in + w.padsBegin[i] + w.padsEnd[i] - extent;
    if (span < 0) continue; // Reported below with all axes.
    int64_t out = (ceilMode ? ceilDiv(span, stride) : span / stride) + 1;
    // With ceil_mode the last window must still start inside the input or its left padding.
    if (ceilMode && (out - 1) * stride >= in + w.padsBegin[i]) --out;
    w.outDims[i] = out;
  }
  if (llvm::any_of(w.outDims, [](int64_t d) { return d < 1; })) {
    Dims allPads(w.padsBegin);
    allPads.append(w.padsEnd.begin(), w.padsEnd.end());
    return nodeError(node, ErrorCode::Shape,
                     "input spatial dims " + dimsToString(inSpatial) +
                         " are too small for kernel " + dimsToString(kernel) + " with dilations " +
                         dimsToString(w.dilations) + " and pads " + dimsToString(allPads));
  }
  return w;
}

Window3D toWindow3D(const SpatialWindow &window, llvm::ArrayRef<int64_t> inSpatial) {
  assert(inSpatial.size() >= 1 && inSpatial.size() <= 3 && "1 to 3 spatial axes");
  Window3D w;
  w.in.fill(1);
  w.out.fill(1);
  w.kernel.fill(1);
  w.stride.fill(1);
  w.dilation.fill(1);
  w.padBegin.fill(0);
  size_t skip = 3 - inSpatial.size();
  for (size_t i = 0; i < inSpatial.size(); ++i) {
    w.in[skip + i] = inSpatial[i];
    w.out[skip + i] = window.outDims[i];
    w.kernel[skip + i] = window.kernel[i];
    w.stride[skip + i] = window.strides[i];
    w.dilation[skip + i] = window.dilations[i];
    w.padBegin[skip + i] = window.padsBegin[i];
  }
  return w;
}

} // namespace spcc
