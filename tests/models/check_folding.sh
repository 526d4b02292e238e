#!/usr/bin/env bash
# check_folding.sh SPCC WORKDIR: with fixed input shapes, constant folding must remove all of
# bert_tiny's shape arithmetic (Shape/Gather/Unsqueeze/Concat chains feeding Reshape).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
spcc=$1 work=$2
mkdir -p "$work"
[ -f "$work/bert_tiny.onnx" ] || /usr/bin/python3 "$root/models/export_models.py" --out "$work" --only bert_tiny >/dev/null
shape_flags=()
for s in $(cat "$work/bert_tiny.shape"); do shape_flags+=(--shape "$s"); done
before=$("$spcc" "$work/bert_tiny.onnx" "${shape_flags[@]}" --summary --disable-pass=constant-folding,dead-code | grep '^ops:')
after=$("$spcc" "$work/bert_tiny.onnx" "${shape_flags[@]}" --summary | grep '^ops:')
echo "before folding: $before"
echo "after folding:  $after"
for op in Shape Concat ConstantOfShape Equal Where Expand Range Slice; do
  if grep -qw "$op=[0-9]*" <<<"$after"; then echo "FAIL: $op left after folding"; exit 1; fi
done
# What remains computes on the inputs: the two embedding lookups (Gather), and the attention
# mask's Unsqueeze, Unsqueeze, Cast to float.
for expected in Gather=2 Unsqueeze=2 Cast=1; do
  grep -qw "$expected" <<<"$after" || { echo "FAIL: expected $expected after folding"; exit 1; }
done
