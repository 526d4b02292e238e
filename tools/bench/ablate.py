#!/usr/bin/python3
"""What each pass contributes to a model's speed: compiles it with every pass, then once per
ablation with that pass (or comma-separated group) disabled, and times all of them interleaved.

Usage:
    /usr/bin/python3 tools/bench/ablate.py MODEL [--work DIR] [--reps N] [--seconds T]
                                           [--ablate PASSES]...

MODEL is a name whose DIR/MODEL.onnx exists (tools/bench/compare.py exports it; default DIR
build/bench). Each --ablate is a --disable-pass value, or a compiler flag starting with "--"
(default: fuse-epilogues; recognize-gelu,recognize-layer-norm; fuse-attention; fold-batch-norm;
--token-major, which keeps layout selection from passing activations feature-major between
sparse MatMuls, layer norms and attention; --no-permute, which computes every layer's rows in stored order;
memory-planning, which lays every buffer out separately instead of reusing bytes). A build
byte-identical to the full pipeline's (the pass found nothing to do in this model) is reported
as such and not timed. Every other build then runs build/tools/spcc-bench alternately, N
repetitions (default 3) of T seconds (default 3) each, sync (2 threads) and async (2 streams x
1 thread). The table gives medians and each ablation's slowdown against the full pipeline
(above 1: the disabled pass was helping).
"""

import argparse
import filecmp
import json
import os
import statistics
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_ABLATIONS = ["fuse-epilogues", "recognize-gelu,recognize-layer-norm", "fuse-attention",
                     "fold-batch-norm", "--token-major", "--no-permute", "memory-planning"]


def compile_variant(args, onnx_path, shapes, label, disabled):
    so_path = os.path.join(args.work, "%s.ablate-%s.so" % (args.model, label))
    command = [args.spcc, onnx_path, "-o", so_path, "--target", "host"]
    for shape in shapes:
        command += ["--shape", shape]
    if disabled.startswith("--"):
        command.append(disabled)
    elif disabled:
        command.append("--disable-pass=" + disabled)
    subprocess.run(command, check=True)
    return so_path


def bench(args, so_path, mode):
    command = [args.bench, so_path, "--mode", mode, "--seconds", str(args.seconds), "--json"]
    command += ["--threads", "2"] if mode == "sync" else ["--streams", "2"]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            check=True)
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--work", default=os.path.join(REPO_ROOT, "build", "bench"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--ablate", action="append", metavar="PASSES")
    parser.add_argument("--spcc", default=os.path.join(REPO_ROOT, "build", "tools", "spcc"))
    parser.add_argument("--bench", default=os.path.join(REPO_ROOT, "build", "tools", "spcc-bench"))
    args = parser.parse_args()
    onnx_path = os.path.join(args.work, args.model + ".onnx")
    if not os.path.exists(onnx_path):
        sys.exit("ablate: %s does not exist (export it with tools/bench/compare.py)" % onnx_path)
    shape_file = os.path.join(args.work, args.model + ".shape")
    shapes = open(shape_file).read().split() if os.path.exists(shape_file) else []

    variants = [("all passes", "")] + [(a if a.startswith("--") else "no " + a, a)
                                       for a in (args.ablate or DEFAULT_ABLATIONS)]
    builds, unchanged = [], []
    for i, (label, disabled) in enumerate(variants):
        print("compiling %s (%s) ..." % (args.model, label), file=sys.stderr)
        so_path = compile_variant(args, onnx_path, shapes, str(i), disabled)
        if builds and filecmp.cmp(so_path, builds[0][1], shallow=False):
            unchanged.append(label)
        else:
            builds.append((label, so_path))

    print("| %s | sync 2t ms | slowdown | async 2x1t inf/s | slowdown |" % args.model)
    print("| --- | --- | --- | --- | --- |")
    results = {label: {"sync": [], "async": []} for label, _ in builds}
    for rep in range(args.reps):
        for mode in ("sync", "async"):
            for label, so_path in builds:
                results[label][mode].append(bench(args, so_path, mode))
        print("  rep %d done" % (rep + 1), file=sys.stderr)
    base = results[builds[0][0]]
    base_latency = statistics.median(r["latency_ms_median"] for r in base["sync"])
    base_throughput = statistics.median(r["throughput_per_s"] for r in base["async"])
    for label, _ in builds:
        latency = statistics.median(r["latency_ms_median"] for r in results[label]["sync"])
        throughput = statistics.median(r["throughput_per_s"] for r in results[label]["async"])
        print("| %s | %.2f | %.2fx | %.1f | %.2fx |" % (
            label, latency, latency / base_latency, throughput, base_throughput / throughput))
    for label in unchanged:
        print("| %s | same .so as all passes | | | |" % label)


if __name__ == "__main__":
    main()
