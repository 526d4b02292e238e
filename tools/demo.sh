#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, export a pruned BERT encoder (2 layers, hidden
# 512, sequence 128, every Linear 95% magnitude-pruned), compile it to a standalone .so with its
# per-layer report (a table here, a page in build/demo/bert_demo_95.html), check its outputs
# against ONNX Runtime, and end with the headline: the generated sparse code timed against
# spcc --dense (the same model on spcc's dense kernels) and ONNX Runtime, interleaved.
#
# tools/demo.sh --quick: the bundled 90%-pruned MLP instead, in seconds (too small a model for
# sparsity to matter: a smoke test of the whole path, not a measure of it).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh >/dev/null
work=build/demo
mkdir -p "$work"

if [ "${1:-}" = --quick ]; then
  model=mlp_pruned
  cp models/demo/$model.onnx "$work/"
  inputs=(-i input=models/demo/$model.inputs/input.npy)
  feeds=(input=models/demo/$model.inputs/input.npy)
else
  model=bert_demo_95
  if [ ! -f "$work/$model.onnx" ]; then
    echo "== exporting $model (models/export_models.py) into $work"
    /usr/bin/python3 models/export_models.py --out "$work" --only $model
  fi
  inputs=() feeds=()
  for f in "$work/$model.inputs"/*.npy; do
    name=$(basename "$f" .npy)
    inputs+=(-i "$name=$f") feeds+=("$name=$f")
  done
fi

echo
echo "== spcc $work/$model.onnx -o $work/$model.so --target host --report $work/$model.html"
build/tools/spcc "$work/$model.onnx" -o "$work/$model.so" --target host --report "$work/$model.html"

echo
echo "== outputs: spcc-run $work/$model.so against ONNX Runtime on the exported inputs"
rm -rf "$work/out" "$work/ort"
build/tools/spcc-run "$work/$model.so" "${inputs[@]}" -o "$work/out" --print=4
node tools/oracle/run_ort.js "$work/$model.onnx" "$work/ort" "${feeds[@]}" >/dev/null
/usr/bin/python3 tools/compare_outputs.py "$work/out" "$work/ort" --rtol 1e-4 --atol 1e-5

echo
echo "== speed: the generated sparse code against spcc --dense (the same model on spcc's dense"
echo "   kernels) and ONNX Runtime 1.30; 2 threads sync and 2 streams async, 3 interleaved"
echo "   repetitions of 1 s, medians (compare.py recompiles: the tuning cache makes it quick)"
/usr/bin/python3 tools/bench/compare.py --work "$work" --reps 3 --seconds 1 \
  --json "$work/$model.bench.json" $model
echo
echo "Per-layer report: $work/$model.html (open it in a browser)"
