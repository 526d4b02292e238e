//===- CompileReport.h - What spcc -o decided and produced, per layer ----===//
//
// Filled by compileModel; printed as the per-layer table of `spcc -v` and written as JSON by
// `spcc --report FILE.json` (as a page by `--report FILE.html`, tools/spcc/HtmlReport).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_COMPILEREPORT_H
#define SPCC_BACKENDS_COMMON_COMPILEREPORT_H

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace spcc {

class SparseTensor;

/// One weight layer that could run sparse.
struct LayerReport {
  std::string name;            ///< the node's name (its first output's when unnamed)
  std::string op;              ///< Conv, FusedConv, MatMul, FusedMatMul, Gemm
  int64_t m = 0, k = 0, n = 0; ///< the product C[m x n] = A[m x k] * B[k x n]
  double sparsity = 0;
  std::vector<std::string> fused; ///< what the epilogue applies: "bias", "residual", activation
  bool sparse = false;            ///< generated sparse code (else the dense kernel)
  std::string tiling;             ///< SpmmTiling::describe() of the sparse code
  /// The activation arrives / the result leaves feature-major, without a transpose
  /// (LayoutSelection).
  bool featureMajorInput = false, featureMajorOutput = false;
  double sparseSeconds = 0, denseSeconds = 0; ///< measured per run; NaN: cost model
  std::string decidedBy; ///< KernelChoice::decidedBy: measured, cost model (why) or tuning cache
  int64_t csrBytes = 0;  ///< the weights as CSR: float values, int32 columns and row starts
  int64_t codeBytes = 0; ///< object code and data of the generated layer (0 when dense)
  double codegenSeconds = 0; ///< LLVM code generation of the layer's module
  /// Every tiling measured this compilation, with its seconds per run (empty when the choice
  /// came from the tuning cache).
  std::vector<std::pair<std::string, double>> trials;
  /// The weights' sparsity pattern: the fraction of nonzeros (0 to 1) in each cell of a
  /// densityRows x densityCols grid laid over the m x k matrix, row-major (setDensityGrid).
  int64_t densityRows = 0, densityCols = 0;
  std::vector<float> density;
};

struct CompileReport {
  std::string target;      ///< CPU or ISA level the code was generated for
  std::string kernelLevel; ///< ISA level of the dense kernel library linked in
  std::vector<LayerReport> layers;
  int64_t objectBytes = 0; ///< all object code and data before linking
  int64_t sharedLibraryBytes = 0;
  double tuneSeconds = 0, codegenSeconds = 0, linkSeconds = 0;
  int tuneThreads = 0; ///< threads the layers' times are measured on (0: none measured)
  /// A compile for several ISA levels (`--target x86-64-v3,x86-64-v4`): this report describes
  /// the highest level, these the others, lowest first, each tuned or cost-modelled on its own.
  std::vector<CompileReport> lowerLevels;
};

/// The most cells setDensityGrid gives a grid's longer side.
constexpr int64_t kMaxDensityCells = 32;

/// Sets \p layer's density grid from its weights \p a: a grid of a's own size when neither side
/// is longer than \p maxCells, else a's shape scaled down to \p maxCells cells on its longer
/// side (at least 1 on the other); each cell covers whole rows and columns of a.
void setDensityGrid(LayerReport &layer, const SparseTensor &a, int64_t maxCells = kMaxDensityCells);

/// The human-readable table: one row per layer; with lower levels, a table per level, lowest
/// first, each under a line naming its code.
void printLayerTable(llvm::raw_ostream &os, const CompileReport &report);

/// The report as JSON; a layer's density grid as density_rows, density_cols and density (its
/// values rounded to 1e-4); lower levels as lower_levels, each an object of the same keys.
llvm::json::Value toJson(const CompileReport &report);

} // namespace spcc

#endif
