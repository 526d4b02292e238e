#!/usr/bin/env bash
# Configures (once) and builds spcc into build/ with clang 19, Ninja and ccache.
# Usage: tools/build.sh [extra cmake -D options]   (BUILD_DIR overrides the folder,
# SPCC_BUILD_TARGETS names the targets to build instead of all)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$build_dir" -G Ninja \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPCC_WERROR=ON "$@" >/dev/null
fi
ninja -C "$build_dir" ${SPCC_BUILD_JOBS:+-j "$SPCC_BUILD_JOBS"} ${SPCC_BUILD_TARGETS:-}
