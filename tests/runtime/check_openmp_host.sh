#!/usr/bin/env bash
# check_openmp_host.sh SPCC RUNTIME_INCLUDE RUNTIME_LIB_DIR SOURCE WORK_DIR MODEL.onnx[:SHAPES]...
# Builds openmp_host.c with `gcc -fopenmp` against the runtime, compiles each model, and runs
# it in that process: it must run and exit 0.
set -u
spcc=$1 include=$2 libdir=$3 source=$4 work=$5
shift 5
mkdir -p "$work"
gcc -std=c99 -fopenmp -O1 "$source" -I"$include" -L"$libdir" -lspcc_runtime \
  -Wl,-rpath,"$libdir" -o "$work/openmp_host" || { echo "FAIL: cannot build with gcc"; exit 1; }
for entry in "$@"; do
  model=${entry%%:*} shapes=()
  [ "$entry" != "$model" ] && for s in ${entry#*:}; do shapes+=(--shape "$s"); done
  name=$(basename "$model" .onnx)
  "$spcc" "$model" "${shapes[@]}" -o "$work/$name.so" --tune=none 2>/dev/null ||
    { echo "FAIL: cannot compile $model"; exit 1; }
  timeout 120 "$work/openmp_host" "$work/$name.so" || { echo "FAIL: $name: exit $?"; exit 1; }
done
