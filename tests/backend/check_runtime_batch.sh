#!/usr/bin/env bash
# Compiles a model exported with a dynamic batch axis once, with a run-time batch, and checks
# each batch size against ONNX Runtime on the same batch:
#
#   tests/backend/check_runtime_batch.sh SPCC SPCC_RUN MODEL.onnx WORKDIR SEQ BATCH...
#
# 1. spcc MODEL.onnx --shape input_ids=NxSEQ --shape attention_mask=NxSEQ -o WORKDIR/NAME-N.so;
# 2. for each BATCH: random token ids and a mask with padding ([BATCH, SEQ], a fixed seed per
#    batch), ONNX Runtime's outputs (tools/oracle/run_ort.js) against spcc-run on the .so
#    (tools/compare_outputs.py, rtol 1e-4, atol 1e-5).
# PYTHON and NODE override the interpreters.
set -euo pipefail

if [ $# -lt 6 ]; then
  echo "usage: $0 SPCC SPCC_RUN MODEL.onnx WORKDIR SEQ BATCH..." >&2
  exit 2
fi
spcc=$1
spcc_run=$2
model=$3
workdir=$4
seq=$5
shift 5
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
node=${NODE:-node}

name=$(basename "$model" .onnx)-N
mkdir -p "$workdir"
library="$workdir/$name.so"
"$spcc" "$model" --shape "input_ids=Nx$seq" --shape "attention_mask=Nx$seq" -o "$library" \
  --tune=none

for batch in "$@"; do
  inputs="$workdir/$name.b$batch.inputs"
  mkdir -p "$inputs"
  "$python" - "$inputs" "$batch" "$seq" <<'PY'
import os, sys
import numpy as np
out, batch, seq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1000 + batch)
ids = rng.integers(0, 1000, size=(batch, seq), dtype=np.int64)
mask = np.ones((batch, seq), dtype=np.int64)
for b in range(batch):  # every sample its own padding
    mask[b, seq - b % seq:] = 0
np.save(os.path.join(out, "input_ids.npy"), ids)
np.save(os.path.join(out, "attention_mask.npy"), mask)
PY
  feeds=("input_ids=$inputs/input_ids.npy" "attention_mask=$inputs/attention_mask.npy")
  ort_dir="$workdir/$name.b$batch.ort"
  out_dir="$workdir/$name.b$batch.out"
  rm -rf "$ort_dir" "$out_dir"
  "$node" "$repo_root/tools/oracle/run_ort.js" "$model" "$ort_dir" "${feeds[@]}"
  "$spcc_run" "$library" -i "${feeds[0]}" -i "${feeds[1]}" -o "$out_dir"
  echo "batch $batch:"
  "$python" "$repo_root/tools/compare_outputs.py" "$out_dir" "$ort_dir" --rtol 1e-4 --atol 1e-5
done
