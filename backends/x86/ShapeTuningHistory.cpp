//===- ShapeTuningHistory.cpp - What earlier layers of a shape ran fastest -===//
#include "backends/x86/ShapeTuningHistory.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spcc::x86 {

std::string layerShapeKey(const SparseLayer &layer, int64_t unrolledBudget) {
  const SparseTensor &a = layer.spec.weights;
  int64_t cells = a.getRows() * a.getCols();
  int64_t densityPercent =
      cells > 0 ? int64_t(std::lround(100.0 * double(a.getNumNonZeros()) / double(cells))) : 0;
  std::string key;
  for (int64_t value : layer.shapeFields()) key += std::to_string(value) + ",";
  key += std::to_string(densityPercent) + "," + std::to_string(unrolledBudget) + ",";
  // A convolution's taps: where each column of A reads B.
  llvm::ArrayRef<uint8_t> offsets(reinterpret_cast<const uint8_t *>(layer.spec.bRowOffsets.data()),
                                  layer.spec.bRowOffsets.size() *
                                      sizeof(layer.spec.bRowOffsets[0]));
  return key + llvm::utohexstr(llvm::xxh3_64bits(offsets));
}

std::vector<SpmmTiling> ShapeTuningHistory::closeTilings(const std::string &shapeKey) const {
  auto found = tunedInFull.find(shapeKey);
  if (found == tunedInFull.end() || found->second.size() < kLayersTunedInFull) return {};
  // Each tiling's best ratio to its layer's fastest, over the layers tuned in full: the
  // kFastestKept fastest of each, where within kCloseMargin.
  std::vector<std::pair<double, SpmmTiling>> close;
  for (std::vector<TuningTrial> trials : found->second) {
    std::sort(trials.begin(), trials.end(),
              [](const TuningTrial &x, const TuningTrial &y) { return x.seconds < y.seconds; });
    if (trials.empty() || !std::isfinite(trials.front().seconds)) continue;
    double fastest = trials.front().seconds;
    for (size_t i = 0; i < trials.size() && i < kFastestKept; ++i) {
      double ratio = trials[i].seconds / fastest;
      if (!(ratio <= kCloseMargin)) break;
      auto same = std::find_if(close.begin(), close.end(),
                               [&](const auto &entry) { return entry.second == trials[i].tiling; });
      if (same == close.end())
        close.push_back({ratio, trials[i].tiling});
      else
        same->first = std::min(same->first, ratio);
    }
  }
  // Ties by name, so the order does not depend on the trials' order.
  std::sort(close.begin(), close.end(), [](const auto &x, const auto &y) {
    return x.first < y.first || (x.first == y.first && x.second.describe() < y.second.describe());
  });
  std::vector<SpmmTiling> tilings;
  for (const auto &[ratio, tiling] : close) tilings.push_back(tiling);
  return tilings;
}

void ShapeTuningHistory::recordFullTuning(const std::string &shapeKey,
                                          const std::vector<TuningTrial> &trials) {
  if (!trials.empty()) tunedInFull[shapeKey].push_back(trials);
}

} // namespace spcc::x86
