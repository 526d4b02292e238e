"""Finds the installed spcc (runtime library, compiler, spcc-bench) and declares the C API.

Search order for each file, first match wins:
  1. its own environment variable: SPCC_RUNTIME_LIBRARY, SPCC_COMPILER, SPCC_BENCH;
  2. under $SPCC_HOME (an install prefix: lib/libspcc_runtime.so, bin/spcc, bin/spcc-bench);
  3. where `cmake --install` put them beside this package (its _installed.py, written at
     install time, holds the paths relative to the package);
  4. the prefix of the `spcc` found on PATH (PREFIX/bin/spcc).
"""
import ctypes
import os
import shutil
import threading

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _installed_beside_package(relative_path):
    """The path `cmake --install` gave a file of PREFIX/relative_path, or None when this copy of
    the package was not installed by it."""
    try:
        from . import _installed
    except ImportError:
        return None
    directory, name = os.path.split(relative_path)
    base = _installed.LIBRARY_DIR if directory == "lib" else _installed.BIN_DIR
    return os.path.normpath(os.path.join(_PACKAGE_DIR, base, name))


def find_file(variable, relative_path, what):
    """The path of an installed spcc file (PREFIX/relative_path), or FileNotFoundError saying
    where it was looked for."""
    explicit = os.environ.get(variable)
    if explicit:
        if not os.path.isfile(explicit):
            raise FileNotFoundError("%s=%s: no such file" % (variable, explicit))
        return explicit
    candidates = []
    if os.environ.get("SPCC_HOME"):
        candidates.append(os.path.join(os.environ["SPCC_HOME"], relative_path))
    candidates.append(_installed_beside_package(relative_path))
    on_path = shutil.which("spcc")
    if on_path:
        prefix = os.path.dirname(os.path.dirname(os.path.realpath(on_path)))
        candidates.append(os.path.join(prefix, relative_path))
    candidates = [c for c in candidates if c]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        "cannot find the %s: set %s, or SPCC_HOME to spcc's install prefix, or put spcc on PATH "
        "(looked at %s)" % (what, variable, ", ".join(candidates) or "nothing"))


def compiler_path():
    return find_file("SPCC_COMPILER", os.path.join("bin", "spcc"), "spcc compiler")


def bench_path():
    return find_file("SPCC_BENCH", os.path.join("bin", "spcc-bench"), "spcc-bench tool")


class TensorInfo(ctypes.Structure):
    """spcc_tensor_info."""
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int),
                ("dims", ctypes.POINTER(ctypes.c_int64))]


_VOID_P = ctypes.c_void_p
_POINTERS = ctypes.POINTER(ctypes.c_void_p)

# name: (result type, argument types)
_PROTOTYPES = {
    "spcc_model_load": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_VOID_P)]),
    "spcc_model_free": (None, [_VOID_P]),
    "spcc_model_device": (ctypes.c_char_p, [_VOID_P]),
    "spcc_model_num_inputs": (ctypes.c_int, [_VOID_P]),
    "spcc_model_num_outputs": (ctypes.c_int, [_VOID_P]),
    "spcc_model_input": (ctypes.c_int, [_VOID_P, ctypes.c_int, ctypes.POINTER(TensorInfo)]),
    "spcc_model_output": (ctypes.c_int, [_VOID_P, ctypes.c_int, ctypes.POINTER(TensorInfo)]),
    "spcc_context_create": (ctypes.c_int, [_VOID_P, ctypes.c_int, ctypes.POINTER(_VOID_P)]),
    "spcc_context_free": (None, [_VOID_P]),
    "spcc_run_checked": (ctypes.c_int, [_VOID_P, ctypes.c_int, _POINTERS, ctypes.c_int, _POINTERS]),
    "spcc_run_batch": (ctypes.c_int, [_VOID_P, ctypes.c_int64, _POINTERS, _POINTERS]),
    "spcc_run_device": (ctypes.c_int, [_VOID_P, ctypes.c_int, ctypes.POINTER(ctypes.c_uint64),
                                       ctypes.c_int, ctypes.POINTER(ctypes.c_uint64), _VOID_P]),
    "spcc_last_error": (ctypes.c_char_p, []),
}

_library = None
_library_lock = threading.Lock()


def runtime():
    """The loaded libspcc_runtime with its prototypes declared (loaded once, on first use).
    ctypes releases the GIL during each call, so runs on separate contexts proceed in parallel."""
    global _library
    with _library_lock:
        if _library is None:
            path = find_file("SPCC_RUNTIME_LIBRARY", os.path.join("lib", "libspcc_runtime.so"),
                             "spcc runtime library (libspcc_runtime.so)")
            library = ctypes.CDLL(path)
            for name, (result, arguments) in _PROTOTYPES.items():
                function = getattr(library, name)
                function.restype = result
                function.argtypes = arguments
            _library = library
        return _library


def last_error():
    message = runtime().spcc_last_error()
    return message.decode("utf-8", "replace") if message else ""
