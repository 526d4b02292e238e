#!/usr/bin/python3
"""float16 and double models, which spcc computes in float32, against ONNX Runtime.

check_float_types.py SPCC SPCC_RUN SOURCE_DIR WORK_DIR

1. "storage": float16 weights and a double bias, each Cast to float before the math (how
   weight-compressed exports look), initializers and Constant nodes alike; a float32 input.
   ONNX Runtime computes the same float32 math, so the outputs must agree at rtol 1e-5,
   atol 1e-6.
2. "half": a model computing in float16 throughout (input, constants, output). spcc runs it in
   float32 and declares its input and output float32; ONNX Runtime runs float16. The outputs
   must agree within float16's precision (rtol 2e-3, atol 1e-3), and spcc's must match the
   float32 computation of the same graph at rtol 1e-5.
Exits 0 when both agree, 1 otherwise.
"""
import os
import subprocess
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.stdout.write(result.stdout)
        raise SystemExit("check_float_types: %s failed (exit %d)" % (cmd[0], result.returncode))
    return result.stdout


def storage_model(rng):
    w16 = rng.standard_normal((16, 8)).astype(np.float16)
    b64 = rng.standard_normal(8).astype(np.float64)
    scale16 = np.array([0.5], np.float16)
    nodes = [
        helper.make_node("Cast", ["w16"], ["w"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["b64"], ["b"], to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["s16"], value=numpy_helper.from_array(scale16)),
        helper.make_node("Cast", ["s16"], ["s"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["z"]),
        helper.make_node("Mul", ["z", "s"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "storage", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
        [numpy_helper.from_array(w16, "w16"), numpy_helper.from_array(b64, "b64")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def half_model(rng):
    w16 = rng.standard_normal((8, 8)).astype(np.float16)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Relu", ["xw"], ["r"]),
        helper.make_node("ConstantOfShape", ["shape"], ["ones"],
                         value=numpy_helper.from_array(np.array([1.5], np.float16))),
        helper.make_node("Add", ["r", "ones"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "half", [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [2, 8])],
        [numpy_helper.from_array(w16, "w"),
         numpy_helper.from_array(np.array([2, 8], np.int64), "shape")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), w16


def compile_and_run(spcc, spcc_run, model_path, x32, work):
    library = model_path[:-len(".onnx")] + ".so"
    run([spcc, model_path, "-o", library, "--tune=none"])
    np.save(os.path.join(work, "x32.npy"), x32)
    out_dir = model_path[:-len(".onnx")] + ".spcc"
    run([spcc_run, library, "-i", "x=" + os.path.join(work, "x32.npy"), "-o", out_dir])
    return np.load(os.path.join(out_dir, "y.npy"))


def ort(source_dir, model_path, x, work):
    np.save(os.path.join(work, "x_ort.npy"), x)
    out_dir = model_path[:-len(".onnx")] + ".ort"
    run(["node", os.path.join(source_dir, "tools/oracle/run_ort.js"), model_path, out_dir,
         "x=" + os.path.join(work, "x_ort.npy")])
    return np.load(os.path.join(out_dir, "y.npy"))


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    spcc, spcc_run, source_dir, work = argv[1:]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(5)
    ok = True

    path = os.path.join(work, "storage.onnx")
    save(storage_model(rng), path)
    x = rng.standard_normal((4, 16)).astype(np.float32)
    actual, expected = compile_and_run(spcc, spcc_run, path, x, work), ort(source_dir, path, x, work)
    good = actual.dtype == np.float32 and np.allclose(actual, expected, rtol=1e-5, atol=1e-6)
    print("storage (float16 / double weights cast to float): %s, max abs error %.3g"
          % ("PASS" if good else "FAIL", np.abs(actual - expected).max()))
    ok &= good

    model, w16 = half_model(rng)
    path = os.path.join(work, "half.onnx")
    save(model, path)
    x16 = rng.standard_normal((2, 8)).astype(np.float16)
    actual = compile_and_run(spcc, spcc_run, path, x16.astype(np.float32), work)
    expected = ort(source_dir, path, x16, work).astype(np.float32)
    in_float32 = np.maximum(x16.astype(np.float32) @ w16.astype(np.float32), 0) + 1.5
    good = (actual.dtype == np.float32 and
            np.allclose(actual, expected, rtol=2e-3, atol=1e-3) and
            np.allclose(actual, in_float32, rtol=1e-5, atol=1e-6))
    print("half (computing in float16, run in float32): %s, max abs error %.3g against ONNX "
          "Runtime's float16, %.3g against float32" % (
              "PASS" if good else "FAIL", np.abs(actual - expected).max(),
              np.abs(actual - in_float32).max()))
    ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
