#!/usr/bin/env python3
"""Gather indices that come from the caller: negative ones wrap, out-of-range ones fail the run.

check_gather_indices.py SPCC SPCC_RUN SOURCE_DIR WORK_DIR

An embedding lookup (Gather of a constant [10, 4] table by an int64 input) compiled twice: with
fixed shapes and with a run-time batch (--shape ids=Nx3).
1. Indices in [-10, 10), negative ones included: the compiled model, the reference evaluation
   and ONNX Runtime agree.
2. An index of 10 or -11: spcc-run on the .so exits 2 with one line naming the node, the
   input and the valid range (a run-time batch also names the sample); the reference
   evaluation refuses it too. Nothing is silently zero.
Exits 0 when all of this holds, 1 otherwise.
"""
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MESSAGE = r"node 'embed' \(Gather\): an index in 'ids' is outside \[-10, 10\)"


def build_model(path):
    table = np.arange(40, dtype=np.float32).reshape(10, 4) * 0.5 - 3.0
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["rows"], name="embed", axis=0),
         helper.make_node("Relu", ["rows"], ["y"])],
        "embedding",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, 4])],
        [numpy_helper.from_array(table, "table")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return result.returncode, result.stderr.strip()


def main():
    if len(sys.argv) != 5:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    spcc, spcc_run, source_dir, work = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "embedding.onnx")
    build_model(model)
    failures = []

    def check(condition, what):
        print(("ok: " if condition else "FAILED: ") + what)
        if not condition:
            failures.append(what)

    fixed = os.path.join(work, "embedding.so")
    batched = os.path.join(work, "embedding-batched.so")
    for library, shape in [(fixed, "ids=2x3"), (batched, "ids=Nx3")]:
        rc, err = run([spcc, model, "--shape", shape, "-o", library, "--tune=none"])
        if rc != 0:
            print("spcc failed (exit %d): %s" % (rc, err))
            return 1

    good = os.path.join(work, "good.npy")
    np.save(good, np.array([[0, 9, -1], [-10, 4, 5]], np.int64))
    outputs = {}
    for kind, command in [("compiled", [spcc_run, fixed, "-i", "ids=" + good]),
                          ("batched", [spcc_run, batched, "-i", "ids=" + good]),
                          ("reference", [spcc_run, model, "--shape", "ids=2x3",
                                         "-i", "ids=" + good])]:
        out_dir = os.path.join(work, "good." + kind)
        rc, err = run(command + ["-o", out_dir])
        check(rc == 0, "%s run with indices in range (exit %d %s)" % (kind, rc, err))
        outputs[kind] = np.load(os.path.join(out_dir, "y.npy")) if rc == 0 else None
    ort_dir = os.path.join(work, "good.onnxruntime")
    os.makedirs(ort_dir, exist_ok=True)
    rc, err = run([os.environ.get("NODE", "node"),
                   os.path.join(source_dir, "tools", "oracle", "run_ort.js"), model, ort_dir,
                   "ids=" + good])
    check(rc == 0, "ONNX Runtime run (%s)" % err)
    expected = np.load(os.path.join(ort_dir, "y.npy")) if rc == 0 else None
    for kind, actual in outputs.items():
        check(actual is not None and expected is not None and np.array_equal(actual, expected),
              "%s output equals ONNX Runtime's, negative indices wrapped" % kind)

    for bad_ids, sample in [([[0, 1, 2], [3, 10, 4]], 1), ([[-11, 1, 2], [3, 4, 5]], 0)]:
        bad = os.path.join(work, "bad.npy")
        np.save(bad, np.array(bad_ids, np.int64))
        rc, err = run([spcc_run, fixed, "-i", "ids=" + bad])
        check(rc == 2 and len(err.splitlines()) == 1 and re.search(MESSAGE, err),
              "compiled run of %s: exit 2 and one line naming node and range (exit %d: %s)"
              % (bad_ids, rc, err))
        rc, err = run([spcc_run, batched, "-i", "ids=" + bad])
        check(rc == 2 and re.search(r"sample %d: %s" % (sample, MESSAGE), err),
              "batched run of %s: exit 2 naming sample %d (exit %d: %s)"
              % (bad_ids, sample, rc, err))
        rc, err = run([spcc_run, model, "--shape", "ids=2x3", "-i", "ids=" + bad])
        check(rc != 0 and "is out of range for an axis of size 10" in err,
              "reference run of %s refused (exit %d: %s)" % (bad_ids, rc, err))
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
