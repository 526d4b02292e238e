#!/usr/bin/python3
"""Per-sample speed of a model compiled once with a run-time batch, against its static twin.

Usage:
    /usr/bin/python3 tools/bench/batch.py [STATIC BATCHED] [--batches 1,3,8] [--fixed 4]
                                          [--work DIR] [--reps N] [--seconds T]
                                          [--modes sync,async]

STATIC and BATCHED (default bert_base_95 and bert_base_95_batched: the same weights, the second
exported with a dynamic batch axis) are names known to models/export_models.py; each is exported
into the work directory (default build/bench) unless DIR/NAME.onnx exists. STATIC compiles with
its fixed shapes (DIR/NAME.shape), BATCHED with dim 0 of each input left to run time
(`--shape input_ids=Nx128 ...`), and for each --fixed size B (default none) BATCHED once more
with dim 0 fixed to B (`--shape input_ids=Bx128`: one graph over the whole batch). Then
build/tools/spcc-bench runs the static model, the batched one at every batch size and the fixed
ones alternately, N repetitions (default 3) of T seconds (default 3):
    sync   one context with --threads threads (default 2): latency per run, divided by the batch;
    async  --streams contexts of one thread (default 2): samples per second.
The table gives medians over the repetitions and each batch's per-sample time relative to the
static model (1.00: the same per-sample speed).
"""

import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import REPO_ROOT, export, run_json  # noqa: E402


def compile_model(args, onnx_path, shapes, so_path):
    command = [args.spcc, onnx_path, "-o", so_path, "--target", "host"]
    for shape in shapes:
        command += ["--shape", shape]
    subprocess.run(command, check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("static", nargs="?", default="bert_base_95")
    parser.add_argument("batched", nargs="?", default="bert_base_95_batched")
    parser.add_argument("--batches", default="1,3,8")
    parser.add_argument("--fixed", default="")
    parser.add_argument("--work", default=os.path.join(REPO_ROOT, "build", "bench"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--streams", type=int, default=2)
    parser.add_argument("--modes", default="sync,async")
    parser.add_argument("--spcc", default=os.path.join(REPO_ROOT, "build", "tools", "spcc"))
    parser.add_argument("--bench", default=os.path.join(REPO_ROOT, "build", "tools", "spcc-bench"))
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")]
    fixed = [int(b) for b in args.fixed.split(",") if b]

    static_onnx, static_shapes = export(args.static, args.work)
    batched_onnx, batched_shapes = export(args.batched, args.work)
    # Dim 0 of every dynamic input becomes N, the run-time batch: input_ids=1x128 -> Nx128.
    batched_shapes = ["%s=N%s" % (name, dims[dims.index("x"):])
                      for name, dims in (s.split("=") for s in batched_shapes)]
    static_so = os.path.join(args.work, args.static + ".batch-static.so")
    batched_so = os.path.join(args.work, args.batched + ".batch-N.so")
    compile_model(args, static_onnx, static_shapes, static_so)
    compile_model(args, batched_onnx, batched_shapes, batched_so)
    fixed_sos = []
    for b in fixed:
        so = os.path.join(args.work, "%s.batch-%d.so" % (args.batched, b))
        compile_model(args, batched_onnx, [s.replace("=N", "=%d" % b, 1) for s in batched_shapes],
                      so)
        fixed_sos.append(("B=%d" % b, so, b))

    rows = []
    cpu = "unknown CPU"
    for mode in args.modes.split(","):
        common = ["--mode", mode, "--seconds", str(args.seconds), "--json"]
        common += (["--threads", str(args.threads)] if mode == "sync"
                   else ["--streams", str(args.streams)])
        variants = [("static", static_so, 1)] + [("N=%d" % b, batched_so, b) for b in batches]
        variants += fixed_sos
        results = {label: [] for label, _, _ in variants}
        for rep in range(args.reps):
            for label, so, batch in variants:
                if label.startswith("B="):
                    # A fixed batch runs as one sample of B rows.
                    result = run_json([args.bench, so] + common)
                    result["latency_ms_per_sample"] = result["latency_ms_median"] / batch
                    result["samples_per_s"] = result["throughput_per_s"] * batch
                else:
                    result = run_json([args.bench, so, "--batch", str(batch)] + common)
                results[label].append(result)
                cpu = result.get("cpu", cpu)
                print("  %s %s rep %d: %.3f ms per sample, %.1f samples/s" % (
                    mode, label, rep + 1, result["latency_ms_per_sample"],
                    result["samples_per_s"]), file=sys.stderr)
        base = None
        for label, _, batch in variants:
            if mode == "sync":
                value = statistics.median(r["latency_ms_per_sample"] for r in results[label])
            else:
                value = statistics.median(r["samples_per_s"] for r in results[label])
            base = base or value
            ratio = value / base if mode == "sync" else base / value
            rows.append((mode, label, batch, value, ratio))

    print("\nMeasured on %s:" % cpu)
    print("%-6s %-8s %6s %22s %16s" % ("mode", "model", "batch", "per sample", "vs static"))
    for mode, label, batch, value, ratio in rows:
        text = "%.2f ms" % value if mode == "sync" else "%.1f samples/s" % value
        print("%-6s %-8s %6d %22s %15.2fx" % (mode, label, batch, text, ratio))
    print("(vs static: per-sample time relative to the static model, below 1.00 = faster; "
          "N=b: run-time batch b; B=b: compiled for batch b)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
