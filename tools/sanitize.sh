#!/usr/bin/env bash
# Builds spcc with AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/ and runs its
# compile path over the test models and the ONNX node test models (tests/sanitize). Needs the
# models the main test run exports (build/models, build/onnx-node-tests): tools/test.sh runs it
# after ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
main_build=${BUILD_DIR:-build}
# Unoptimized: it compiles in about half the time, and the tiny models run fast enough.
BUILD_DIR=build-asan SPCC_BUILD_TARGETS=spcc tools/build.sh -DSPCC_SANITIZE=ON -DSPCC_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=Debug
tests/sanitize/check_compile_path.sh build-asan/tools/spcc "$main_build/models" \
  "$main_build/onnx-node-tests" build-asan/sanitize-work
