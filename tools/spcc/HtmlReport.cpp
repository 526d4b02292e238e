//===- HtmlReport.cpp - spcc --report FILE.html: the report as one page --===//
//
// One self-contained page: inline CSS and SVG, no script, no reference to anything outside it.
// Every string that comes from the model or the command line goes through escape(); times that
// the cost model decided (NaN) are labelled as such, never drawn as zero.
//
//===----------------------------------------------------------------------===//
#include "tools/spcc/HtmlReport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

namespace spcc {
namespace {

// Character references, so the C++ source stays ASCII.
constexpr const char *kMicro = "&#181;";
constexpr const char *kTimes = "&#215;";
constexpr const char *kDash = "&#8211;";
constexpr const char *kEllipsis = "&#8230;";

/// \p text with HTML's special characters as character references: safe as text and as a quoted
/// attribute value.
std::string escape(llvm::StringRef text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

/// \p name escaped, or its last \p maxBytes bytes (whole UTF-8 characters) after an ellipsis.
std::string shortName(llvm::StringRef name, size_t maxBytes) {
  if (name.size() <= maxBytes) return escape(name);
  size_t start = name.size() - maxBytes;
  while (start < name.size() && (static_cast<unsigned char>(name[start]) & 0xC0) == 0x80) ++start;
  return kEllipsis + escape(name.substr(start));
}

/// "104.4 KiB"-style size.
std::string formatSize(int64_t bytes) {
  if (bytes < 1024) return llvm::formatv("{0} B", bytes).str();
  if (bytes < 1024 * 1024) return llvm::formatv("{0:f1} KiB", bytes / 1024.0).str();
  return llvm::formatv("{0:f1} MiB", bytes / (1024.0 * 1024.0)).str();
}

/// A size with its exact bytes on hover.
std::string sizeCell(int64_t bytes) {
  return llvm::formatv("<td class=\"num\" title=\"{0} bytes\">{1}</td>", bytes, formatSize(bytes));
}

/// Microseconds of \p seconds, or a dash when the cost model decided (NaN).
std::string microseconds(double seconds) {
  if (std::isnan(seconds)) return kDash;
  return llvm::formatv("{0:f2}", seconds * 1e6).str();
}

/// A step of 1, 2 or 5 times a power of ten that divides [0, max] into at most 6 parts.
double tickStep(double max) {
  double power = std::pow(10.0, std::floor(std::log10(max / 6)));
  for (double factor : {1.0, 2.0, 5.0})
    if (max / (factor * power) <= 6) return factor * power;
  return 10 * power;
}

constexpr const char *kStyle = R"(<style>
body { font: 14px/1.45 "DejaVu Sans", Arial, sans-serif; margin: 24px 32px; color: #222; }
h1 { font-size: 21px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 30px 0 8px; }
table { border-collapse: collapse; }
table.layers { font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: middle; }
thead th { border-bottom: 2px solid #888; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.header th { font-weight: normal; color: #555; }
td.name { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; min-width: 12em;
          word-break: break-all; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
svg text { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 12px; fill: #222; }
svg text.costmodel { fill: #777; font-style: italic; }
svg text.value { fill: #444; }
svg line.grid { stroke: #e2e2e2; }
rect.sparse { fill: #2f6db5; }
rect.dense { fill: #e08a2c; }
rect.arena { fill: #4a9a5b; }
rect.unshared { fill: #9a9a9a; }
svg.density { border: 1px solid #888; display: block; }
p.note { color: #555; font-size: 13px; }
</style>
)";

void writeHeader(llvm::raw_ostream &os, const ReportHeader &header, const CompileReport &report) {
  size_t sparse = llvm::count_if(report.layers, [](const LayerReport &l) { return l.sparse; });
  std::string target = escape(header.target);
  if (report.target != header.target) target += " (code for " + escape(report.target) + ")";
  std::string rows[][2] = {
      {"model", "<code>" + escape(header.modelPath) + "</code>"},
      {"output", "<code>" + escape(header.outputPath) + "</code>"},
      {"target", target},
      {"kernel library", escape(report.kernelLevel)},
      {"compile time",
       llvm::formatv("{0:f2} s (tuning {1:f2} s, code generation {2:f2} s, linking {3:f2} s)",
                     header.compileSeconds, report.tuneSeconds, report.codegenSeconds,
                     report.linkSeconds)},
      {".so size", llvm::formatv("{0} ({1} bytes)", formatSize(report.sharedLibraryBytes),
                                 report.sharedLibraryBytes)},
      {"nodes", std::to_string(header.nodes)},
      {"weight layers", llvm::formatv("{0} ({1} sparse, {2} dense)", report.layers.size(), sparse,
                                      report.layers.size() - sparse)},
  };
  os << "<h1>spcc compile report</h1>\n<table class=\"header\">\n";
  for (const auto &[name, value] : rows)
    os << "<tr><th>" << name << "</th><td>" << value << "</td></tr>\n";
  os << "</table>\n";
}

/// One horizontal bar with its value after it, or "cost model" where \p seconds is NaN.
void writeBar(llvm::raw_ostream &os, const char *kind, double seconds, double x, double y,
              double height, double pixelsPerSecond) {
  if (std::isnan(seconds)) {
    os << llvm::formatv("<text class=\"costmodel\" x=\"{0}\" y=\"{1:f1}\">{2}: cost model</text>\n",
                        x + 4, y + height - 3, kind);
    return;
  }
  double width = std::max(1.0, seconds * pixelsPerSecond);
  os << llvm::formatv("<rect class=\"{0} bar\" x=\"{1}\" y=\"{2:f1}\" width=\"{3:f1}\" "
                      "height=\"{4}\"><title>{0}: {5} {6}s</title></rect>\n",
                      kind, x, y, width, height, microseconds(seconds), kMicro);
  os << llvm::formatv("<text class=\"value\" x=\"{0:f1}\" y=\"{1:f1}\">{2} {3}s</text>\n",
                      x + width + 5, y + height - 3, microseconds(seconds), kMicro);
}

/// Per layer, the tuned sparse code's time against the dense kernel's, on one linear scale.
void writeTimeChart(llvm::raw_ostream &os, const CompileReport &report) {
  constexpr int labelWidth = 300, barsLeft = 312, barsWidth = 520, width = 960;
  constexpr int top = 56, rowHeight = 44, barHeight = 15;
  double maxSeconds = 0;
  for (const LayerReport &layer : report.layers)
    for (double seconds : {layer.sparseSeconds, layer.denseSeconds})
      if (!std::isnan(seconds)) maxSeconds = std::max(maxSeconds, seconds);
  int64_t height = top + rowHeight * int64_t(report.layers.size()) + 8;
  os << "<h2>Time per run: tuned sparse code against the dense kernel</h2>\n";
  os << llvm::formatv(
      "<svg class=\"times\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n", width,
      height);
  // The legend.
  os << llvm::formatv("<rect class=\"sparse\" x=\"{0}\" y=\"4\" width=\"14\" height=\"14\"/>"
                      "<text x=\"{1}\" y=\"16\">tuned sparse code</text>\n"
                      "<rect class=\"dense\" x=\"{2}\" y=\"4\" width=\"14\" height=\"14\"/>"
                      "<text x=\"{3}\" y=\"16\">dense kernel</text>\n",
                      barsLeft, barsLeft + 20, barsLeft + 160, barsLeft + 180);
  // The axis, when anything was measured.
  double pixelsPerSecond = maxSeconds > 0 ? barsWidth / maxSeconds : 0;
  if (maxSeconds > 0) {
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">{2}s per run</text>\n",
                        labelWidth, top - 16, kMicro);
    double step = tickStep(maxSeconds * 1e6);
    for (double tick = 0; tick <= maxSeconds * 1e6 * (1 + 1e-9); tick += step) {
      double x = barsLeft + tick * 1e-6 * pixelsPerSecond;
      os << llvm::formatv("<line class=\"grid\" x1=\"{0:f1}\" y1=\"{1}\" x2=\"{0:f1}\" "
                          "y2=\"{2}\"/><text x=\"{0:f1}\" y=\"{3}\" text-anchor=\"middle\">{4}"
                          "</text>\n",
                          x, top - 12, height - 8, top - 16, llvm::format("%g", tick));
    }
  }
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const LayerReport &layer = report.layers[i];
    double y = top + rowHeight * double(i);
    os << llvm::formatv("<g class=\"layer-times\" data-layer=\"{0}\">\n", escape(layer.name));
    os << llvm::formatv("<text x=\"{0}\" y=\"{1:f1}\" text-anchor=\"end\"><title>{2}</title>{3}"
                        "</text>\n",
                        labelWidth, y + barHeight + 6, escape(layer.name),
                        shortName(layer.name, 40));
    if (std::isnan(layer.sparseSeconds) && std::isnan(layer.denseSeconds)) {
      os << llvm::formatv("<text class=\"costmodel\" x=\"{0}\" y=\"{1:f1}\">cost model (not "
                          "measured: the kernel was chosen by estimate)</text>\n",
                          barsLeft + 4, y + barHeight + 6);
    } else {
      writeBar(os, "sparse", layer.sparseSeconds, barsLeft, y + 2, barHeight, pixelsPerSecond);
      writeBar(os, "dense", layer.denseSeconds, barsLeft, y + 4 + barHeight, barHeight,
               pixelsPerSecond);
    }
    os << "</g>\n";
  }
  os << "</svg>\n";
}

/// The layer's density grid as an image: one grey cell per grid cell, darker where denser (the
/// square root of the density, so a 90%-pruned layer's pattern still shows).
void writeDensityImage(llvm::raw_ostream &os, const LayerReport &layer) {
  if (layer.density.empty()) {
    os << kDash;
    return;
  }
  int64_t cellPixels = std::max<int64_t>(3, 96 / std::max(layer.densityRows, layer.densityCols));
  float maxDensity = *std::max_element(layer.density.begin(), layer.density.end());
  os << llvm::formatv(
      "<svg class=\"density\" data-rows=\"{0}\" data-cols=\"{1}\" width=\"{2}\" height=\"{3}\" "
      "viewBox=\"0 0 {1} {0}\" "
      "shape-rendering=\"crispEdges\"><title>{4} x {5} weights in {0} x {1} cells; densest "
      "cell {6:f1} % nonzero</title>\n",
      layer.densityRows, layer.densityCols, layer.densityCols * cellPixels,
      layer.densityRows * cellPixels, layer.m, layer.k, maxDensity * 100.0);
  for (int64_t i = 0; i < layer.densityRows; ++i) {
    for (int64_t j = 0; j < layer.densityCols; ++j) {
      float density = layer.density[size_t(i * layer.densityCols + j)];
      auto grey = unsigned(std::lround(255.0 * (1.0 - std::sqrt(std::clamp(density, 0.0f, 1.0f)))));
      os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"1\" height=\"1\" "
                          "fill=\"#{2:x-2}{2:x-2}{2:x-2}\"/>",
                          j, i, grey);
    }
    os << "\n";
  }
  os << "</svg>";
}

void writeLayerTable(llvm::raw_ostream &os, const CompileReport &report,
                     const std::string &heading) {
  os << "<h2>" << escape(heading)
     << "</h2>\n<table class=\"layers\">\n<thead><tr><th>layer</th><th>op</th>"
        "<th class=\"num\">M "
     << kTimes << " K " << kTimes
     << " N</th><th class=\"num\">sparsity</th><th>kernel</th><th>fused epilogue</th>"
        "<th class=\"num\">sparse "
     << kMicro << "s</th><th class=\"num\">dense " << kMicro
     << "s</th><th class=\"num\">speedup</th><th class=\"num\">CSR</th><th class=\"num\">code</th>"
        "<th>weight pattern</th></tr></thead>\n<tbody>\n";
  for (const LayerReport &layer : report.layers) {
    std::string kernel =
        layer.sparse ? "sparse <code>" + escape(layer.tiling) + "</code>" : std::string("dense");
    std::vector<std::string> fused;
    for (const std::string &what : layer.fused) fused.push_back(escape(what));
    double speedup = layer.denseSeconds / layer.sparseSeconds;
    os << llvm::formatv("<tr class=\"layer\" data-layer=\"{0}\"><td class=\"name\">{0}</td>"
                        "<td>{1}</td><td class=\"num\">{2} {3} {4} {3} {5}</td>"
                        "<td class=\"num sparsity\">{6:f1} %</td><td class=\"kernel\">{7}</td>"
                        "<td>{8}</td>",
                        escape(layer.name), escape(layer.op), layer.m, kTimes, layer.k, layer.n,
                        layer.sparsity * 100.0, kernel,
                        fused.empty() ? std::string(kDash) : llvm::join(fused, " + "));
    os << llvm::formatv("<td class=\"num\">{0}</td><td class=\"num\">{1}</td><td class=\"num\">{2}"
                        "</td>",
                        microseconds(layer.sparseSeconds), microseconds(layer.denseSeconds),
                        !std::isfinite(speedup)
                            ? std::string(kDash)
                            : llvm::formatv("{0:f2}{1}", speedup, kTimes).str());
    os << sizeCell(layer.csrBytes)
       << (layer.sparse ? sizeCell(layer.codeBytes)
                        : "<td class=\"num\">" + std::string(kDash) + "</td>")
       << "<td>";
    writeDensityImage(os, layer);
    os << "</td></tr>\n";
  }
  os << "</tbody>\n</table>\n<p class=\"note\">Speedup: the dense kernel's time over the sparse "
        "code's; "
     << kDash
     << " where the cost model chose the kernel without measuring. CSR: the weights as float "
        "values, int32 columns and row starts. Code: the generated layer's object code and "
        "data. Weight pattern: the M "
     << kTimes << " K weight matrix (M rows: the output features) as a grid of at most "
     << kMaxDensityCells
     << " cells a side, each cell's grey the share of nonzeros among the weights it covers "
        "(white: none, black: all; on a square-root scale).</p>\n";
}

/// The activation arena with buffer reuse against every intermediate in bytes of its own.
void writeArena(llvm::raw_ostream &os, const ReportHeader &header) {
  constexpr int left = 230, barsWidth = 480, barHeight = 18;
  double maxBytes =
      double(std::max<int64_t>({header.arenaBytes, header.arenaBytesWithoutReuse, 1}));
  struct Bar {
    const char *label, *kind;
    int64_t bytes;
  } bars[] = {{"arena (buffers reused)", "arena", header.arenaBytes},
              {"sum of intermediates (no reuse)", "unshared", header.arenaBytesWithoutReuse}};
  os << "<h2>Activation arena</h2>\n"
        "<svg class=\"arena\" width=\"960\" height=\"64\" viewBox=\"0 0 960 64\">\n";
  for (size_t i = 0; i < 2; ++i) {
    int y = 6 + int(i) * (barHeight + 10);
    double width = bars[i].bytes ? std::max(1.0, double(bars[i].bytes) / maxBytes * barsWidth) : 0;
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">{2}</text>"
                        "<rect class=\"{3}\" x=\"{4}\" y=\"{5}\" width=\"{6:f1}\" "
                        "height=\"{7}\"/><text class=\"value\" x=\"{8:f1}\" y=\"{1}\">{9} "
                        "({10} bytes)</text>\n",
                        left - 10, y + barHeight - 4, bars[i].label, bars[i].kind, left, y, width,
                        barHeight, left + width + 6, formatSize(bars[i].bytes), bars[i].bytes);
  }
  os << "</svg>\n";
  if (header.arenaBytesWithoutReuse > 0)
    os << llvm::formatv("<p class=\"note\">Reusing buffers saves {0:f1} % of the intermediates' "
                        "bytes.</p>\n",
                        100.0 * double(header.arenaBytesWithoutReuse - header.arenaBytes) /
                            double(header.arenaBytesWithoutReuse));
}

} // namespace

void writeHtmlReport(llvm::raw_ostream &os, const ReportHeader &header,
                     const CompileReport &report) {
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>spcc "
        "report: "
     << escape(header.modelPath) << "</title>\n"
     << kStyle << "</head>\n<body>\n";
  writeHeader(os, header, report);
  writeTimeChart(os, report);
  // A multi-level file: the highest level's layers, then each lower level's.
  writeLayerTable(os, report,
                  report.lowerLevels.empty() ? "Weight layers"
                                             : "Weight layers: code for " + report.target);
  for (const CompileReport &level : report.lowerLevels)
    writeLayerTable(os, level, "Weight layers: code for " + level.target);
  writeArena(os, header);
  os << "</body>\n</html>\n";
}

} // namespace spcc
