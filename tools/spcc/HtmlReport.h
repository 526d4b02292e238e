//===- HtmlReport.h - spcc --report FILE.html: the report as one page ----===//
#ifndef SPCC_TOOLS_SPCC_HTMLREPORT_H
#define SPCC_TOOLS_SPCC_HTMLREPORT_H

#include "backends/common/CompileReport.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace spcc {

/// What a --report document says about the whole compilation besides the CompileReport.
struct ReportHeader {
  std::string modelPath, outputPath;
  std::string target; ///< the --target name
  int64_t nodes = 0;  ///< nodes of the graph after the pass pipeline
  /// The activation arena's bytes, and the sum of every intermediate's bytes (no reuse).
  int64_t arenaBytes = 0, arenaBytesWithoutReuse = 0;
  double compileSeconds = 0; ///< import to link
};

/// Writes \p header and \p report as one self-contained HTML page: a header, a bar chart of each
/// layer's tuned sparse and dense times, a table of the layers with an image of each weight's
/// density grid, and the arena against the sum of intermediates. Inline CSS and SVG only: no
/// script, nothing fetched. Every name and path is escaped.
void writeHtmlReport(llvm::raw_ostream &os, const ReportHeader &header,
                     const CompileReport &report);

} // namespace spcc

#endif
