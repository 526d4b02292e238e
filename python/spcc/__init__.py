"""spcc: compile pruned ONNX models to standalone .so files and run them on numpy arrays.

    import numpy as np, spcc
    spcc.compile("bert.onnx", "bert.so", shapes={"input_ids": (1, 128),
                                                 "attention_mask": (1, 128)})
    with spcc.load("bert.so") as model:
        print(model.inputs, model.outputs)
        outputs = model.run({"input_ids": ids, "attention_mask": mask})
        print(model.bench(mode="sync", seconds=1)["latency_ms_median"])

Built on the runtime's C API (spcc.h) through ctypes: no extension module to build, so one
copy works with any Python 3 and numpy, and the GIL is released while a model runs. The
package finds the runtime library and the compiler as described in spcc._library.
"""
from ._compiler import compile
from ._errors import ClosedError, CompileError, Error, LoadError, RunError
from ._model import Context, Model, TensorInfo

__version__ = "0.1.0"
ABI_VERSION = 4  # SPCC_ABI_VERSION of the spcc.h this package binds


def load(path, threads=0):
    """Loads a model compiled by spcc. `threads`: threads per run of `Model.run` (0: all
    cores). Raises spcc.LoadError (status says why) for a missing, damaged or foreign file."""
    return Model(path, threads)


__all__ = ["compile", "load", "Model", "Context", "TensorInfo", "Error", "LoadError", "RunError",
           "ClosedError", "CompileError", "ABI_VERSION"]
