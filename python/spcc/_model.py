"""A loaded model, its execution contexts and the binding of numpy arrays to them."""
import ctypes
import json
import os
import subprocess
import threading
import weakref
from typing import Dict, NamedTuple, Optional, Tuple

import numpy as np

from . import _library
from ._errors import STATUS_NAMES, ClosedError, Error, LoadError, RunError

# spcc_dtype -> numpy dtype.
_DTYPES = {
    1: np.dtype(np.float32),
    2: np.dtype(np.int64),
    3: np.dtype(np.int32),
    4: np.dtype(np.bool_),
    5: np.dtype(np.float16),
    6: np.dtype(np.int8),
    7: np.dtype(np.uint8),
}


class TensorInfo(NamedTuple):
    """A model input or output: `shape` has None for a dimension chosen at run time (the
    batch of a model compiled with `--shape NAME=Nx...`)."""
    name: str
    dtype: np.dtype
    shape: Tuple[Optional[int], ...]


def _check(status, error_type, context=""):
    if status != 0:
        message = _library.last_error() or "spcc runtime call failed"
        raise error_type(context + message, STATUS_NAMES.get(status, "status %d" % status))


def _describe(handle, count_function, info_function):
    infos = []
    for index in range(count_function(handle)):
        info = _library.TensorInfo()
        _check(info_function(handle, index, ctypes.byref(info)), LoadError)
        shape = tuple(None if info.dims[d] < 0 else int(info.dims[d]) for d in range(info.rank))
        if info.dtype not in _DTYPES:
            raise LoadError("tensor '%s' has a dtype this package does not know (%d)" % (
                info.name.decode(), info.dtype), "SPCC_ERR_UNSUPPORTED")
        infos.append(TensorInfo(info.name.decode("utf-8", "replace"), _DTYPES[info.dtype], shape))
    return tuple(infos)


def _format_shape(shape):
    return "(%s)" % ", ".join("N" if d is None else str(d) for d in shape)


class Model:
    """A compiled model loaded from its .so (see spcc.load). Immutable and shareable between
    threads; each thread's `run` uses its own context. `close()` (or a `with` block) unloads it;
    using it afterwards raises spcc.ClosedError."""

    def __init__(self, path, threads=0):
        if not isinstance(threads, int) or threads < 0:
            raise ValueError("threads must be an int >= 0 (0: all cores), got %r" % (threads,))
        self.path = os.fspath(path)
        self._threads = threads
        self._lock = threading.RLock()
        self._contexts = weakref.WeakSet()
        self._local = threading.local()
        self._handle = None
        library = _library.runtime()
        handle = ctypes.c_void_p()
        _check(library.spcc_model_load(os.fsencode(self.path), ctypes.byref(handle)), LoadError)
        self._handle = handle
        try:
            self.inputs = _describe(handle, library.spcc_model_num_inputs, library.spcc_model_input)
            self.outputs = _describe(handle, library.spcc_model_num_outputs,
                                     library.spcc_model_output)
        except Exception:
            self.close()
            raise
        #: Where it runs: "cpu (x86-64-v3)", or the GPU and driver (spcc_model_device).
        self.device = library.spcc_model_device(handle).decode("utf-8", "replace")
        # A run-time batch: the first dim of some input (and output) is None.
        self.batched = any(i.shape and i.shape[0] is None for i in self.inputs)

    def __repr__(self):
        state = "closed" if self.closed else "%d inputs, %d outputs" % (
            len(self.inputs), len(self.outputs))
        return "<spcc.Model %r (%s)>" % (self.path, state)

    @property
    def closed(self):
        return self._handle is None

    def _live_handle(self):
        handle = self._handle
        if handle is None:
            raise ClosedError("model '%s' is closed" % self.path)
        return handle

    def context(self, threads=None):
        """A new execution context using `threads` threads (default: the model's, 0 = all
        cores). A context runs one inference at a time; give each thread its own."""
        if threads is None:
            threads = self._threads
        if not isinstance(threads, int) or threads < 0:
            raise ValueError("threads must be an int >= 0 (0: all cores), got %r" % (threads,))
        with self._lock:
            context = Context(self, self._live_handle(), threads)
            self._contexts.add(context)
            return context

    def _thread_context(self):
        context = getattr(self._local, "context", None)
        if context is None or context.closed:
            context = self.context()
            self._local.context = context
        return context

    def run(self, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """Runs the model on `inputs` (name -> numpy array of the input's dtype and shape,
        C-contiguous) and returns name -> output array, on this thread's context. A model
        compiled with a run-time batch takes the batch from the arrays' first dimension."""
        return self._thread_context().run(inputs)

    def run_batch(self, inputs: Dict[str, np.ndarray], batch=None) -> Dict[str, np.ndarray]:
        """Like run, for a model compiled with a run-time batch: `batch` samples (default: the
        batched inputs' first dimension) run one after another."""
        return self._thread_context().run_batch(inputs, batch)

    def bench(self, mode="sync", threads=None, streams=None, seconds=None, warmup=None,
              batch=None):
        """Times this model with the installed spcc-bench (the same tool and figures as
        `spcc-bench MODEL.so --json`; see README) and returns its JSON object as a dict."""
        self._live_handle()
        if mode not in ("sync", "async"):
            raise ValueError("mode must be 'sync' or 'async', got %r" % (mode,))
        command = [_library.bench_path(), self.path, "--json", "--mode", mode]
        for flag, value in (("--threads", threads), ("--streams", streams),
                            ("--seconds", seconds), ("--warmup", warmup), ("--batch", batch)):
            if value is not None:
                command += [flag, str(value)]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            raise Error("spcc-bench: " + (lines[-1] if lines else "exit %d" % result.returncode),
                        "SPCC_BENCH_FAILED")
        return json.loads(result.stdout)

    def close(self):
        """Frees every context of the model (waiting for runs in progress), then the model.
        Idempotent."""
        with self._lock:
            if self._handle is None:
                return
            for context in list(self._contexts):
                context.close()
            handle, self._handle = self._handle, None
            _library.runtime().spcc_model_free(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing left to free with
            pass


class Context:
    """The activation memory and thread pool of one run at a time (Model.context). Runs on
    one context are serialized; runs on distinct contexts proceed in parallel."""

    def __init__(self, model, model_handle, threads):
        self.model = model
        self.threads = threads
        self._lock = threading.Lock()
        handle = ctypes.c_void_p()
        _check(_library.runtime().spcc_context_create(model_handle, threads, ctypes.byref(handle)),
               Error)
        self._handle = handle

    @property
    def closed(self):
        return self._handle is None

    def close(self):
        with self._lock:
            if self._handle is not None:
                handle, self._handle = self._handle, None
                _library.runtime().spcc_context_free(handle)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, inputs):
        """See Model.run."""
        return self._run(inputs, None, batch_call=self.model.batched)

    def run_batch(self, inputs, batch=None):
        """See Model.run_batch."""
        return self._run(inputs, batch, batch_call=True)

    def run_device(self, inputs, outputs, stream=None):
        """Runs a GPU model on device buffers, without waiting (spcc_run_device): `inputs` and
        `outputs` are sequences of device addresses (ints, e.g. a CUDA tensor's data_ptr()) in
        model order, `stream` a CUstream handle (int, e.g. torch.cuda.current_stream().cuda_stream;
        None or 0: CUDA's default stream). The outputs are ready once that stream has finished."""
        library = _library.runtime()
        in_array = (ctypes.c_uint64 * max(1, len(inputs)))(*[int(p) for p in inputs])
        out_array = (ctypes.c_uint64 * max(1, len(outputs)))(*[int(p) for p in outputs])
        with self._lock:
            if self._handle is None or self.model.closed:
                raise ClosedError("model '%s' is closed" % self.model.path)
            _check(library.spcc_run_device(self._handle, len(inputs), in_array, len(outputs),
                                           out_array, ctypes.c_void_p(stream) if stream else None),
                   RunError)

    def _run(self, inputs, batch, batch_call):
        model = self.model
        arrays, batch = _bind_inputs(model, inputs, batch)
        outputs = {}
        for info in model.outputs:
            shape = tuple(batch if d is None else d for d in info.shape)
            outputs[info.name] = np.empty(shape, dtype=info.dtype)
        input_pointers = (ctypes.c_void_p * max(1, len(arrays)))(
            *[a.ctypes.data for a in arrays])
        output_pointers = (ctypes.c_void_p * max(1, len(outputs)))(
            *[a.ctypes.data for a in outputs.values()])
        library = _library.runtime()
        with self._lock:
            if self._handle is None or model.closed:
                raise ClosedError("model '%s' is closed" % model.path)
            if batch_call:
                status = library.spcc_run_batch(self._handle, batch, input_pointers,
                                                output_pointers)
            else:
                status = library.spcc_run_checked(self._handle, len(arrays), input_pointers,
                                                  len(outputs), output_pointers)
            _check(status, RunError)
        return outputs


def _bind_inputs(model, inputs, batch):
    """Checks `inputs` against the model and returns the arrays in model order (zero-copy) and
    the batch. Raises TypeError / ValueError naming the input."""
    if not isinstance(inputs, dict):
        raise TypeError("inputs must be a dict of name -> numpy array, got %s" %
                        type(inputs).__name__)
    names = [info.name for info in model.inputs]
    unknown = sorted(set(inputs) - set(names))
    if unknown:
        raise ValueError("unknown input %s (the model's inputs: %s)" % (
            ", ".join(repr(n) for n in unknown), ", ".join(names)))
    missing = [n for n in names if n not in inputs]
    if missing:
        raise ValueError("missing input %s (the model's inputs: %s)" % (
            ", ".join(repr(n) for n in missing), ", ".join(names)))
    if batch is not None and (not isinstance(batch, int) or batch < 1):
        raise ValueError("batch must be an int >= 1, got %r" % (batch,))
    arrays = []
    for info in model.inputs:
        array = inputs[info.name]
        if not isinstance(array, np.ndarray):
            raise TypeError("input '%s' must be a numpy array, got %s" % (
                info.name, type(array).__name__))
        if array.dtype != info.dtype:
            raise TypeError("input '%s' has dtype %s, the model takes %s (convert it with "
                            ".astype)" % (info.name, array.dtype, info.dtype))
        if array.ndim != len(info.shape) or any(
                d is not None and d != a for d, a in zip(info.shape, array.shape)):
            raise ValueError("input '%s' has shape %s, the model takes %s" % (
                info.name, tuple(array.shape), _format_shape(info.shape)))
        if info.shape and info.shape[0] is None:
            if batch is None:
                batch = int(array.shape[0])
            if array.shape[0] != batch:
                raise ValueError("input '%s' holds %d samples, other inputs (or batch=) %d" % (
                    info.name, array.shape[0], batch))
        if not array.flags.c_contiguous:
            raise ValueError("input '%s' is not C-contiguous; pass np.ascontiguousarray(...)" %
                             info.name)
        arrays.append(array)
    if batch is None:
        batch = 1
    elif batch < 1:
        raise ValueError("batch must be >= 1, got %d" % batch)
    return arrays, batch
