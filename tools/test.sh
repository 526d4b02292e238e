#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, conformance, models, bad input, tools), then the
# compile path of every test model under ASan and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
ctest --test-dir build --output-on-failure -j 2 "$@"
# The compiler under AddressSanitizer and UndefinedBehaviorSanitizer, on the models exported above.
tools/sanitize.sh
