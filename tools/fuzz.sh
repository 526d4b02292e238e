#!/usr/bin/env bash
# Builds the importer fuzzer (clang, libFuzzer + ASan/UBSan) into build-fuzz/ and runs it.
# Usage: tools/fuzz.sh [SECONDS=180]. The corpus starts from the bundled and test models;
# crashes are written to build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
tools/setup.sh
BUILD_DIR=build-fuzz tools/build.sh -DSPCC_FUZZ=ON -DSPCC_BUILD_TESTS=OFF >/dev/null
corpus=build-fuzz/corpus
mkdir -p "$corpus" build-fuzz/crashes
cp models/demo/*.onnx "$corpus"/
if [ -d build/onnx-node-tests/node ]; then
  for f in build/onnx-node-tests/node/*/model.onnx; do
    cp "$f" "$corpus/$(basename "$(dirname "$f")").onnx"
  done
fi
build-fuzz/tests/fuzz/spcc-import-fuzzer "$corpus" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=4096 -max_len=65536 -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1
