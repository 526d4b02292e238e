#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, conformance, models, bad input, tools), then the
# compile path of every test model under ASan and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
# The large real-architecture checks (label zoo-large: VGG, ViT, Swin, ... compiled dense and
# pruned, about 15 minutes more) run when SPCC_LARGE_TESTS=1.
exclude=(-LE zoo-large)
if [ "${SPCC_LARGE_TESTS:-0}" = 1 ]; then exclude=(); fi
ctest --test-dir build --output-on-failure -j 2 "${exclude[@]+"${exclude[@]}"}" "$@"
# The compiler under AddressSanitizer and UndefinedBehaviorSanitizer, on the models exported above.
tools/sanitize.sh
