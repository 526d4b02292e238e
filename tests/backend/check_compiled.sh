#!/usr/bin/env bash
# Compiles one model to a .so and checks it end to end:
#
#   tests/backend/check_compiled.sh SPCC SPCC_RUN MODEL.onnx INPUTS_DIR WORKDIR TARGET [SHAPE_FILE]
#
# 1. spcc MODEL.onnx [--shape ...] -o WORKDIR/NAME-TARGET.so --target TARGET, twice with one
#    tuning cache: the two
#    files must be byte-identical;
# 2. ldd: the .so needs only libc, libm, libstdc++, libgcc_s, the OpenMP runtime (and the
#    dynamic loader / vDSO);
# 3. spcc-run on the .so with INPUTS_DIR/*.npy, compared with ONNX Runtime's outputs
#    (tools/oracle/run_ort.js) by tools/compare_outputs.py (rtol 1e-4, atol 1e-5).
# Exits 77 (skipped) for --target x86-64-v4 on a CPU without AVX-512. PYTHON and NODE override
# the interpreters; SPCC_FLAGS adds compiler flags (the files then carry a name made of them).
set -euo pipefail

if [ $# -lt 6 ] || [ $# -gt 7 ]; then
  echo "usage: $0 SPCC SPCC_RUN MODEL.onnx INPUTS_DIR WORKDIR TARGET [SHAPE_FILE]" >&2
  exit 2
fi
spcc=$1
spcc_run=$2
model=$3
inputs_dir=$4
workdir=$5
target=$6
shape_file=${7:-}
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/models/model_inputs.sh
source "$repo_root/tests/models/model_inputs.sh"
python=${PYTHON:-/usr/bin/python3}
node=${NODE:-node}

if [ "$target" = x86-64-v4 ] && ! grep -qw avx512f /proc/cpuinfo; then
  echo "check_compiled: this CPU has no AVX-512; skipping $target"
  exit 77
fi

read -r -a extra_flags <<< "${SPCC_FLAGS:-}" || true
name=$(basename "$model" .onnx)-$target$(printf '%s' "${SPCC_FLAGS:-}" | tr -c 'A-Za-z0-9' '_')
mkdir -p "$workdir"
shape_args=()
if [ -n "$shape_file" ] && [ -f "$shape_file" ]; then
  read -r -a shapes < "$shape_file" || true
  for shape in "${shapes[@]+"${shapes[@]}"}"; do
    shape_args+=(--shape "$shape")
  done
fi

library="$workdir/$name.so"
# The second compile reuses the first one's tuning decisions (the measurements vary from run
# to run; the cache is what makes the bytes reproducible).
cache="$workdir/$name.tune.txt"
rm -f "$cache"
"$spcc" "$model" "${shape_args[@]+"${shape_args[@]}"}" "${extra_flags[@]+"${extra_flags[@]}"}" \
  --target "$target" -o "$library" -v --tune-cache "$cache"
"$spcc" "$model" "${shape_args[@]+"${shape_args[@]}"}" "${extra_flags[@]+"${extra_flags[@]}"}" \
  --target "$target" -o "$workdir/$name.again.so" --tune-cache "$cache"
if ! cmp "$library" "$workdir/$name.again.so"; then
  echo "check_compiled: compiling $model twice gave different files" >&2
  exit 1
fi

unexpected=$(ldd "$library" | awk '{print $1}' |
  grep -Ev '^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libomp\.so\.5|libgomp\.so\.1)$' || true)
if [ -n "$unexpected" ] || ldd "$library" | grep -q 'not found'; then
  echo "check_compiled: $library needs more than libc, libm, libstdc++, libgcc_s and OpenMP:" >&2
  ldd "$library" >&2
  exit 1
fi

collect_feeds "$inputs_dir"
run_inputs=()
for feed in "${feeds[@]}"; do run_inputs+=(-i "$feed"); done

ort_dir="$workdir/$name.ort"
out_dir="$workdir/$name.out"
rm -rf "$ort_dir" "$out_dir"
"$node" "$repo_root/tools/oracle/run_ort.js" "$model" "$ort_dir" "${feeds[@]}"
"$spcc_run" "$library" "${run_inputs[@]}" -o "$out_dir"
"$python" "$repo_root/tools/compare_outputs.py" "$out_dir" "$ort_dir" --rtol 1e-4 --atol 1e-5
