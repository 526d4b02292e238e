#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, conformance, models, bad input, tools).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
ctest --test-dir build --output-on-failure -j 2 "$@"
