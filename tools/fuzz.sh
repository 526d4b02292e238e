#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer + ASan/UBSan) into build-fuzz/ and runs one.
# Usage: tools/fuzz.sh [SECONDS=180] [import|pipeline|loader]
#   import: the ONNX importer, from the bundled, ONNX node test and rewritten-op test models;
#   pipeline: import, passes, lowering and LLVM IR emission, from the same models;
#   loader: spcc_model_load on model files, from a compiled model and damaged copies of it.
# Crashes are written to build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
target=${2:-import}
tools/setup.sh
BUILD_DIR=build-fuzz tools/build.sh -DSPCC_FUZZ=ON -DSPCC_BUILD_TESTS=OFF >/dev/null
corpus=build-fuzz/corpus-$target
mkdir -p "$corpus" build-fuzz/crashes
case "$target" in
  import | pipeline)
    cp models/demo/*.onnx "$corpus"/
    if [ -d build/onnx-node-tests/node ]; then
      for f in build/onnx-node-tests/node/*/model.onnx; do
        cp "$f" "$corpus/$(basename "$(dirname "$f")").onnx"
      done
    fi
    # Loop, Scan, Einsum and the opset 18 / 21 normalizations (tests/models/check_rewritten_ops.py)
    if [ -d build/rewritten-op-models ]; then cp build/rewritten-op-models/*.onnx "$corpus"/; fi
    max_len=65536 ;;
  loader)
    build-fuzz/tools/spcc models/demo/mlp_pruned.onnx -o "$corpus/mlp.so" --tune=none 2>/dev/null
    # A model carrying two ISA levels (its table of levels is parsed before dlopen).
    build-fuzz/tools/spcc models/demo/mlp_pruned.onnx -o "$corpus/levels.so" --tune=none \
      --target x86-64-v3,x86-64-v4 2>/dev/null
    head -c 4096 "$corpus/mlp.so" >"$corpus/cut.so"
    max_len=$(wc -c <"$corpus/levels.so") ;;
  *) echo "fuzz.sh: unknown target '$target' (import, pipeline, loader)" >&2; exit 2 ;;
esac
"build-fuzz/tests/fuzz/spcc-$target-fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=4096 -max_len="$max_len" -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1
