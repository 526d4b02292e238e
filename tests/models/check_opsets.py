#!/usr/bin/env python3
"""One small pruned network written at every opset spcc imports, compiled and checked.

check_opsets.py SPCC SPCC_RUN SOURCE_DIR WORK_DIR [OPSET...]

For each opset (default: 7, 9, 10, 11, 13, 17, 18, 19, 20, 21) the same network is written with
python3-onnx's helper API in that opset's form of each op: Pad (attributes before 11, inputs
from 11, an `axes` input from 18), Conv with a 90%-pruned weight, BatchNormalization (`spatial`
before 9), Clip (attributes before 11), MaxPool, Slice (attributes before 10), Split (the
`split` attribute before 13, an input from 13, `num_outputs` from 18) and Concat, Unsqueeze and
Squeeze (`axes` attributes before 13), ReduceMean (`axes` input from 18), nearest upsampling
(Upsample before 10, Resize-10's two inputs, then Resize with linear / align_corners from sizes
and cubic from scales from 11), Flatten, Dropout, a
Gemm with a 90%-pruned weight, and Softmax (2-D coercion before 13). Each model is compiled by
spcc, run from the .so and by the reference evaluation (spcc-run), and by ONNX Runtime 1.30
(tools/oracle/run_ort.js), which runs every opset; the outputs must agree within
|a - e| <= 1e-5 + 1e-4 |e|. Exits 0 when every opset agrees, 1 otherwise.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DEFAULT_OPSETS = [7, 9, 10, 11, 13, 17, 18, 19, 20, 21]
FLOAT = TensorProto.FLOAT


def pruned(rng, shape, sparsity=0.9):
    w = (rng.standard_normal(shape) * 0.3).astype(np.float32)
    w[rng.random(shape) < sparsity] = 0.0
    return w


def build(opset, path):
    rng = np.random.default_rng(opset)
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(name, values):
        return const(name, np.array(values, np.int64))

    # Pad 1 pixel on H and W.
    if opset < 11:
        nodes.append(helper.make_node("Pad", ["x"], ["padded"], pads=[0, 0, 1, 1, 0, 0, 1, 1],
                                      value=0.0))
    elif opset < 18:
        nodes.append(helper.make_node("Pad", ["x", ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])],
                                      ["padded"]))
    else:
        nodes.append(helper.make_node("Pad", ["x", ints("pads", [1, 1, 1, 1]), "",
                                              ints("pad_axes", [2, 3])], ["padded"]))
    nodes.append(helper.make_node("Conv", ["padded", const("conv_w", pruned(rng, (16, 3, 3, 3))),
                                           const("conv_b", rng.standard_normal(16).astype(
                                               np.float32))], ["conv"]))
    bn = [const("bn_scale", (rng.random(16) + 0.5).astype(np.float32)),
          const("bn_bias", rng.standard_normal(16).astype(np.float32)),
          const("bn_mean", (rng.standard_normal(16) * 0.1).astype(np.float32)),
          const("bn_var", (rng.random(16) + 0.5).astype(np.float32))]
    extra = {"spatial": 1} if opset < 9 else {}
    nodes.append(helper.make_node("BatchNormalization", ["conv"] + bn, ["bn"], epsilon=1e-5,
                                  **extra))
    if opset < 11:
        nodes.append(helper.make_node("Clip", ["bn"], ["clipped"], min=0.0, max=6.0))
    else:
        nodes.append(helper.make_node("Clip", ["bn", const("lo", np.array(0.0, np.float32)),
                                               const("hi", np.array(6.0, np.float32))],
                                      ["clipped"]))
    nodes.append(helper.make_node("MaxPool", ["clipped"], ["pooled"], kernel_shape=[2, 2],
                                  strides=[2, 2]))  # [1, 16, 8, 8]
    # Slice channels 2..14 and rows 1..7.
    if opset < 10:
        nodes.append(helper.make_node("Slice", ["pooled"], ["sliced"], starts=[2, 1],
                                      ends=[14, 7], axes=[1, 2]))
    else:
        nodes.append(helper.make_node("Slice", ["pooled", ints("starts", [2, 1]),
                                                ints("ends", [14, 7]), ints("axes", [1, 2])],
                                      ["sliced"]))  # [1, 12, 6, 8]
    # Split the channels in three and put them back in another order.
    parts = ["part0", "part1", "part2"]
    if opset < 13:
        nodes.append(helper.make_node("Split", ["sliced"], parts, axis=1, split=[4, 4, 4]))
    elif opset < 18:
        nodes.append(helper.make_node("Split", ["sliced", ints("split", [4, 4, 4])], parts,
                                      axis=1))
    else:
        nodes.append(helper.make_node("Split", ["sliced"], parts, axis=1, num_outputs=3))
    nodes.append(helper.make_node("Concat", ["part2", "part0", "part1"], ["mixed"], axis=1))
    # A mean over W kept as a dim, then Unsqueeze / Squeeze around it.
    if opset < 18:
        nodes.append(helper.make_node("ReduceMean", ["mixed"], ["mean"], axes=[3], keepdims=1))
    else:
        nodes.append(helper.make_node("ReduceMean", ["mixed", ints("mean_axes", [3])], ["mean"],
                                      keepdims=1))
    if opset < 13:
        nodes.append(helper.make_node("Squeeze", ["mean"], ["squeezed"], axes=[3]))
        nodes.append(helper.make_node("Unsqueeze", ["squeezed"], ["unsqueezed"], axes=[3]))
    else:
        nodes.append(helper.make_node("Squeeze", ["mean", ints("squeeze_axes", [3])],
                                      ["squeezed"]))
        nodes.append(helper.make_node("Unsqueeze", ["squeezed", ints("unsqueeze_axes", [3])],
                                      ["unsqueezed"]))
    # Nearest upsampling of `mixed` by 2 on H and W: Upsample before opset 10, Resize after.
    scales = (const("up_scales", np.array([1, 1, 2, 2], np.float32)) if opset >= 9 else None)
    if opset < 9:
        nodes.append(helper.make_node("Upsample", ["mixed"], ["up"], scales=[1.0, 1.0, 2.0, 2.0]))
    elif opset < 10:
        nodes.append(helper.make_node("Upsample", ["mixed", scales], ["up"]))
    elif opset < 11:
        nodes.append(helper.make_node("Resize", ["mixed", scales], ["up"]))
    else:
        roi = "" if opset >= 13 else const("roi", np.zeros(0, np.float32))
        nodes.append(helper.make_node("Resize", ["mixed", roi, scales], ["up"]))
        # Linear from sizes, align_corners; cubic with half_pixel.
        nodes.append(helper.make_node(
            "Resize", ["mixed", roi, const("no_scales", np.zeros(0, np.float32)) if opset < 13
                       else "", ints("sizes", [1, 12, 9, 13])], ["up_linear"], mode="linear",
            coordinate_transformation_mode="align_corners"))
        nodes.append(helper.make_node("Resize", ["mixed", roi, scales], ["up_cubic"],
                                      mode="cubic"))
    nodes.append(helper.make_node("Flatten", ["unsqueezed"], ["flat"], axis=1))  # [1, 72]
    dropout = {"ratio": 0.5} if opset < 12 else {}
    nodes.append(helper.make_node("Dropout", ["flat"], ["kept"], **dropout))
    nodes.append(helper.make_node("Gemm", ["kept", const("fc_w", pruned(rng, (72, 32))),
                                           const("fc_b", rng.standard_normal(32).astype(
                                               np.float32))], ["logits"]))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probs"], axis=1))
    graph = helper.make_graph(nodes, "opset%d" % opset,
                              [helper.make_tensor_value_info("x", FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("probs", FLOAT, [1, 32]),
                               helper.make_tensor_value_info("mixed", FLOAT, [1, 12, 6, 8]),
                               helper.make_tensor_value_info("up", FLOAT, [1, 12, 12, 16])] +
                              ([helper.make_tensor_value_info("up_linear", FLOAT, [1, 12, 9, 13]),
                                helper.make_tensor_value_info("up_cubic", FLOAT,
                                                              [1, 12, 12, 16])]
                               if opset >= 11 else []),
                              inits)
    ir_version = 3 if opset < 9 else 4 if opset < 11 else 6 if opset < 13 else 8
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=ir_version)
    onnx.save(model, path)
    return {"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)}


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return result.returncode, result.stdout.strip()


def main():
    if len(sys.argv) < 5:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    spcc, spcc_run, source_dir, work = sys.argv[1:5]
    opsets = [int(o) for o in sys.argv[5:]] or DEFAULT_OPSETS
    node = os.environ.get("NODE", "node")
    run_ort = os.path.join(source_dir, "tools", "oracle", "run_ort.js")
    os.makedirs(work, exist_ok=True)
    failures = 0
    for opset in opsets:
        name = "opset%d" % opset
        model = os.path.join(work, name + ".onnx")
        inputs = build(opset, model)
        feeds = []
        for input_name, array in inputs.items():
            path = os.path.join(work, "%s.%s.npy" % (name, input_name))
            np.save(path, array)
            feeds.append("%s=%s" % (input_name, path))
        library = os.path.join(work, name + ".so")
        results, problems = {}, []
        rc, out = run([spcc, model, "-o", library, "--tune=none"])
        if rc != 0:
            problems.append("spcc: exit %d: %s" % (rc, out))
        for kind, command in [("compiled", [spcc_run, library]),
                              ("reference", [spcc_run, model]),
                              ("onnxruntime", [node, run_ort, model])]:
            if problems and kind == "compiled":
                continue
            out_dir = os.path.join(work, name + "." + kind)
            os.makedirs(out_dir, exist_ok=True)
            args = ([out_dir] + feeds if kind == "onnxruntime" else
                    [a for f in feeds for a in ("-i", f)] + ["-o", out_dir])
            rc, out = run(command + args)
            if rc != 0:
                problems.append("%s: exit %d: %s" % (kind, rc, out))
                continue
            results[kind] = {f[:-4]: np.load(os.path.join(out_dir, f))
                             for f in os.listdir(out_dir) if f.endswith(".npy")}
        expected = results.get("onnxruntime", {})
        for kind in ("compiled", "reference"):
            for output, want in expected.items():
                got = results.get(kind, {}).get(output)
                if got is None:
                    continue
                try:
                    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
                except AssertionError as error:
                    problems.append("%s %s: %s" % (kind, output,
                                                   str(error).strip().splitlines()[-1]))
        checked = sum(len(results.get(k, {})) for k in ("compiled", "reference"))
        if problems or checked != 2 * len(expected) or not expected:
            failures += 1
            print("opset %d: FAILED\n  %s" % (opset, "\n  ".join(problems) or "outputs missing"))
        else:
            print("opset %d: compiled and reference equal ONNX Runtime (%d outputs)"
                  % (opset, len(expected)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
