#!/usr/bin/env python3
"""A model run inside a Python process that imported PyTorch first.

check_pytorch_host.py SPCC SPCC_RUN RUNTIME_LIBRARY WORK_DIR MODEL.onnx[:NAME=DIMS,...]...

PyTorch brings GCC's OpenMP runtime (libgomp); a model's kernels bring LLVM's (libomp): two
OpenMP runtimes in one process are a known hazard. This script imports torch and runs parallel
torch work, then, through ctypes and the C API (RUNTIME_LIBRARY, libspcc_runtime.so), loads each
compiled model, runs it on two threads with random inputs, compares every output with spcc-run's
for the same .so and inputs (a separate process without PyTorch; they must be equal), runs
torch again, frees everything and exits. The check is done in a child process so that a crash
or hang at exit shows as its exit status. Exits 0 when every model agrees and the child exits 0.
"""
import ctypes
import os
import re
import subprocess
import sys

import numpy as np

DTYPES = {1: np.float32, 2: np.int64, 3: np.int32, 4: np.bool_, 6: np.int8, 7: np.uint8}


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int),
                ("dims", ctypes.POINTER(ctypes.c_int64))]


def child(runtime_path, libraries):
    import torch  # first: its OpenMP runtime is the process's first

    torch.set_num_threads(2)
    a = torch.randn(512, 512)
    before = float((a @ a).sum())
    lib = ctypes.CDLL(runtime_path)
    lib.spcc_last_error.restype = ctypes.c_char_p
    rng = np.random.default_rng(11)
    for library in libraries:
        model = ctypes.c_void_p()
        if lib.spcc_model_load(library.encode(), ctypes.byref(model)) != 0:
            raise RuntimeError("load: " + lib.spcc_last_error().decode())
        arrays, outputs = [], []
        for index in range(lib.spcc_model_num_inputs(model)):
            info = TensorInfo()
            lib.spcc_model_input(model, index, ctypes.byref(info))
            shape = [info.dims[d] for d in range(info.rank)]
            dtype = DTYPES[info.dtype]
            array = (rng.standard_normal(shape).astype(dtype) if dtype == np.float32
                     else rng.integers(0, 2, shape).astype(dtype))
            np.save(os.path.join(library + ".inputs", info.name.decode() + ".npy"), array)
            arrays.append(np.ascontiguousarray(array))
        names = []
        for index in range(lib.spcc_model_num_outputs(model)):
            info = TensorInfo()
            lib.spcc_model_output(model, index, ctypes.byref(info))
            shape = [info.dims[d] for d in range(info.rank)]
            outputs.append(np.empty(shape, DTYPES[info.dtype]))
            names.append(re.sub(r"[^A-Za-z0-9_.-]", "_", info.name.decode()))
        context = ctypes.c_void_p()
        if lib.spcc_context_create(model, 2, ctypes.byref(context)) != 0:
            raise RuntimeError("context: " + lib.spcc_last_error().decode())
        ins = (ctypes.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
        outs = (ctypes.c_void_p * len(outputs))(*[o.ctypes.data for o in outputs])
        for _ in range(3):
            if lib.spcc_run(context, ins, outs) != 0:
                raise RuntimeError("run: " + lib.spcc_last_error().decode())
        os.makedirs(library + ".outputs", exist_ok=True)
        for name, output in zip(names, outputs):
            np.save(os.path.join(library + ".outputs", name + ".npy"), output)
        lib.spcc_context_free(context)
        lib.spcc_model_free(model)
    after = float((a @ a).sum())
    if before != after:
        raise RuntimeError("torch's result changed after running the models")
    print("child: %d models ran beside torch" % len(libraries))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        return 0
    if len(sys.argv) < 6:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    spcc, spcc_run, runtime_path, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    libraries = []
    for entry in sys.argv[5:]:
        model, _, shapes = entry.partition(":")
        library = os.path.join(work, os.path.basename(model)[:-len(".onnx")] + ".so")
        shape_args = [arg for shape in shapes.split(",") if shape for arg in ("--shape", shape)]
        subprocess.run([spcc, model, *shape_args, "-o", library, "--tune=none"], check=True,
                       stderr=subprocess.DEVNULL)
        os.makedirs(library + ".inputs", exist_ok=True)
        libraries.append(library)
    try:
        result = subprocess.run([sys.executable, __file__, "--child", runtime_path,
                                 *libraries], timeout=300)
    except subprocess.TimeoutExpired:
        print("FAIL: the process that imported torch hung")
        return 1
    if result.returncode != 0:
        print("FAIL: the process that imported torch exited with %d" % result.returncode)
        return 1
    failures = 0
    for library in libraries:
        stem = os.path.basename(library)
        feeds = [arg for name in sorted(os.listdir(library + ".inputs"))
                 for arg in ("-i", "%s=%s" % (name[:-len(".npy")],
                                              os.path.join(library + ".inputs", name)))]
        out_dir = library + ".spcc-run"
        subprocess.run([spcc_run, library, *feeds, "-o", out_dir], check=True,
                       stdout=subprocess.DEVNULL)
        for name in sorted(os.listdir(out_dir)):
            expected = np.load(os.path.join(out_dir, name))
            actual = np.load(os.path.join(library + ".outputs", name))
            same = np.array_equal(actual, expected, equal_nan=True)
            print("%s %s: %s" % (stem, name, "equal" if same else "DIFFERENT"))
            failures += not same
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
