#!/usr/bin/python3
"""Models of the ops spcc rewrites into others, compiled by spcc, against ONNX Runtime:
Loop and Scan (unrolled), If (inlined), Einsum (MatMuls), GroupNormalization and
LpNormalization (an InstanceNormalization or a reduction, and elementwise ops), LSTM and GRU
over sequences of several lengths (unrolled steps, masked past each sequence's end).

check_rewritten_ops.py SPCC SPCC_RUN SOURCE_DIR WORK_DIR

Each model is compiled to a .so and run with spcc-run on random inputs; ONNX Runtime 1.30 runs the original model natively.
Outputs must agree at rtol 1e-4, atol 1e-5. Models whose loops cannot be unrolled must be
refused with one error line naming the node and a non-zero exit code, never a crash.
Exits 0 when every check passes, 1 otherwise.
"""
import os
import subprocess
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

F = TensorProto.FLOAT


def value(name, dims, elem=F):
    return helper.make_tensor_value_info(name, elem, dims)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def pruned(rng, shape, sparsity):
    w = rng.standard_normal(shape).astype(np.float32)
    w[rng.random(shape) < sparsity] = 0
    return w


def loop_model(rng):
    """A recurrent cell as a Loop with a constant trip count: h = relu(h W + b + 0.1 i), W 90%
    pruned and read from the enclosing graph; h of every iteration is a scan output."""
    body = helper.make_graph(
        [helper.make_node("MatMul", ["h_in", "w"], ["hw"]),
         helper.make_node("Add", ["hw", "b"], ["hwb"]),
         helper.make_node("Cast", ["i"], ["i_f"], to=F),
         helper.make_node("Mul", ["i_f", "tenth"], ["step"]),
         helper.make_node("Add", ["hwb", "step"], ["pre"]),
         helper.make_node("Relu", ["pre"], ["h_out"]),
         helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("Identity", ["h_out"], ["h_scan"])],
        "cell", [value("i", [], TensorProto.INT64), value("c_in", [], TensorProto.BOOL),
                 value("h_in", [2, 64])],
        [value("c_out", [], TensorProto.BOOL), value("h_out", [2, 64]), value("h_scan", [2, 64])],
        [const("tenth", np.float32(0.1))])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trips", "", "x"], ["h", "hs"], body=body)],
        "loop", [value("x", [2, 64])], [value("h", [2, 64]), value("hs", [5, 2, 64])],
        [const("trips", np.int64(5)), const("w", pruned(rng, (64, 64), 0.9) * 0.3),
         const("b", rng.standard_normal(64).astype(np.float32) * 0.1)])
    return graph, 11, {"x": (2, 64)}


def loop_condition_model(rng):
    """A Loop whose body computes its condition (iteration + 1 < 3) and holds an If on the
    iteration number: 3 iterations of x = i == 0 ? x + 1 : x * x."""
    then_branch = helper.make_graph([helper.make_node("Add", ["x_in", "one"], ["t"])], "then", [],
                                    [value("t", [3, 4])])
    else_branch = helper.make_graph([helper.make_node("Mul", ["x_in", "x_in"], ["e"])], "else", [],
                                    [value("e", [3, 4])])
    body = helper.make_graph(
        [helper.make_node("Equal", ["i", "zero"], ["first"]),
         helper.make_node("If", ["first"], ["x_out"], then_branch=then_branch,
                          else_branch=else_branch),
         helper.make_node("Add", ["i", "one_i"], ["next"]),
         helper.make_node("Less", ["next", "three"], ["c_out"])],
        "body", [value("i", [], TensorProto.INT64), value("c_in", [], TensorProto.BOOL),
                 value("x_in", [3, 4])],
        [value("c_out", [], TensorProto.BOOL), value("x_out", [3, 4])],
        [const("zero", np.int64(0)), const("one_i", np.int64(1)), const("three", np.int64(3))])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trips", "go", "x"], ["y"], body=body)],
        "loop_cond", [value("x", [3, 4])], [value("y", [3, 4])],
        [const("trips", np.int64(10)), const("go", np.bool_(True)),
         const("one", np.float32(1.0))])
    return graph, 13, {"x": (3, 4)}


def scan_model(rng, opset):
    """A running sum over two sequences, the second read backwards; each step's output is the
    sum times the first sequence's element, stacked along axis 1 in reverse (opset 9+), or the
    batched form of Scan-8."""
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "a"], ["s_mid"]),
         helper.make_node("Add", ["s_mid", "b"], ["s_out"]),
         helper.make_node("Mul", ["s_out", "a"], ["step"])],
        "body", [value("s_in", [4]), value("a", [4]), value("b", [4])],
        [value("s_out", [4]), value("step", [4])])
    if opset >= 9:
        node = helper.make_node("Scan", ["s0", "xa", "xb"], ["s", "steps"], body=body,
                                num_scan_inputs=2, scan_input_directions=[0, 1],
                                scan_input_axes=[0, 1], scan_output_axes=[-1],
                                scan_output_directions=[1])
        shapes = {"s0": (4,), "xa": (6, 4), "xb": (4, 6)}
        # xb is scanned along axis 1: its slices are [4]; transpose to fit the body.
        xb_t = helper.make_node("Transpose", ["xb_in"], ["xb"], perm=[1, 0])
        graph = helper.make_graph([xb_t, node], "scan", [value("s0", [4]), value("xa", [6, 4]),
                                                         value("xb_in", [6, 4])],
                                  [value("s", [4]), value("steps", [4, 6])])
        return graph, opset, {"s0": (4,), "xa": (6, 4), "xb_in": (6, 4)}
    node = helper.make_node("Scan", ["", "s0", "xa", "xb"], ["s", "steps"], body=body,
                            num_scan_inputs=2, directions=[0, 1])
    graph = helper.make_graph([node], "scan8", [value("s0", [2, 4]), value("xa", [2, 5, 4]),
                                                value("xb", [2, 5, 4])],
                              [value("s", [2, 4]), value("steps", [2, 5, 4])])
    return graph, 8, {"s0": (2, 4), "xa": (2, 5, 4), "xb": (2, 5, 4)}


def einsum_model(rng):
    """Attention written as Einsums (opset 12), with a 90%-pruned projection as an Einsum
    against a weight."""
    nodes = [
        helper.make_node("Einsum", ["x", "wq"], ["q"], equation="bnd,hd->bnh"),
        helper.make_node("Reshape", ["q", "heads"], ["qh"]),
        helper.make_node("Einsum", ["qh", "k"], ["scores"], equation="bqhd,bhkd->bhqk"),
        helper.make_node("Softmax", ["scores"], ["p"], axis=-1),
        helper.make_node("Einsum", ["p", "v"], ["ctx"], equation="bhqk,bhkd->bqhd"),
        helper.make_node("Einsum", ["ctx"], ["y"], equation="bqhd->bhd"),
    ]
    graph = helper.make_graph(
        nodes, "einsum", [value("x", [2, 8, 32]), value("k", [2, 4, 8, 8]),
                          value("v", [2, 4, 8, 8])],
        [value("y", [2, 4, 8])],
        [const("wq", pruned(rng, (32, 32), 0.9)), const("heads", np.array([2, 8, 4, 8]))])
    return graph, 12, {"x": (2, 8, 32), "k": (2, 4, 8, 8), "v": (2, 4, 8, 8)}


def group_norm_model(rng, opset):
    """GroupNormalization over 4 groups of 12 channels: opset 21's per-channel scale and bias,
    or opset 18's per-group ones; then LpNormalization (L1 over the channels, L2 over the
    last axis)."""
    groups, channels = 4, 12
    affine = channels if opset >= 21 else groups
    nodes = [helper.make_node("GroupNormalization", ["x", "scale", "bias"], ["g"],
                              num_groups=groups, epsilon=1e-3),
             helper.make_node("LpNormalization", ["g"], ["l1"], axis=1, p=1),
             helper.make_node("LpNormalization", ["x"], ["l2"])]
    graph = helper.make_graph(
        nodes, "norms", [value("x", [2, channels, 5, 3])],
        [value("g", [2, channels, 5, 3]), value("l1", [2, channels, 5, 3]),
         value("l2", [2, channels, 5, 3])],
        [const("scale", rng.standard_normal(affine).astype(np.float32)),
         const("bias", rng.standard_normal(affine).astype(np.float32))])
    return graph, opset, {"x": (2, channels, 5, 3)}


def recurrent_lengths_model(rng, op):
    """A bidirectional LSTM or GRU over sequences of lengths 6, 2 and 4 (T = 6)."""
    gates = 4 if op == "LSTM" else 3
    T, B, I, H = 6, 3, 5, 8
    outputs = ["y", "y_h"] + (["y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, ["x", "w", "r", "b", "lens"], outputs, hidden_size=H,
                            direction="bidirectional")
    dims = {"y": [T, 2, B, H], "y_h": [2, B, H], "y_c": [2, B, H]}
    graph = helper.make_graph(
        [node], op.lower() + "_lengths", [value("x", [T, B, I])],
        [value(o, dims[o]) for o in outputs],
        [const("w", rng.standard_normal((2, gates * H, I)).astype(np.float32) * 0.5),
         const("r", rng.standard_normal((2, gates * H, H)).astype(np.float32) * 0.5),
         const("b", rng.standard_normal((2, 2 * gates * H)).astype(np.float32) * 0.2),
         const("lens", np.array([6, 2, 4], np.int32))])
    return graph, 14, {"x": (T, B, I)}


def refused_models():
    """(name, graph, opset, expected message part): loops spcc must refuse."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("Add", ["x_in", "x_in"], ["x_out"])],
        "body", [value("i", [], TensorProto.INT64), value("c_in", [], TensorProto.BOOL),
                 value("x_in", [4])], [value("c_out", [], TensorProto.BOOL), value("x_out", [4])])
    data_trips = helper.make_graph(
        [helper.make_node("Loop", ["n", "", "x"], ["y"], body=body, name="by_input")],
        "data_trips", [value("x", [4]), value("n", [], TensorProto.INT64)], [value("y", [4])])
    forever = helper.make_graph(
        [helper.make_node("Loop", ["", "go", "x"], ["y"], body=body, name="forever")],
        "forever", [value("x", [4])], [value("y", [4])], [const("go", np.bool_(True))])
    too_long = helper.make_graph(
        [helper.make_node("Loop", ["n", "", "x"], ["y"], body=body, name="long")],
        "too_long", [value("x", [4])], [value("y", [4])], [const("n", np.int64(100000))])
    return [("loop_data_trips", data_trips, 13,
             "node 'by_input' (Loop): its trip count 'n' must be known at compile time"),
            ("loop_forever", forever, 13, "node 'forever' (Loop): runs forever"),
            ("loop_too_long", too_long, 13, "node 'long' (Loop): runs more than 4096 iterations")]


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    spcc, spcc_run, source_dir, work = argv[1:]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(7)
    ok = True
    cases = [("loop", loop_model(rng)), ("loop_condition_if", loop_condition_model(rng)),
             ("scan9", scan_model(rng, 9)), ("scan16", scan_model(rng, 16)),
             ("scan8", scan_model(rng, 8)), ("einsum", einsum_model(rng)),
             ("group_norm18", group_norm_model(rng, 18)),
             ("group_norm21", group_norm_model(rng, 21)),
             ("lstm_lengths", recurrent_lengths_model(rng, "LSTM")),
             ("gru_lengths", recurrent_lengths_model(rng, "GRU"))]
    for name, (graph, opset, shapes) in cases:
        path = os.path.join(work, name + ".onnx")
        save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), path)
        args = []
        for input_name, dims in shapes.items():
            data = os.path.join(work, "%s.%s.npy" % (name, input_name))
            np.save(data, rng.standard_normal(dims).astype(np.float32))
            args.append("%s=%s" % (input_name, data))
        library = os.path.join(work, name + ".so")
        spcc_dir, ort_dir = os.path.join(work, name + ".spcc"), os.path.join(work, name + ".ort")
        steps = [[spcc, path, "-o", library, "--tune=none"],
                 [spcc_run, library, "-o", spcc_dir] + sum([["-i", a] for a in args], []),
                 ["node", os.path.join(source_dir, "tools/oracle/run_ort.js"), path, ort_dir] +
                 args]
        failed = None
        for cmd in steps:
            result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
            if result.returncode != 0:
                failed = "%s exited %d: %s" % (os.path.basename(cmd[0]), result.returncode,
                                               result.stdout.strip()[-400:])
                break
        if failed:
            print("%s (opset %d): FAIL, %s" % (name, opset, failed))
            ok = False
            continue
        worst, largest, good = 0.0, 0.0, True
        for out in graph.output:
            actual = np.load(os.path.join(spcc_dir, out.name + ".npy"))
            expected = np.load(os.path.join(ort_dir, out.name + ".npy"))
            if actual.shape != expected.shape:
                print("%s: output %s has shape %s, ONNX Runtime's %s" % (
                    name, out.name, actual.shape, expected.shape))
                good = False
                continue
            good &= bool(np.allclose(actual, expected, rtol=1e-4, atol=1e-5))
            worst = max(worst, float(np.abs(actual - expected).max()))
            largest = max(largest, float(np.abs(expected).max()))
        good &= largest > 0.1  # a degenerate output proves nothing
        print("%s (opset %d): %s, max abs error %.3g (largest output %.3g)" % (
            name, opset, "PASS" if good else "FAIL", worst, largest))
        ok &= good

    for name, graph, opset, expected in refused_models():
        path = os.path.join(work, name + ".onnx")
        save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), path)
        result = subprocess.run([spcc, path, "-o", os.path.join(work, name + ".so")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        good = result.returncode > 0 and expected in result.stdout
        print("%s: %s, exit %d: %s" % (name, "PASS" if good else "FAIL", result.returncode,
                                       result.stdout.strip()))
        ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
