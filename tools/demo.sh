#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then take the bundled 90%-pruned MLP through
# spcc: per-layer sparsity, compile to a standalone .so, run it, and time it against ONNX
# Runtime and spcc --dense (dense execution of the same model), interleaved.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh >/dev/null
model=models/demo/mlp_pruned.onnx
work=build/demo
mkdir -p "$work"
cp "$model" "$work/mlp_pruned.onnx"
echo "== spcc $model --summary"
build/tools/spcc "$model" --summary
echo
echo "== spcc $model -o $work/mlp_pruned.so"
build/tools/spcc "$model" -o "$work/mlp_pruned.so" --target host
echo
echo "== spcc-run $work/mlp_pruned.so"
build/tools/spcc-run "$work/mlp_pruned.so" -i input=models/demo/mlp_pruned.inputs/input.npy -o "$work/out"
echo
echo "== speed: generated sparse code against spcc --dense and ONNX Runtime, 2 threads sync and 2 streams async, 3 interleaved repetitions"
/usr/bin/python3 tools/bench/compare.py --work "$work" --reps 3 --seconds 1 mlp_pruned
