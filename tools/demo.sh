#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then import the bundled 90%-pruned MLP, fold
# it, print its per-layer sparsity, and evaluate it on its bundled input.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh >/dev/null
model=models/demo/mlp_pruned.onnx
echo "== spcc $model --summary"
build/compiler/spcc "$model" --summary
echo
echo "== spcc-run $model"
build/tools/spcc-run "$model" -i input=models/demo/mlp_pruned.inputs/input.npy -o build/demo-out
echo "(outputs written to build/demo-out/)"
