#!/usr/bin/env python3
"""NaN and infinities through compiled models, the reference evaluation and ONNX Runtime.

check_nonfinite.py SPCC SPCC_RUN SOURCE_DIR WORK_DIR

Writes small models whose inputs (or constants) hold NaN, +Inf and -Inf next to ordinary
numbers: the unary ops (Relu of NaN, Sqrt of +Inf, ...), Clip, casts to integers, Softmax and
LogSoftmax over -Inf attention masks (a row masked entirely, a row with one +Inf), MaxPool over
windows holding NaN, and Relu / Clip fused into a sparse MatMul, a dense MatMul and a Conv whose
bias holds NaN (the epilogues). Each model is compiled with spcc (--tune=none), run by spcc-run
from the .so and from the .onnx (the reference evaluation), and by ONNX Runtime
(tools/oracle/run_ort.js); all three must agree: |a - e| <= 1e-5 + 1e-4 |e|, NaN only where
the other has NaN, an infinity only where the other has the same one.

One documented exception: a MaxPool window holding a NaN gives NaN in spcc (as numpy's and
PyTorch's max do); ONNX Runtime's answer for such a window depends on where in the window the
NaN sits. Those windows are checked against numpy, the others against ONNX Runtime.
Exits 0 when everything agrees, 1 otherwise.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
SPECIALS = [np.nan, np.inf, -np.inf]


def value(name, shape, dtype=FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def save_model(path, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, os.path.basename(path), inputs, outputs,
                              [numpy_helper.from_array(a, n) for n, a in initializers])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def with_specials(rng, shape, count):
    """Normal samples with `count` entries replaced by NaN / +Inf / -Inf in turn."""
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    for i, position in enumerate(rng.choice(flat.size, count, replace=False)):
        flat[position] = SPECIALS[i % 3]
    return x


def unary_model(path, rng):
    shape = [2, 24]
    ops = ["Relu", "Sigmoid", "Tanh", "Exp", "Sqrt", "Abs", "Neg", "Erf"]
    nodes = [helper.make_node(op, ["x"], [op.lower()]) for op in ops]
    nodes.append(helper.make_node("Clip", ["x", "lo", "hi"], ["clip"]))
    nodes.append(helper.make_node("LeakyRelu", ["x"], ["leaky"], alpha=0.1))
    outputs = [value(op.lower(), shape) for op in ops] + [value("clip", shape),
                                                         value("leaky", shape)]
    for to, name in [(TensorProto.INT32, "i32"), (TensorProto.BOOL, "b")]:
        nodes.append(helper.make_node("Cast", ["x"], ["cast_" + name], to=to))
        outputs.append(value("cast_" + name, shape, to))
    inits = [("lo", np.array(-1.0, np.float32)), ("hi", np.array(1.5, np.float32))]
    save_model(path, nodes, [value("x", shape)], outputs, inits)
    return {"x": with_specials(rng, shape, 12)}


def softmax_model(path, rng):
    shape = [2, 4, 8]
    nodes = [helper.make_node("Add", ["x", "mask"], ["masked"]),
             helper.make_node("Softmax", ["masked"], ["softmax"], axis=-1),
             helper.make_node("LogSoftmax", ["masked"], ["log_softmax"], axis=-1)]
    save_model(path, nodes, [value("x", shape), value("mask", shape)],
               [value("softmax", shape), value("log_softmax", shape)])
    mask = np.zeros(shape, np.float32)
    mask[0, 0, 5:] = -np.inf  # the usual padding mask
    mask[0, 1, :] = -np.inf  # a row masked entirely
    mask[0, 2, 1:] = -np.inf  # one unmasked entry
    mask[1, 2, 3] = np.inf
    mask[1, 3, 6] = np.nan
    return {"x": rng.standard_normal(shape).astype(np.float32), "mask": mask}


def max_pool_model(path, rng):
    shape = [1, 3, 6, 6]
    nodes = [helper.make_node("MaxPool", ["x"], ["max"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("MaxPool", ["x"], ["max3"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             # ResNet's: three taps a row at stride 2, one of them from a second pair of loads.
             helper.make_node("MaxPool", ["x"], ["max3s2"], kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("AveragePool", ["x"], ["avg"], kernel_shape=[2, 2], strides=[2, 2])]
    save_model(path, nodes, [value("x", shape)],
               [value("max", [1, 3, 3, 3]), value("max3", [1, 3, 6, 6]),
                value("max3s2", [1, 3, 3, 3]), value("avg", [1, 3, 3, 3])])
    return {"x": with_specials(rng, shape, 9)}


def wide_max_pool_model(path, rng):
    """ResNet's 3x3 stride-2 window over rows wide enough for whole 16-lane vectors of outputs
    (35 columns: a block at each border and one between them)."""
    shape = [1, 2, 5, 70]
    nodes = [helper.make_node("MaxPool", ["x"], ["max3s2"], kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1], strides=[2, 2])]
    save_model(path, nodes, [value("x", shape)], [value("max3s2", [1, 2, 3, 35])])
    x = with_specials(rng, shape, 24)
    # NaN in the column just past a vector's 32 (63 for the block of outputs 16-31, 31 for the
    # first block, whose window starts in the padding), and in the last row of a window.
    x[0, 0, 2, 63] = x[0, 1, 0, 31] = x[0, 1, 4, 40] = np.nan
    return {"x": x}


def epilogue_model(path, rng):
    """Relu and Clip after a sparse MatMul, a dense MatMul and a Conv, each with a NaN bias."""
    rows, features = 4, 64
    sparse_w = rng.standard_normal((features, features)).astype(np.float32)
    sparse_w[rng.random(sparse_w.shape) < 0.9] = 0.0
    dense_w = rng.standard_normal((features, features)).astype(np.float32)
    bias = rng.standard_normal(features).astype(np.float32)
    bias[[3, 17, 40]] = [np.nan, np.inf, -np.inf]
    conv_w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    conv_b = rng.standard_normal(8).astype(np.float32)
    conv_b[[1, 6]] = [np.nan, -np.inf]
    nodes = [helper.make_node("MatMul", ["x", "sparse_w"], ["sparse_mm"]),
             helper.make_node("Add", ["sparse_mm", "bias"], ["sparse_biased"]),
             helper.make_node("Relu", ["sparse_biased"], ["sparse_relu"]),
             helper.make_node("MatMul", ["x", "dense_w"], ["dense_mm"]),
             helper.make_node("Add", ["dense_mm", "bias"], ["dense_biased"]),
             helper.make_node("Clip", ["dense_biased", "lo", "hi"], ["dense_clip"]),
             helper.make_node("Conv", ["image", "conv_w", "conv_b"], ["conv"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["conv"], ["conv_relu"])]
    inits = [("sparse_w", sparse_w), ("dense_w", dense_w), ("bias", bias),
             ("conv_w", conv_w), ("conv_b", conv_b),
             ("lo", np.array(-0.5, np.float32)), ("hi", np.array(2.0, np.float32))]
    save_model(path, nodes, [value("x", [rows, features]), value("image", [1, 4, 8, 8])],
               [value("sparse_relu", [rows, features]), value("dense_clip", [rows, features]),
                value("conv_relu", [1, 8, 8, 8])], inits)
    return {"x": rng.standard_normal((rows, features)).astype(np.float32),
            "image": rng.standard_normal((1, 4, 8, 8)).astype(np.float32)}


def nan_max_pool(x, kernel, stride, pad):
    """MaxPool over NCHW with NaN-propagating max (numpy's)."""
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out_h = (padded.shape[2] - kernel) // stride + 1
    out_w = (padded.shape[3] - kernel) // stride + 1
    out = np.empty(x.shape[:2] + (out_h, out_w), np.float32)
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, :, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s" % (command[0], result.returncode,
                                                       result.stdout))


def outputs_of(directory):
    return {name[:-4]: np.load(os.path.join(directory, name))
            for name in sorted(os.listdir(directory)) if name.endswith(".npy")}


def disagreement(actual, expected):
    """None when the arrays agree (NaN with NaN, each infinity with itself), else a message."""
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return "shape/dtype %s %s, expected %s %s" % (actual.shape, actual.dtype,
                                                     expected.shape, expected.dtype)
    try:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, equal_nan=True)
    except AssertionError as error:
        return str(error).strip().splitlines()[-1] + "\n  got      %s\n  expected %s" % (
            actual.ravel()[:12], expected.ravel()[:12])
    return None


# Each pooling model's outputs: (kernel, stride, pad).
POOL_WINDOWS = {
    "max_pool": [("max", (2, 2, 0)), ("max3", (3, 1, 1)), ("max3s2", (3, 2, 1))],
    "wide_max_pool": [("max3s2", (3, 2, 1))],
}


def main():
    if len(sys.argv) != 5:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    spcc, spcc_run, source_dir, work_dir = sys.argv[1:]
    node = os.environ.get("NODE", "node")
    run_ort = os.path.join(source_dir, "tools", "oracle", "run_ort.js")
    os.makedirs(work_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    failures = 0
    for name, build in [("unary", unary_model), ("softmax", softmax_model),
                        ("max_pool", max_pool_model), ("wide_max_pool", wide_max_pool_model),
                        ("epilogue", epilogue_model)]:
        model = os.path.join(work_dir, name + ".onnx")
        inputs = build(model, rng)
        feeds = []
        for input_name, array in inputs.items():
            path = os.path.join(work_dir, "%s.%s.npy" % (name, input_name))
            np.save(path, array)
            feeds.append("%s=%s" % (input_name, path))
        library = os.path.join(work_dir, name + ".so")
        run([spcc, model, "-o", library, "--tune=none"])
        results = {}
        for kind, command in [
                ("compiled", [spcc_run, library]), ("reference", [spcc_run, model]),
                ("onnxruntime", [node, run_ort, model])]:
            out_dir = os.path.join(work_dir, name + "." + kind)
            os.makedirs(out_dir, exist_ok=True)
            if kind == "onnxruntime":
                run(command + [out_dir] + feeds)
            else:
                run(command + [arg for feed in feeds for arg in ("-i", feed)] + ["-o", out_dir])
            results[kind] = outputs_of(out_dir)
        expected = results["onnxruntime"]
        if name in POOL_WINDOWS:
            # Windows holding a NaN: numpy's answer (NaN), not ONNX Runtime's.
            x = inputs["x"]
            for output, (kernel, stride, pad) in POOL_WINDOWS[name]:
                numpy_max = nan_max_pool(x, kernel, stride, pad)
                expected[output] = np.where(np.isnan(numpy_max), numpy_max, expected[output])
        for output, want in expected.items():
            for kind in ("compiled", "reference"):
                got = results[kind].get(output)
                problem = "missing" if got is None else disagreement(got, want)
                status = "ok" if problem is None else "FAILED: " + problem
                print("%s %s (%s): %s" % (name, output, kind, status))
                failures += problem is not None
    print("%d disagreements" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
