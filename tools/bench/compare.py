#!/usr/bin/python3
"""Benchmarks spcc against ONNX Runtime on the same models, interleaved.

Usage:
    /usr/bin/python3 tools/bench/compare.py MODEL... [--work DIR] [--reps N] [--seconds T]
                                            [--threads N] [--streams S] [--json FILE]

For each MODEL (a name known to models/export_models.py, e.g. bert_base, mobilenet_v1,
bert_tiny): exports it into the work directory unless DIR/MODEL.onnx exists (default
build/bench), compiles it with `spcc MODEL.onnx -o MODEL.so --target host` (timed) and with
`--dense` (every layer on the dense kernels: spcc's own dense baseline), then runs
build/tools/spcc-bench on both and tools/oracle/bench_ort.js alternately, spcc, spcc dense, ORT,
spcc, ... (N repetitions each, default 3) in two configurations:
    sync   one context / session with --threads threads (default 2), latency per run;
    async  --streams contexts / sessions of one thread each (default 2), throughput.
Each repetition measures for T seconds (default 3). The table shows the median over the
repetitions of each run's median latency and of its throughput, with the ratios dense/spcc and
ORT/spcc latency (above 1: spcc is faster) and spcc/ORT throughput (above 1: spcc is faster),
under a line naming the processor (/proc/cpuinfo's model name, family and model, as spcc-bench
reports it) and the code level spcc's model runs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_json(command):
    """Runs a benchmark command; returns the JSON object it prints on stdout."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit("compare: %s failed (exit %d): %s" % (
            os.path.basename(command[0 if command[0] != "node" else 1]), result.returncode,
            result.stderr.strip()))
    return json.loads(result.stdout)


def export(name, work):
    """Exports model NAME into WORK unless WORK/NAME.onnx exists; returns its path and the
    --shape values of its .shape file (none without one)."""
    onnx_path = os.path.join(work, name + ".onnx")
    if not os.path.exists(onnx_path):
        print("exporting %s into %s ..." % (name, work), file=sys.stderr)
        subprocess.run(["/usr/bin/python3", os.path.join(REPO_ROOT, "models", "export_models.py"),
                        "--out", work, "--only", name], check=True, stdout=subprocess.DEVNULL)
    shape_file = os.path.join(work, name + ".shape")
    shapes = []
    if os.path.exists(shape_file):
        with open(shape_file) as f:
            shapes = f.read().split()
    return onnx_path, shapes


def prepare(name, args):
    """Exports (if needed) and compiles one model; returns its paths, shape flags and compile
    facts."""
    onnx_path, shapes = export(name, args.work)
    so_path = os.path.join(args.work, name + ".so")
    command = [args.spcc, onnx_path, "-o", so_path, "--target", "host"]
    for shape in shapes:
        command += ["--shape", shape]
    start = time.monotonic()
    subprocess.run(command, check=True)
    compile_seconds = time.monotonic() - start
    dense_path = os.path.join(args.work, name + ".dense.so")
    subprocess.run(command[:3] + [dense_path] + command[4:] + ["--dense"], check=True)
    return {
        "name": name, "onnx": onnx_path, "so": so_path, "dense_so": dense_path, "shapes": shapes,
        "compile_s": compile_seconds, "so_bytes": os.path.getsize(so_path),
        "onnx_bytes": os.path.getsize(onnx_path),
    }


def round_trips(result):
    """", cores 55/61 ns": spcc-bench's cache-line round trip between two CPUs before and after
    a multi-thread run (hundreds of ns: the cores share no cache and such a run slows down)."""
    before, after = result.get("core_round_trip_ns_before"), result.get("core_round_trip_ns_after")
    if before is None or after is None:
        return ""
    return ", cores %.0f/%.0f ns" % (before, after)


def measure(model, mode, args):
    """Interleaved repetitions of spcc-bench and bench_ort.js; returns the raw results."""
    common = ["--mode", mode, "--seconds", str(args.seconds), "--json"]
    common += ["--threads", str(args.threads)] if mode == "sync" else ["--streams", str(args.streams)]
    spcc_command = [args.bench, model["so"]] + common
    dense_command = [args.bench, model["dense_so"]] + common
    ort_command = ["node", os.path.join(REPO_ROOT, "tools", "oracle", "bench_ort.js"),
                   model["onnx"]] + common
    for shape in model["shapes"]:
        ort_command += ["--shape", shape]
    results = {"spcc": [], "dense": [], "ort": []}
    for rep in range(args.reps):
        results["spcc"].append(run_json(spcc_command))
        results["dense"].append(run_json(dense_command))
        results["ort"].append(run_json(ort_command))
        print("  %s %s rep %d: spcc %.3f ms %.1f/s, spcc dense %.3f ms, ort %.3f ms %.1f/s%s" % (
            model["name"], mode, rep + 1,
            results["spcc"][-1]["latency_ms_median"], results["spcc"][-1]["throughput_per_s"],
            results["dense"][-1]["latency_ms_median"],
            results["ort"][-1]["latency_ms_median"], results["ort"][-1]["throughput_per_s"],
            round_trips(results["spcc"][-1])), file=sys.stderr)
    return results


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def format_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("%.0f %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1024.0


def measured_on(rows):
    """The processor and spcc's code level the figures come from, as spcc-bench reports them."""
    first = rows[0][2]["spcc"][0]
    return "%s, spcc device %s" % (first.get("cpu", "unknown CPU"), first.get("device", "?"))


def print_tables(rows, args):
    print("Measured on %s:" % measured_on(rows))
    print()
    header = ("model", "mode", "spcc ms", "spcc dense ms", "ORT ms", "dense/spcc lat",
              "ORT/spcc lat", "spcc inf/s", "ORT inf/s", "spcc/ORT thr")
    lines = [header]
    for model, mode, results in rows:
        s, d, o = results["spcc"], results["dense"], results["ort"]
        config = "sync %dt" % args.threads if mode == "sync" else "async %dx1t" % args.streams
        lat_s, lat_o = median_of(s, "latency_ms_median"), median_of(o, "latency_ms_median")
        lat_d = median_of(d, "latency_ms_median")
        thr_s, thr_o = median_of(s, "throughput_per_s"), median_of(o, "throughput_per_s")
        lines.append((model["name"], config, "%.3f" % lat_s, "%.3f" % lat_d, "%.3f" % lat_o,
                      "%.2fx" % (lat_d / lat_s), "%.2fx" % (lat_o / lat_s), "%.1f" % thr_s,
                      "%.1f" % thr_o, "%.2fx" % (thr_s / thr_o)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
    print()
    print("| model | spcc compile | .so size | .onnx size |")
    print("|---|---|---|---|")
    seen = set()
    for model, _, _ in rows:
        if model["name"] in seen:
            continue
        seen.add(model["name"])
        print("| %s | %.2f s | %s | %s |" % (model["name"], model["compile_s"],
                                            format_bytes(model["so_bytes"]),
                                            format_bytes(model["onnx_bytes"])))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="MODEL")
    parser.add_argument("--work", default=os.path.join(REPO_ROOT, "build", "bench"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--streams", type=int, default=2)
    parser.add_argument("--modes", default="sync,async", help="comma-separated: sync, async")
    parser.add_argument("--spcc", default=os.path.join(REPO_ROOT, "build", "tools", "spcc"))
    parser.add_argument("--bench", default=os.path.join(REPO_ROOT, "build", "tools", "spcc-bench"))
    parser.add_argument("--json", metavar="FILE", help="also write every raw result to FILE")
    args = parser.parse_args(argv)
    for tool in (args.spcc, args.bench):
        if not os.access(tool, os.X_OK):
            sys.exit("compare: %s not found; build it with `ninja -C build -j1`" % tool)
    os.makedirs(args.work, exist_ok=True)

    rows = []
    for name in args.models:
        model = prepare(name, args)
        for mode in args.modes.split(","):
            rows.append((model, mode, measure(model, mode, args)))
    print_tables(rows, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"model": m, "mode": mode, "results": r} for m, mode, r in rows], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
