"""spcc.compile: runs the installed `spcc` compiler."""
import os
import subprocess
import sys

from . import _library
from ._errors import CompileError


def _shape_flag(name, dims):
    if isinstance(dims, str):
        text = dims
    else:
        try:
            text = "x".join("N" if d is None else str(int(d)) for d in dims)
        except (TypeError, ValueError):
            raise TypeError("shapes[%r] must be a tuple of ints (None for a run-time batch) or "
                            "a string like 'Nx128', got %r" % (name, dims)) from None
    return "--shape=%s=%s" % (name, text)


def compile(model, output, shapes=None, target=None, tune=None, dense=False, report=None,
            extra_args=(), verbose=False):
    """Compiles the ONNX file `model` to the shared object `output` with the installed spcc.

    shapes:  input name -> dims, e.g. {"input_ids": (1, 128)}; None (or "N") as the first dim
             compiles a run-time batch.
    target:  an ISA level or CPU (`spcc --list-targets`), default spcc's.
    tune:    "none", "fast" or "full" (spcc --tune); dense=True: no generated sparse code.
    report:  a path for spcc --report (.json, or .html for the page).
    verbose: print spcc's progress (-v) on stderr as it compiles.
    Returns `output`. Raises spcc.CompileError with spcc's one-line message and exit code.
    """
    command = [_library.compiler_path(), os.fspath(model), "-o", os.fspath(output)]
    for name, dims in (shapes or {}).items():
        command.append(_shape_flag(name, dims))
    if target is not None:
        command.append("--target=%s" % target)
    if tune is not None:
        if tune not in ("none", "fast", "full"):
            raise ValueError("tune must be 'none', 'fast' or 'full', got %r" % (tune,))
        command.append("--tune=%s" % tune)
    if dense:
        command.append("--dense")
    if report is not None:
        command.append("--report=%s" % os.fspath(report))
    if verbose:
        command.append("-v")
    command += list(extra_args)
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if verbose:
        sys.stderr.write(result.stderr)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("spcc: error: ")]
        message = (errors[-1][len("spcc: error: "):] if errors
                   else lines[-1] if lines else "spcc failed")
        raise CompileError(message, result.returncode, result.stderr)
    return output
