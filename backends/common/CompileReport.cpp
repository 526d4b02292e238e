//===- CompileReport.cpp - What spcc -o decided and produced, per layer --===//
#include "backends/common/CompileReport.h"
#include "compiler/ir/SparseTensor.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

namespace spcc {
namespace {

std::string milliseconds(double seconds) {
  if (std::isnan(seconds)) return "-";
  return llvm::formatv("{0:f3}", seconds * 1e3).str();
}

/// Measured seconds, or null when the cost model decided.
llvm::json::Value secondsOrNull(double seconds) {
  if (std::isnan(seconds)) return nullptr;
  return seconds;
}

/// Cells of a side of \p length scaled by \p scale: at least 1 (none for an empty side).
int64_t scaledCells(int64_t length, double scale) {
  if (length == 0) return 0;
  return std::max<int64_t>(1, std::llround(double(length) * scale));
}

} // namespace

void setDensityGrid(LayerReport &layer, const SparseTensor &a, int64_t maxCells) {
  int64_t rows = a.getRows(), cols = a.getCols();
  double scale = std::min(1.0, double(maxCells) / double(std::max<int64_t>({rows, cols, 1})));
  int64_t gridRows = scaledCells(rows, scale), gridCols = scaledCells(cols, scale);
  // Row r falls in grid row r * gridRows / rows: every grid row covers at least one row.
  std::vector<int64_t> rowsIn(size_t(gridRows), 0), colsIn(size_t(gridCols), 0);
  std::vector<int64_t> nonzeros(size_t(gridRows * gridCols), 0);
  for (int64_t c = 0; c < cols; ++c) ++colsIn[size_t(c * gridCols / cols)];
  llvm::ArrayRef<int64_t> rowStart = a.getRowStart();
  llvm::ArrayRef<int32_t> colIndex = a.getColIndex();
  for (int64_t r = 0; r < rows; ++r) {
    int64_t gridRow = r * gridRows / rows;
    ++rowsIn[size_t(gridRow)];
    for (int64_t i = rowStart[size_t(r)]; i < rowStart[size_t(r) + 1]; ++i)
      ++nonzeros[size_t(gridRow * gridCols + colIndex[size_t(i)] * gridCols / cols)];
  }
  layer.densityRows = gridRows;
  layer.densityCols = gridCols;
  layer.density.assign(nonzeros.size(), 0.0f);
  for (int64_t i = 0; i < gridRows; ++i)
    for (int64_t j = 0; j < gridCols; ++j) {
      size_t cell = size_t(i * gridCols + j);
      layer.density[cell] =
          float(double(nonzeros[cell]) / double(rowsIn[size_t(i)] * colsIn[size_t(j)]));
    }
}

namespace {

void printOneLevel(llvm::raw_ostream &os, const CompileReport &report) {
  os << llvm::formatv("{0,-28} {1,-11} {2,-18} {3,8} {4,-16} {5,-8} {6,-30} {7,10} {8,10} {9,9} "
                      "{10,9} {11,-13} {12}\n",
                      "layer", "op", "m x k x n", "sparsity", "fused", "kernel", "tiling",
                      "sparse ms", "dense ms", "code KiB", "CSR KiB", "feature-major",
                      "decided by");
  for (const LayerReport &layer : report.layers) {
    std::string name = layer.name;
    if (name.size() > 28) name = "..." + name.substr(name.size() - 25);
    std::string shape = llvm::formatv("{0}x{1}x{2}", layer.m, layer.k, layer.n);
    std::string fused = llvm::join(layer.fused, "+");
    const char *featureMajor = layer.featureMajorInput
                                   ? (layer.featureMajorOutput ? "in+out" : "in")
                                   : (layer.featureMajorOutput ? "out" : "-");
    os << llvm::formatv("{0,-28} {1,-11} {2,-18} {3,8:f3} {4,-16} {5,-8} {6,-30} {7,10} {8,10} "
                        "{9,9:f1} {10,9:f1} {11,-13} {12}\n",
                        name, layer.op, shape, layer.sparsity, fused.empty() ? "-" : fused,
                        layer.sparse ? "sparse" : "dense", layer.sparse ? layer.tiling : "-",
                        milliseconds(layer.sparseSeconds), milliseconds(layer.denseSeconds),
                        layer.codeBytes / 1024.0, layer.csrBytes / 1024.0, featureMajor,
                        layer.decidedBy.empty() ? "-" : layer.decidedBy);
  }
}

} // namespace

void printLayerTable(llvm::raw_ostream &os, const CompileReport &report) {
  if (report.lowerLevels.empty()) return printOneLevel(os, report);
  auto printLevel = [&](const CompileReport &level) {
    os << "code for " << level.target << ":\n";
    printOneLevel(os, level);
  };
  for (const CompileReport &level : report.lowerLevels) printLevel(level);
  printLevel(report);
}

llvm::json::Value toJson(const CompileReport &report) {
  llvm::json::Array lowerLevels;
  for (const CompileReport &level : report.lowerLevels) lowerLevels.push_back(toJson(level));
  llvm::json::Array layers;
  for (const LayerReport &layer : report.layers) {
    llvm::json::Array fused;
    for (const std::string &what : layer.fused) fused.push_back(what);
    llvm::json::Object entry{
        {"name", layer.name},
        {"op", layer.op},
        {"m", layer.m},
        {"k", layer.k},
        {"n", layer.n},
        {"sparsity", layer.sparsity},
        {"fused", std::move(fused)},
        {"kernel", layer.sparse ? "sparse" : "dense"},
        {"sparse_seconds", secondsOrNull(layer.sparseSeconds)},
        {"dense_seconds", secondsOrNull(layer.denseSeconds)},
        {"decided_by", layer.decidedBy},
        {"csr_bytes", layer.csrBytes},
    };
    llvm::json::Array trials;
    for (const auto &[tiling, seconds] : layer.trials)
      trials.push_back(llvm::json::Object{{"tiling", tiling}, {"seconds", secondsOrNull(seconds)}});
    entry["trials"] = std::move(trials);
    if (layer.sparse) {
      entry["tiling"] = layer.tiling;
      entry["code_bytes"] = layer.codeBytes;
      entry["codegen_seconds"] = layer.codegenSeconds;
      entry["feature_major_input"] = layer.featureMajorInput;
      entry["feature_major_output"] = layer.featureMajorOutput;
    }
    llvm::json::Array density;
    for (float fraction : layer.density) density.push_back(std::round(fraction * 1e4) / 1e4);
    entry["density_rows"] = layer.densityRows;
    entry["density_cols"] = layer.densityCols;
    entry["density"] = std::move(density);
    layers.push_back(std::move(entry));
  }
  return llvm::json::Object{
      {"target", report.target},
      {"kernel_library", report.kernelLevel},
      {"object_bytes", report.objectBytes},
      {"shared_library_bytes", report.sharedLibraryBytes},
      {"tune_seconds", report.tuneSeconds},
      {"tune_threads", report.tuneThreads},
      {"codegen_seconds", report.codegenSeconds},
      {"link_seconds", report.linkSeconds},
      {"layers", std::move(layers)},
      {"lower_levels", std::move(lowerLevels)},
  };
}

} // namespace spcc
