#!/usr/bin/python3
"""One real architecture from models/export_zoo.py, dense and pruned, compiled and checked.

check_zoo.py NAME SPCC SPCC_RUN SOURCE_DIR WORK_DIR [ATOL]

Exports NAME (unless WORK_DIR already holds it), then for each of NAME-dense.onnx and
NAME-s90.onnx and each of its input sets (NAME.inputs/K/): runs ONNX Runtime 1.30
(tools/oracle/run_ort.js), compiles the model with `spcc -o` for the inputs' shapes (tuning by
the cost model, so the test does not depend on timings), runs the .so with spcc-run and
compares the outputs with tools/compare_outputs.py at rtol 1e-3, atol 1e-4 (or ATOL: the
model's own tolerance from `export_zoo.py --list`).
Also fails when the expected output is degenerate (its standard deviation below 1e-3, where an
absolute tolerance would hide errors) or when the pruned model has no layer that runs
generated sparse code. Each checked variant's line (errors, output spread, sparse layers, times) also goes to
WORK_DIR/STEM.K.result.txt. Exits 0 when both variants agree, 1 otherwise.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

RTOL = 1e-3
ATOL = 1e-4


def run(cmd, **kwargs):
    started = time.monotonic()
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **kwargs)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-4000:])
        raise SystemExit("check_zoo: %s failed (exit %d)" % (os.path.basename(cmd[0])
                                                               if cmd[0] != "node" else cmd[1],
                                                               result.returncode))
    return result.stdout, seconds


def check_variant(stem, inputs, spcc, spcc_run, source_dir, work_dir, pruned):
    model = os.path.join(work_dir, stem + ".onnx")
    tag = stem + "." + os.path.basename(inputs)
    ort_dir = os.path.join(work_dir, tag + ".ort")
    spcc_dir = os.path.join(work_dir, tag + ".spcc")
    library = os.path.join(work_dir, tag + ".so")
    report = os.path.join(work_dir, tag + ".json")
    feeds, shapes = [], []
    for file in sorted(os.listdir(inputs)):
        name = file[:-len(".npy")]
        feeds.append(name + "=" + os.path.join(inputs, file))
        dims = np.load(os.path.join(inputs, file), mmap_mode="r").shape
        shapes += ["--shape", name + "=" + "x".join(str(d) for d in dims)]
    _, ort_seconds = run(["node", os.path.join(source_dir, "tools/oracle/run_ort.js"), model,
                          ort_dir] + feeds)
    _, compile_seconds = run([spcc, model] + shapes +
                             ["--tune=none", "-o", library, "--report", report])
    run_args = []
    for feed in feeds:
        run_args += ["-i", feed]
    _, run_seconds = run([spcc_run, library] + run_args + ["-o", spcc_dir])
    compared, _ = run([sys.executable, os.path.join(source_dir, "tools/compare_outputs.py"),
                       spcc_dir, ort_dir, "--rtol", str(RTOL), "--atol", str(ATOL)])

    expected = np.load(os.path.join(ort_dir, "y.npy"))
    spread = float(expected.std())
    layers = json.load(open(report))["compile"]["layers"]
    sparse = sum(1 for layer in layers if layer["kernel"] == "sparse")
    line = ("%s: %s; output std %.3g; %d of %d weight layers sparse; compile %.1f s, "
            "ORT %.1f s, spcc-run %.1f s, .so %.1f MB"
            % (tag, compared.strip().replace("\n", "; "), spread, sparse, len(layers),
               compile_seconds, ort_seconds, run_seconds, os.path.getsize(library) / 1e6))
    print(line)
    with open(os.path.join(work_dir, tag + ".result.txt"), "w") as result:
        result.write(line + "\n")
    ok = True
    if spread < 1e-3:
        print("check_zoo: %s: the expected output is degenerate (std %.3g)" % (tag, spread))
        ok = False
    if pruned and sparse == 0:
        print("check_zoo: %s: no layer runs generated sparse code" % tag)
        ok = False
    os.remove(library)  # the large ones would fill the build folder
    return ok


def main(argv):
    global ATOL
    if len(argv) not in (6, 7):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    name, spcc, spcc_run, source_dir, work_dir = argv[1:6]
    if len(argv) == 7:
        ATOL = float(argv[6])
    os.makedirs(work_dir, exist_ok=True)
    stems = [name + "-dense", name + "-s90"]
    if not all(os.path.exists(os.path.join(work_dir, s + ".onnx")) for s in stems):
        run([sys.executable, os.path.join(source_dir, "models/export_zoo.py"), "--out", work_dir,
             "--only", name])
    inputs = os.path.join(work_dir, name + ".inputs")
    ok = True
    for stem in stems:
        for input_set in sorted(os.listdir(inputs)):
            ok &= check_variant(stem, os.path.join(inputs, input_set), spcc, spcc_run,
                                source_dir, work_dir, pruned=not stem.endswith("dense"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
