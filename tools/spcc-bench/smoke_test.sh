#!/bin/sh
# Smoke test of spcc-bench: compiles the demo model and benchmarks it for a moment in both
# modes; the --json line must be one JSON object with the documented keys.
#   smoke_test.sh SPCC SPCC_BENCH DEMO.onnx WORKDIR
set -eu
spcc=$1 bench=$2 model=$3 work=$4
mkdir -p "$work"
"$spcc" "$model" -o "$work/demo.so"
for mode in sync async; do
  "$bench" "$work/demo.so" --mode "$mode" --threads 2 --streams 2 --seconds 0.2 --json \
    >"$work/$mode.json"
  /usr/bin/python3 -c '
import json, os, sys
mode = sys.argv[2]
with open(sys.argv[1]) as f:
    result = json.load(f)
keys = ["mode", "threads", "streams", "latency_ms_median", "latency_ms_p90", "latency_ms_p99",
        "throughput_per_s"]
missing = [k for k in keys if k not in result]
assert not missing, "missing keys %s in %s" % (missing, result)
assert result["mode"] == mode, result
assert result["runs"] >= 1 and result["throughput_per_s"] > 0, result
assert 0 < result["latency_ms_median"] <= result["latency_ms_p90"] <= result["latency_ms_p99"], result
assert (result["threads"], result["streams"]) == ((2, 1) if mode == "sync" else (1, 2)), result
# The processor, named as /proc/cpuinfo names the first one.
with open("/proc/cpuinfo") as f:
    first = f.read().split("\n\n")[0]
fields = {}
for line in first.splitlines():
    key, _, value = line.partition(":")
    fields.setdefault(key.strip(), value.strip())
expected = "%s (family %s, model %s)" % (fields.get("model name") or "unknown CPU",
                                         fields.get("cpu family") or "?", fields.get("model") or "?")
assert result["cpu"] == expected, (result["cpu"], expected)
# Two threads of one context on a machine of two CPUs or more: the cores round trip is measured
# before and after the runs; streams of one thread each hand nothing between cores.
trips = [result["core_round_trip_ns_before"], result["core_round_trip_ns_after"]]
if mode == "sync" and len(os.sched_getaffinity(0)) >= 2:
    assert all(isinstance(t, float) and t > 0 for t in trips), result
if mode == "async":
    assert trips == [None, None], result
print(mode, "ok:", result)
' "$work/$mode.json" "$mode"
done
# --profile: every node of the demo MLP timed, its shares adding up to about 100%.
"$bench" "$work/demo.so" --threads 1 --seconds 0.2 --profile >"$work/profile.txt" ||
  { echo "--profile failed"; exit 1; }
/usr/bin/python3 -c '
import re, sys
text = open(sys.argv[1]).read()
assert re.search(r"^profile: \d+ runs, [0-9.]+ ms per run", text, re.M), text
nodes = re.findall(r"^(/layers/\S+)\s+(\w+ \(\w+\))\s+([0-9.]+)\s+([0-9.]+)%$", text, re.M)
assert len(nodes) == 3, text  # 2 Gemm + Relu fused as FusedMatMul, the last Gemm
assert abs(sum(float(n[3]) for n in nodes) - 100) < 1, text
print("profile ok:", len(nodes), "nodes")
' "$work/profile.txt"
# A bad flag and a file that is not a model: one error line and the documented exit code.
set +e
"$bench" "$work/demo.so" --mode fast 2>"$work/err.txt"; code=$?
[ "$code" = 2 ] && grep -q "^spcc-bench: error: --mode expects sync or async" "$work/err.txt" \
  || { echo "bad --mode: exit $code: $(cat "$work/err.txt")"; exit 1; }
"$bench" "$model" 2>"$work/err.txt"; code=$?
[ "$code" = 4 ] && grep -q "^spcc-bench: error: " "$work/err.txt" \
  || { echo "not a .so: exit $code: $(cat "$work/err.txt")"; exit 1; }
echo "errors ok"
