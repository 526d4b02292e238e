#!/usr/bin/env bash
# Checks one test model end to end: spcc-run's outputs against ONNX Runtime's.
#
#   tests/models/check_model.sh NAME SPCC_RUN_BINARY WORKDIR
#
# 1. exports NAME with models/export_models.py unless WORKDIR/NAME.onnx exists;
# 2. runs ONNX Runtime (tools/oracle/run_ort.js) into WORKDIR/NAME.ort/;
# 3. runs SPCC_RUN_BINARY WORKDIR/NAME.onnx [--shape X]... -i NAME=FILE... -o WORKDIR/NAME.spcc/;
# 4. compares the two with tools/compare_outputs.py (rtol 1e-4, atol 1e-5).
# Exits non-zero on any failure. PYTHON overrides the interpreter (default /usr/bin/python3,
# Debian's, which has torch and onnx); NODE overrides node.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 NAME SPCC_RUN_BINARY WORKDIR" >&2
  exit 2
fi
name=$1
spcc_run=$2
workdir=$3
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/models/model_inputs.sh
source "$repo_root/tests/models/model_inputs.sh"
python=${PYTHON:-/usr/bin/python3}
node=${NODE:-node}

mkdir -p "$workdir"
model="$workdir/$name.onnx"
if [ ! -f "$model" ]; then
  "$python" "$repo_root/models/export_models.py" --out "$workdir" --only "$name"
fi

inputs_dir="$workdir/$name.inputs"
collect_feeds "$inputs_dir"

shape_args=()
if [ -f "$workdir/$name.shape" ]; then
  read -r -a shapes < "$workdir/$name.shape" || true
  for shape in "${shapes[@]+"${shapes[@]}"}"; do
    shape_args+=(--shape "$shape")
  done
fi

ort_dir="$workdir/$name.ort"
spcc_dir="$workdir/$name.spcc"
rm -rf "$ort_dir" "$spcc_dir"

"$node" "$repo_root/tools/oracle/run_ort.js" "$model" "$ort_dir" "${feeds[@]}"

spcc_inputs=()
for feed in "${feeds[@]}"; do
  spcc_inputs+=(-i "$feed")
done
"$spcc_run" "$model" "${shape_args[@]+"${shape_args[@]}"}" "${spcc_inputs[@]}" -o "$spcc_dir"

"$python" "$repo_root/tools/compare_outputs.py" "$spcc_dir" "$ort_dir" --rtol 1e-4 --atol 1e-5
