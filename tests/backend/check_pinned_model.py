#!/usr/bin/env python3
"""Pins the bytes of one compiled model, so that refactors are held to producing the same .so.

check_pinned_model.py SPCC SOURCE_DIR WORK_DIR

Compiles models/demo/mlp_pruned.onnx with `--tune=none --tune-cache= --target x86-64-v3` (no
timing, no tuning cache and no host enters the result) and compares the SHA-256 of the .so
with tests/backend/pinned_model.sha256.
Nothing of the build's location enters a model, so the pin holds for every checkout.

The hash changes only when something a model is made of changes on purpose: the code generator,
the dense kernel library linked into models, the ABI, the linker flags, or the compilers and
libraries Debian ships for them. After such a change, check that every model test passes, then
update the pin deliberately, in the commit that changes the bytes, and say why in its message:

    /usr/bin/python3 tests/backend/check_pinned_model.py build/tools/spcc . /tmp/pin --update
"""
import hashlib
import os
import subprocess
import sys

PIN_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pinned_model.sha256")


def model_hash(spcc, source_dir, work_dir):
    os.makedirs(work_dir, exist_ok=True)
    library = os.path.join(work_dir, "mlp_pruned-pinned.so")
    model = os.path.join(source_dir, "models", "demo", "mlp_pruned.onnx")
    # No tuning cache either: entries another compilation left there would decide instead.
    subprocess.run([spcc, model, "-o", library, "--tune=none", "--tune-cache=", "--target",
                    "x86-64-v3"], check=True, stderr=subprocess.DEVNULL)
    with open(library, "rb") as f:
        data = f.read()
    return hashlib.sha256(data).hexdigest()


def main():
    if len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[4] != "--update"):
        sys.exit(__doc__)
    spcc, source_dir, work_dir = sys.argv[1:4]
    actual = model_hash(spcc, source_dir, work_dir)
    if len(sys.argv) == 5:
        with open(PIN_FILE, "w") as f:
            f.write(actual + "\n")
        print(f"pinned {actual}")
        return
    with open(PIN_FILE) as f:
        expected = f.read().split()[0]
    if actual != expected:
        sys.exit(f"the compiled model's bytes changed: sha256 {actual}, pinned {expected}\n"
                 f"(intended? see the update instructions at the top of {__file__})")
    print(f"ok: {actual}")


if __name__ == "__main__":
    main()
