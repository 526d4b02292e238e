#!/usr/bin/python3
"""Generates ONNX's node conformance tests (model.onnx + test_data_set_*/*.pb) into OUT_DIR/node/.

Usage: /usr/bin/python3 generate_node_tests.py OUT_DIR

ONNX 1.12's generators still use numpy's removed aliases (np.float, np.int, ...); numpy 1.24
dropped them, so they are set back to the builtins before the generator runs.
"""
import os
import sys

import numpy as np

for alias, builtin in {"float": float, "int": int, "bool": bool, "object": object,
                       "str": str}.items():
    if alias not in np.__dict__:
        setattr(np, alias, builtin)

from onnx.backend.test import cmd_tools  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    stamp = os.path.join(out, ".complete")
    if os.path.exists(stamp):
        return 0
    sys.argv = ["backend-test-tools", "generate-data", "-o", out]
    cmd_tools.main()
    open(stamp, "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
