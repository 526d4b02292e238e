#!/bin/sh
# Runs a bundle made by tools/gpu/make_bundle.py: `sh BUNDLE/run.sh [OUT_DIR]` (default: the
# bundle's results/). Uses $PYTHON, else the python3 on PATH (numpy; torch for the peers).
here=$(cd "$(dirname "$0")" && pwd)
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
SPCC_RUNTIME_LIBRARY="$here/lib/libspcc_runtime.so" \
PYTHONPATH="$here/python${PYTHONPATH:+:$PYTHONPATH}" \
  exec "${PYTHON:-python3}" "$here/run_bundle.py" "$here" "${1:-$here/results}"
