"""check_report.py SPCC MODEL WORKDIR: compiles MODEL with --report and checks the JSON and the
table on stderr: every weight layer listed with its shape, sparsity, fused epilogue, kernel,
sizes and times, and the arena against the naive sum."""
import json
import os
import subprocess
import sys

spcc, model, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
library = os.path.join(work, "model.so")
report_path = os.path.join(work, "report.json")
# x86-64-v3: its 8-float vectors make the cost model choose sparse code for the demo's
# one-column products at 90% (x86-64-v4's 16-float vectors, mostly idle at one column, do not).
result = subprocess.run([spcc, model, "-o", library, "--tune", "none", "--target", "x86-64-v3",
                         "--report", report_path],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
assert result.returncode == 0, result.stderr
assert "sparsity" in result.stderr and "tiling" in result.stderr, result.stderr

report = json.load(open(report_path))
assert report["model"] == model
assert 0 < report["arena_bytes"] <= report["arena_bytes_without_reuse"], report
compile_ = report["compile"]
assert compile_["shared_library_bytes"] == os.path.getsize(library)
layers = compile_["layers"]
assert layers, "no weight layers reported"
for layer in layers:
    for key in ("name", "op", "m", "k", "n", "sparsity", "fused", "kernel", "csr_bytes"):
        assert key in layer, (key, layer)
    assert layer["m"] > 0 and layer["k"] > 0 and layer["n"] > 0, layer
    assert 0.0 <= layer["sparsity"] <= 1.0, layer
    # --tune none: the cost model decides, nothing is measured.
    assert layer["sparse_seconds"] is None and layer["dense_seconds"] is None, layer
    if layer["kernel"] == "sparse":
        assert layer["code_bytes"] > 0 and layer["tiling"], layer
# The demo MLP is 90% pruned: its weight layers are sparse and carry their bias.
assert any(layer["kernel"] == "sparse" and layer["sparsity"] > 0.85 for layer in layers), layers
assert all("bias" in layer["fused"] for layer in layers), layers
assert compile_["tune_threads"] == 0, compile_  # nothing timed
assert compile_["lower_levels"] == [], compile_["lower_levels"]  # one level

# Two levels in one file: the report describes the highest, the lower one rides along with
# its own layers; the stderr table has one table per level, lowest first.
result = subprocess.run([spcc, model, "-o", library, "--tune", "none",
                         "--target", "x86-64-v3,x86-64-v4", "--report", report_path],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
assert result.returncode == 0, result.stderr
both = json.load(open(report_path))["compile"]
assert both["target"].startswith("x86-64-v4 (of x86-64-v3 + x86-64-v4)"), both["target"]
assert [level["target"] for level in both["lower_levels"]] == ["x86-64-v3"], both["lower_levels"]
lower = both["lower_levels"][0]
assert lower["lower_levels"] == [] and lower["kernel_library"] == "x86-64-v3", lower
assert [layer["name"] for layer in lower["layers"]] == [layer["name"] for layer in layers]
first, second = result.stderr.find("code for x86-64-v3:"), result.stderr.find("code for x86-64-v4")
assert 0 <= first < second, result.stderr

# Tuned: the times are measured, on one thread unless --tune-threads says otherwise.
for flags, threads in (([], 1), (["--tune-threads", "2"], 2)):
    result = subprocess.run([spcc, model, "-o", library, "--target", "x86-64-v3", "--tune-cache=",
                             "--report", report_path] + flags,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 0, result.stderr
    tuned = json.load(open(report_path))["compile"]
    assert tuned["tune_threads"] == threads, (flags, tuned["tune_threads"])
    assert any(layer["dense_seconds"] is not None for layer in tuned["layers"]), tuned["layers"]
print("ok: %d layers reported" % len(layers))
