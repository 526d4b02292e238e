#!/bin/sh
# Installs the whole build into a scratch prefix, moves the prefix elsewhere (the installed tree
# must be relocatable), then builds tests/install/consumer against it with find_package(spcc):
# spcc_add_model compiles models/demo/mlp_pruned.onnx with the installed spcc, and a C program
# runs it through spcc::runtime. Its outputs are compared with the installed spcc-run's reference
# evaluation of the .onnx on the same inputs (rtol 1e-4, atol 1e-5).
# Usage: check_consumer.sh CMAKE BUILD_DIR WORKDIR SOURCE_DIR CC GENERATOR PYTHON
set -eu
cmake=$1 build=$2 work=$3 source=$4 cc=$5 generator=$6 python=$7

rm -rf "$work"
mkdir -p "$work"
"$cmake" --install "$build" --prefix "$work/staging" >"$work/install.log"
mv "$work/staging" "$work/prefix"
prefix=$work/prefix

for f in include/spcc/spcc.h lib/cmake/spcc/spccConfig.cmake lib/cmake/spcc/spccConfigVersion.cmake \
         bin/spcc bin/spcc-run lib/spcc/libspcc_kernels_v3.a lib/spcc/libspcc_kernels_v4.a; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
tools=spcc-run
if [ -e "$build/tools/spcc-bench" ]; then tools="$tools spcc-bench"; fi
# The installed tools must run from the moved prefix and use its runtime library.
"$prefix/bin/spcc" --version >/dev/null
for tool in $tools; do
  [ -e "$prefix/bin/$tool" ] || { echo "not installed: bin/$tool" >&2; exit 1; }
  ldd "$prefix/bin/$tool" | grep -q "$prefix/bin/../lib/libspcc_runtime" || {
    echo "installed $tool does not load libspcc_runtime from $prefix/lib:" >&2
    ldd "$prefix/bin/$tool" >&2
    exit 1
  }
done

# Configure and build the consumer with nothing but the prefix (no access to the build tree).
"$cmake" -S "$source/tests/install/consumer" -B "$work/consumer" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DSPCC_SOURCE="$source" \
  -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" || { cat "$work/configure.log" >&2; exit 1; }
grep -q "spcc 0.*$prefix/lib/cmake/spcc, compiler $prefix/bin/spcc" "$work/configure.log" || {
  echo "find_package(spcc) did not find the installed package in $prefix:" >&2
  cat "$work/configure.log" >&2
  exit 1
}
"$cmake" --build "$work/consumer" >"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
model_so=$work/consumer/demo_model.so
[ -f "$model_so" ] || { echo "spcc_add_model did not produce $model_so" >&2; exit 1; }

cmp "$model_so" "$work/consumer/models/mlp_host.so" || {
  echo "spcc_add_model with SHAPE/TARGET_ISA host gave a different .so than the default" >&2
  exit 1
}

# A second build must do nothing (the model step's dependencies are right).
"$cmake" --build "$work/consumer" >"$work/rebuild.log"
if grep -q "Compiling model" "$work/rebuild.log"; then
  echo "the model was recompiled although nothing changed" >&2
  exit 1
fi

mkdir -p "$work/run"
"$work/consumer/spcc-consumer" "$model_so" "$work/run" | tee "$work/consumer.out"
grep -q "^model .*: 1 input(s), 1 output(s)$" "$work/consumer.out"
grep -q "^logits: dtype 1 dims \[1,10\]" "$work/consumer.out"
# Without arguments it runs the model named by SPCC_MODEL_FILE at build time.
"$work/consumer/spcc-consumer" >/dev/null

# The same inputs through the reference evaluator of the installed spcc-run.
set --
for input in "$work/run/inputs"/*.npy; do
  name=$(basename "$input" .npy)
  set -- "$@" -i "$name=$input"
done
"$prefix/bin/spcc-run" "$source/models/demo/mlp_pruned.onnx" "$@" -o "$work/reference" >/dev/null
"$python" "$source/tools/compare_outputs.py" "$work/run/outputs" "$work/reference" \
  --rtol 1e-4 --atol 1e-5
