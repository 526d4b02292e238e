"""check_report_html.py SPCC MODEL WORKDIR: `spcc --report FILE.html` writes one self-contained
page that says what the JSON says.

1. MODEL compiled with --report out.html and with --report out.json: the page parses with
   html.parser, every tag closed in order; each layer of the JSON appears in the table by name
   with its sparsity and kernel (and tiling), and with one density image of the JSON's grid size
   (at most 32 cells a side, aspect kept), one cell per grid cell; in the time chart the
   cost-modelled layers (--tune none) are labelled "cost model", not drawn as bars; the header
   names the model and output, the arena section its two byte counts; nothing refers outside
   the page (no http:, https:, src=, script, link, url(), @import).
2. A two-MatMul model whose first node is named <script>alert(1)</script> (a 64 x 64 weight,
   about 90% zeros, denser in its first 16 rows; then a 64 x 100 weight whose grid cells are
   uneven), written to a name ending in .Html (the rule ignores case) and tuned (the JSON's
   compile reads the decisions from the tuning cache): the name appears as text, never as a
   tag; each layer's density grid in the JSON and the grey of every cell in the page match the
   grid computed here from the weights; each measured time is a bar and each unmeasured one a
   "cost model" label. Under a file size limit that the .so fits and the page does not, the
   compile fails with exit 3 naming the page.
3. Both pages rendered by headless Chromium (where `chromium` is on PATH; else a SKIP line): the
   PNG decodes (zlib, filters undone here), is 1200 x 1600, not one colour, and shows the
   colours of the bars it should.
"""
import html.parser
import json
import math
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

spcc, model, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
MAX_CELLS = 32
SCRIPT_NAME = "<script>alert(1)</script>"
# rect.sparse, rect.dense and rect.arena in the page's style sheet.
SPARSE_RGB, DENSE_RGB, ARENA_RGB = (0x2F, 0x6D, 0xB5), (0xE0, 0x8A, 0x2C), (0x4A, 0x9A, 0x5B)


def compile_model(path, report, *flags):
    library = os.path.join(work, os.path.splitext(os.path.basename(report))[0] + ".so")
    report = os.path.join(work, report)
    result = subprocess.run([spcc, path, "-o", library, "--report", report] + list(flags),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 0, result.stderr
    return report, library


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.parts = tag, dict(attrs), parent, [], []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        return "".join(part if isinstance(part, str) else part.text() for part in self.parts)

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag, cls=None):
        return [e for e in self.iter() if e.tag == tag and (cls is None or cls in e.classes())]


class PageParser(html.parser.HTMLParser):
    """A tree of the page; a closing tag that does not close the innermost open one fails."""
    VOID = {"meta", "br", "wbr", "img", "hr", "input", "link", "col", "area", "base", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [], None)
        self.open = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.open)
        self.open.children.append(element)
        self.open.parts.append(element)
        if tag not in self.VOID:
            self.open = element

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, attrs, self.open)
        self.open.children.append(element)
        self.open.parts.append(element)

    def handle_endtag(self, tag):
        assert self.open.tag == tag, "</%s> closes <%s>" % (tag, self.open.tag)
        self.open = self.open.parent

    def handle_data(self, data):
        self.open.parts.append(data)


def parse_page(path):
    text = open(path, encoding="utf-8").read()
    parser = PageParser()
    parser.feed(text)
    parser.close()
    assert parser.open is parser.root, "<%s> is never closed" % parser.open.tag
    assert text.startswith("<!DOCTYPE html>"), text[:40]
    lowered = text.lower()
    for external in ("http:", "https:", "src=", "<script", "<link", "url(", "@import"):
        assert external not in lowered, "%s: refers outside the page (%s)" % (path, external)
    return text, parser.root


def grid_size(rows, cols):
    """The density grid's cells for a rows x cols weight, as setDensityGrid rounds them."""
    scale = min(1.0, MAX_CELLS / max(rows, cols, 1))
    return tuple(0 if n == 0 else max(1, int(math.floor(n * scale + 0.5))) for n in (rows, cols))


def density_grid(a):
    """Each cell's fraction of nonzeros in a, row r in grid row r * grid_rows // rows."""
    rows, cols = a.shape
    grid_rows, grid_cols = grid_size(rows, cols)
    row_cell = np.arange(rows) * grid_rows // rows
    col_cell = np.arange(cols) * grid_cols // cols
    nonzeros = np.zeros((grid_rows, grid_cols))
    np.add.at(nonzeros, (row_cell[:, None], col_cell[None, :]), (a != 0).astype(float))
    return nonzeros / np.outer(np.bincount(row_cell), np.bincount(col_cell))


def cell_text(row, cls):
    cells = [td for td in row.find_all("td") if cls in td.classes()]
    assert len(cells) == 1, (cls, row.attrs)
    return cells[0].text()


def check_page(page_path, json_path):
    """Part 1 and the checks part 2 shares: the page against the JSON of the same model."""
    text, root = parse_page(page_path)
    document = json.load(open(json_path))
    layers = document["compile"]["layers"]
    rows = {tr.attrs["data-layer"]: tr for tr in root.find_all("tr", "layer")}
    charts = {g.attrs["data-layer"]: g for g in root.find_all("g", "layer-times")}
    assert len(rows) == len(layers) and len(charts) == len(layers), (len(rows), len(layers))
    assert len(root.find_all("svg", "density")) == len(layers)
    for layer in layers:
        name = layer["name"]
        assert name in rows and name in charts, (name, sorted(rows))
        row = rows[name]
        assert cell_text(row, "name") == name, cell_text(row, "name")
        sparsity = "%.1f %%" % (layer["sparsity"] * 100)
        assert cell_text(row, "sparsity") == sparsity, (cell_text(row, "sparsity"), sparsity)
        kernel = cell_text(row, "kernel")
        assert kernel.split()[0] == layer["kernel"], (kernel, layer["kernel"])
        if layer["kernel"] == "sparse":
            assert layer["tiling"] in kernel, (kernel, layer["tiling"])
        # The density image: the JSON's grid, one rect per cell.
        expected = grid_size(layer["m"], layer["k"])
        assert (layer["density_rows"], layer["density_cols"]) == expected, (layer["m"], layer["k"])
        assert len(layer["density"]) == expected[0] * expected[1]
        assert all(0.0 <= d <= 1.0 for d in layer["density"])
        images = row.find_all("svg", "density")
        assert len(images) == 1, name
        image = images[0]
        assert (int(image.attrs["data-rows"]), int(image.attrs["data-cols"])) == expected
        cells = image.find_all("rect")
        assert len(cells) == expected[0] * expected[1], (len(cells), expected)
        # The chart: a bar per measured time, a "cost model" label where the JSON has null.
        chart = charts[name]
        bars = chart.find_all("rect", "bar")
        labels = [t.text() for t in chart.find_all("text", "costmodel")]
        measured = [s is not None for s in (layer.get("sparse_seconds"), layer.get("dense_seconds"))]
        assert len(bars) == sum(measured), (name, len(bars), measured)
        assert all(float(bar.attrs["width"]) > 0 for bar in bars), name
        assert bool(labels) == (not all(measured)), (name, labels, measured)
        assert all("cost model" in label for label in labels), labels
    header = root.find_all("table", "header")[0].text()
    assert document["model"] in header and document["output"] in header, header
    arena = root.find_all("svg", "arena")[0].text()
    for key in ("arena_bytes", "arena_bytes_without_reuse"):
        assert "(%d bytes)" % document[key] in arena, (key, arena)
    return text, root, layers


def cell_greys(image):
    """{(row, col): grey} of a density image's cells."""
    greys = {}
    for rect in image.find_all("rect"):
        fill = rect.attrs["fill"]
        assert len(fill) == 7 and fill[1:3] == fill[3:5] == fill[5:7], fill
        greys[(int(rect.attrs["y"]), int(rect.attrs["x"]))] = int(fill[1:3], 16)
    return greys


def read_png(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s: not a PNG" % path
    position, chunks = 8, {}
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.setdefault(kind, []).append(data[position + 8:position + 8 + length])
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    pixel = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    stride = width * pixel
    assert len(raw) == height * (stride + 1), "truncated image data"
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(pixel, stride): line[i] = (line[i] + line[i - pixel]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - pixel] if i >= pixel else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - pixel] if i >= pixel else 0
                b, c = previous[i], previous[i - pixel] if i >= pixel else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, "unknown PNG filter %d" % kind
        rows.append(line)
        previous = line
    return width, height, pixel, rows


def check_screenshot(page_path, png_path, colours):
    """Renders the page; the PNG is 1200 x 1600, not one colour, and holds every RGB of colours."""
    if os.path.exists(png_path):
        os.remove(png_path)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--user-data-dir=" + os.path.join(work, "chromium-profile"),
                    "--screenshot=" + png_path, "--window-size=1200,1600",
                    "file://" + os.path.abspath(page_path)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
    assert os.path.exists(png_path), "chromium wrote no screenshot of " + page_path
    assert os.path.getsize(png_path) > 10000, "screenshot of %d bytes" % os.path.getsize(png_path)
    width, height, pixel, rows = read_png(png_path)
    assert (width, height) == (1200, 1600), (width, height)
    seen = set()
    for line in rows:
        seen.update(bytes(line[i:i + 3]) for i in range(0, len(line), pixel))
    assert len(seen) > 16, "the screenshot has %d colours" % len(seen)
    for rgb in colours:
        near = [c for c in seen if max(abs(c[i] - rgb[i]) for i in range(3)) <= 4]
        assert near, "no pixel of colour #%02x%02x%02x in %s" % (rgb + (png_path,))
    print("ok: %s rendered, %d colours (%s)" % (os.path.basename(png_path), len(seen), png_path))


# 1. The demo model, cost-modelled: its page against its JSON.
demo_page, demo_library = compile_model(model, "demo.html", "--tune", "none")
demo_json, _ = compile_model(model, "demo.json", "--tune", "none")
_, _, demo_layers = check_page(demo_page, demo_json)
assert all(layer["sparse_seconds"] is None for layer in demo_layers)
print("ok: demo page lists %d layers as the JSON does" % len(demo_layers))

# A file of two ISA levels: a layer table per level, the highest first, each headed by its code.
levels_page, _ = compile_model(model, "levels.html", "--tune", "none",
                               "--target", "x86-64-v3,x86-64-v4")
levels_text, levels_root = parse_page(levels_page)
headings = [h for h in re.findall(r"<h2>([^<]*)</h2>", levels_text) if "Weight layers" in h]
assert headings == ["Weight layers: code for x86-64-v4 (of x86-64-v3 + x86-64-v4)",
                    "Weight layers: code for x86-64-v3"], headings
assert len(levels_root.find_all("tr", "layer")) == 2 * len(demo_layers)
print("ok: a two-level page has a layer table per level")

# 2. A node name that is markup, and density grids checked cell by cell: a 64 x 64 weight (grid
# cells of 2 x 2 weights) and a 64 x 100 one (A 100 x 64 in a 32 x 20 grid: uneven cells).
rng = np.random.default_rng(7)
keep = rng.random((64, 64)) < np.where(np.arange(64)[:, None] < 16, 0.35, 0.02)
weight = np.where(keep, rng.standard_normal((64, 64)), 0).astype(np.float32)
assert 0.85 < 1 - keep.mean() < 0.95, keep.mean()
keep = rng.random((64, 100)) < np.where(np.arange(100)[None, :] < 30, 0.25, 0.04)
uneven = np.where(keep, rng.standard_normal((64, 100)), 0).astype(np.float32)
weights = {SCRIPT_NAME: weight, "uneven": uneven}
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["h"], name=SCRIPT_NAME),
     helper.make_node("MatMul", ["h", "w2"], ["y"], name="uneven")], "escape",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 100])],
    [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(uneven, "w2")])
escape_model = os.path.join(work, "escape.onnx")
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), escape_model)
# Tuned once: the second compile takes the first one's decisions and times from the cache.
tune_cache = os.path.join(work, "tune.txt")
if os.path.exists(tune_cache):
    os.remove(tune_cache)
tuned = ["--tune", "fast", "--tune-cache", tune_cache]
escape_page, _ = compile_model(escape_model, "escape.Html", *tuned)
escape_json, _ = compile_model(escape_model, "escape.json", *tuned)
text, root, escape_layers = check_page(escape_page, escape_json)
assert sorted(layer["name"] for layer in escape_layers) == sorted(weights)
assert SCRIPT_NAME not in text and "<script" not in text.lower()
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
assert not root.find_all("script")
images = {tr.attrs["data-layer"]: tr.find_all("svg", "density")[0]
          for tr in root.find_all("tr", "layer")}
for layer in escape_layers:
    # A MatMul's A is the transpose of its weight: [output features, inputs].
    expected = density_grid(weights[layer["name"]].T)
    got = np.array(layer["density"]).reshape(layer["density_rows"], layer["density_cols"])
    assert got.shape == expected.shape and np.abs(got - expected).max() <= 1e-4 + 1e-6, layer["name"]
    greys = cell_greys(images[layer["name"]])
    assert len(greys) == expected.size
    for (i, j), grey in greys.items():
        want = round(255 * (1 - math.sqrt(expected[i, j])))
        assert abs(grey - want) <= 1, (layer["name"], (i, j), grey, want)
print("ok: %s escaped; the 32 x 32 and 32 x 20 density grids match the weights" % SCRIPT_NAME)

# A page that cannot be written fails as the JSON does (finishWriting): exit 3 naming the file.
# The cached decision recompiles the same .so; a file size limit above it stops the page.
library_bytes = os.path.getsize(os.path.join(work, "escape.so"))
if os.path.getsize(escape_page) > library_bytes + 8192:
    limit = library_bytes + 4096
    full = os.path.join(work, "full.html")
    result = subprocess.run(
        [spcc, escape_model, "-o", os.path.join(work, "full.so"), "--report", full] + tuned,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert "spcc: error: cannot write --report file '%s': File too large" % full in result.stderr, \
        result.stderr
    print("ok: a page over the file size limit fails with exit 3")
else:
    print("note: the page is not larger than the .so; its write failure is not checked")

# 3. Both pages as Chromium draws them.
CHROMIUM = shutil.which("chromium")
if not CHROMIUM:
    print("SKIP: chromium not found, screenshot not checked")
else:
    check_screenshot(demo_page, os.path.join(work, "demo.png"), [ARENA_RGB])
    measured = [SPARSE_RGB] * any(l["sparse_seconds"] is not None for l in escape_layers)
    measured += [DENSE_RGB] * any(l["dense_seconds"] is not None for l in escape_layers)
    check_screenshot(escape_page, os.path.join(work, "escape.png"), [ARENA_RGB] + measured)
print("ok: report pages checked")
