#!/usr/bin/python3
"""The GPU target without a GPU: emulation, the ptxas gate, and the device path's refusals.

check_gpu_target.py SPCC SPCC_RUN RUNTIME_LIBRARY MODELS_DIR WORK_DIR [--bench-models]

1. A token-major network written here (MatMul + bias + Relu, MatMul + residual Add, Gemm; 40
   positions, so blocks and row groups end in tails; weights 90% zero, random nonzeros) and the
   network of elementwise ops, gathers and layer norms and one of products too large to bake
   into code (the CSR kernel) written here,
   and the exported MLP, MobileNet, ResNet and BERT (MODELS_DIR/NAME/NAME.onnx, NAME.inputs/:
   stem and depthwise convolutions direct, pointwise ones as products, max and global average
   pooling, residual epilogues; embeddings, layer norms, attention with its mask), compiled with --target sm_90 --emulate-gpu, run by spcc-run through the
   runtime's emulated driver, against ONNX Runtime (rtol 1e-4, atol 1e-5).
2. The same models compiled for sm_80 and sm_90 (device code, --emit-ptx): every PTX module
   assembles with ptxas -arch=sm_80 / sm_90 without spills; a visible SKIP line where ptxas is
   absent.
With --bench-models, steps 1 and 2 run on the three benchmark models instead (BERT-base 95%,
MobileNet V1 90%, ResNet-50 80%: exported by models/export_models.py into WORK_DIR unless there),
emulated against ONNX Runtime at rtol 1e-3, atol 1e-4.
3. Loading a device model here (no NVIDIA driver): exit 5 and a message saying so; a model with
   an op the GPU target has no kernel for (Softmax): exit 5 naming node, op and target; --emulate-gpu with
   an x86 target: exit 2. The runtime library does not link libcuda (ldd).
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sparse(rng, shape, sparsity=0.9):
    w = rng.uniform(-1, 1, shape).astype(np.float32)
    w[rng.random(shape) < sparsity] = 0
    return w


def write_token_major_model(path, rng):
    """x[40, 96] -> MatMul W1[96, 128] + b1 -> Relu -> MatMul W2[128, 96] + x -> Gemm W3^T."""
    positions, features, hidden, classes = 40, 96, 128, 24
    inits = [numpy_helper.from_array(sparse(rng, (features, hidden)), "w1"),
             numpy_helper.from_array(rng.uniform(-1, 1, hidden).astype(np.float32), "b1"),
             numpy_helper.from_array(sparse(rng, (hidden, features)), "w2"),
             numpy_helper.from_array(sparse(rng, (classes, features)), "w3"),
             numpy_helper.from_array(rng.uniform(-1, 1, classes).astype(np.float32), "b3")]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
             helper.make_node("Add", ["h0", "b1"], ["h1"], name="bias1"),
             helper.make_node("Relu", ["h1"], ["h2"], name="relu1"),
             helper.make_node("MatMul", ["h2", "w2"], ["h3"], name="fc2"),
             helper.make_node("Add", ["h3", "x"], ["h4"], name="residual"),
             helper.make_node("Gemm", ["h4", "w3", "b3"], ["y"], name="classifier", transB=1)]
    graph = helper.make_graph(
        nodes, "token_major", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             [positions, features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [positions, classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, path)
    return {"x": rng.standard_normal((positions, features)).astype(np.float32)}


def write_large_layers_model(path, rng):
    """Products above the baked kernel's nonzero budget, so they get the CSR kernel: a
    pointwise convolution (feature-major, bias and Relu fused) and a token-major MatMul + bias;
    and one with 20% zeros, which gets the dense kernel (a pointwise convolution of 16 columns:
    four positions per thread)."""
    conv_w = sparse(rng, (256, 256, 1, 1), 0.5)
    mat_w = sparse(rng, (512, 256), 0.5)
    dense_w = sparse(rng, (128, 96, 1, 1), 0.2)
    inits = [numpy_helper.from_array(conv_w, "conv_w"),
             numpy_helper.from_array(rng.uniform(-1, 1, 256).astype(np.float32), "conv_b"),
             numpy_helper.from_array(mat_w, "mat_w"),
             numpy_helper.from_array(rng.uniform(-1, 1, 256).astype(np.float32), "mat_b"),
             numpy_helper.from_array(dense_w, "dense_w")]
    nodes = [helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["c"], name="pointwise"),
             helper.make_node("Relu", ["c"], ["y1"], name="relu"),
             helper.make_node("MatMul", ["t", "mat_w"], ["m"], name="product"),
             helper.make_node("Add", ["m", "mat_b"], ["y2"], name="bias"),
             helper.make_node("Conv", ["d", "dense_w"], ["y3"], name="dense")]
    graph = helper.make_graph(
        nodes, "large_layers",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256, 5, 7]),
         helper.make_tensor_value_info("t", TensorProto.FLOAT, [9, 512]),
         helper.make_tensor_value_info("d", TensorProto.FLOAT, [1, 96, 4, 4])],
        [helper.make_tensor_value_info("y1", TensorProto.FLOAT, [1, 256, 5, 7]),
         helper.make_tensor_value_info("y2", TensorProto.FLOAT, [9, 256]),
         helper.make_tensor_value_info("y3", TensorProto.FLOAT, [1, 128, 4, 4])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return {"x": rng.standard_normal((1, 256, 5, 7)).astype(np.float32),
            "t": rng.standard_normal((9, 512)).astype(np.float32),
            "d": rng.standard_normal((1, 96, 4, 4)).astype(np.float32)}


def write_elementwise_model(path, rng):
    """The strided, gather and layer norm kernels: broadcasting binary ops with constants and
    with run-time operands, a transpose, casts from bool and int64, every unary op, a gather
    from a constant table by run-time indices (negative ones included) and from run-time data
    by a constant index, and layer norms over one and over two trailing axes."""
    f = TensorProto.FLOAT
    const = lambda name, value: numpy_helper.from_array(np.asarray(value, np.float32), name)
    inits = [const("bias3", rng.uniform(-1, 1, 3)), const("two", 2.0),
             const("table", rng.uniform(-1, 1, (10, 4))),
             const("scale3", rng.uniform(0.5, 1.5, 3)), const("shift3", rng.uniform(-1, 1, 3)),
             const("scale23", rng.uniform(0.5, 1.5, (2, 3))),
             numpy_helper.from_array(np.asarray([1], np.int64), "second")]
    node = helper.make_node
    nodes = [node("Transpose", ["x"], ["xt"], perm=[2, 0, 1]),              # [8, 2, 3]
             node("Add", ["xt", "bias3"], ["a"]),
             node("Cast", ["flag"], ["flagf"], to=TensorProto.FLOAT),       # [8, 1, 1]
             node("Mul", ["a", "flagf"], ["b"]),
             node("Cast", ["ids"], ["idsf"], to=TensorProto.FLOAT),         # [5]
             node("Tanh", ["b"], ["t"]), node("Sigmoid", ["b"], ["sg"]),
             node("Exp", ["t"], ["e"]), node("Erf", ["b"], ["er"]),
             node("Neg", ["er"], ["ng"]), node("Mul", ["b", "b"], ["sq"]),
             node("Add", ["sq", "two"], ["sq2"]), node("Sqrt", ["sq2"], ["rt"]),
             node("Reciprocal", ["rt"], ["rc"]), node("Div", ["e", "rt"], ["dv"]),
             node("Sub", ["dv", "ng"], ["sb"]), node("Max", ["sb", "sg"], ["mx"]),
             node("Min", ["mx", "rc"], ["mn"]), node("Relu", ["b"], ["rl"]),
             node("Add", ["mn", "rl"], ["y"]),
             node("Gather", ["table", "ids"], ["g"]),                         # [5, 4]
             node("Gather", ["y", "second"], ["g2"], axis=1),                 # [8, 1, 3]
             node("LayerNormalization", ["y", "scale3", "shift3"], ["ln"], epsilon=1e-3),
             node("LayerNormalization", ["y", "scale23"], ["ln2"], axis=-2)]
    graph = helper.make_graph(
        nodes, "elementwise",
        [helper.make_tensor_value_info("x", f, [2, 3, 8]),
         helper.make_tensor_value_info("flag", TensorProto.BOOL, [8, 1, 1]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, [5])],
        [helper.make_tensor_value_info("y", f, [8, 2, 3]),
         helper.make_tensor_value_info("idsf", f, [5]),
         helper.make_tensor_value_info("g", f, [5, 4]),
         helper.make_tensor_value_info("g2", f, [8, 1, 3]),
         helper.make_tensor_value_info("ln", f, [8, 2, 3]),
         helper.make_tensor_value_info("ln2", f, [8, 2, 3])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return {"x": rng.standard_normal((2, 3, 8)).astype(np.float32),
            "flag": rng.random((8, 1, 1)) < 0.7,
            "ids": np.asarray([0, 9, -1, 3, -10], np.int64)}


def write_attention_model(path, rng):
    """The attention and layer norm launches at shapes BERT's do not take: two batches, fewer
    queries (5) than keys (7), three heads, value depth (6) unlike query depth (4), a mask
    broadcast over heads and queries; then a layer norm over 90 features (chunks of 32, 32
    and 26). Softmax has no GPU kernel of its own, so the model compiles only if the pattern
    became one FusedAttention."""
    f = TensorProto.FLOAT
    node = helper.make_node
    inits = [numpy_helper.from_array(np.asarray(2.0, np.float32), "root_depth"),
             numpy_helper.from_array(rng.uniform(0.5, 1.5, (5, 3, 6)).astype(np.float32),
                                     "scale"),
             numpy_helper.from_array(rng.uniform(-1, 1, (5, 3, 6)).astype(np.float32), "shift")]
    nodes = [node("Transpose", ["q"], ["qt"], perm=[0, 2, 1, 3]),
             node("Transpose", ["k"], ["kt"], perm=[0, 2, 3, 1]),
             node("Transpose", ["v"], ["vt"], perm=[0, 2, 1, 3]),
             node("MatMul", ["qt", "kt"], ["s"]),
             node("Div", ["s", "root_depth"], ["scaled"]),
             node("Add", ["scaled", "mask"], ["masked"]),
             node("Softmax", ["masked"], ["p"], axis=-1),
             node("MatMul", ["p", "vt"], ["heads"]),
             node("Transpose", ["heads"], ["o"], perm=[0, 2, 1, 3]),
             node("LayerNormalization", ["o", "scale", "shift"], ["ln"], axis=1, epsilon=1e-4)]
    graph = helper.make_graph(
        nodes, "attention",
        [helper.make_tensor_value_info("q", f, [2, 5, 3, 4]),
         helper.make_tensor_value_info("k", f, [2, 7, 3, 4]),
         helper.make_tensor_value_info("v", f, [2, 7, 3, 6]),
         helper.make_tensor_value_info("mask", f, [2, 1, 1, 7])],
        [helper.make_tensor_value_info("o", f, [2, 5, 3, 6]),
         helper.make_tensor_value_info("ln", f, [2, 5, 3, 6])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    mask = np.zeros((2, 1, 1, 7), np.float32)
    mask[0, ..., 5:] = -10000.0  # the first batch's last two keys masked out
    return {"q": rng.standard_normal((2, 5, 3, 4)).astype(np.float32),
            "k": rng.standard_normal((2, 7, 3, 4)).astype(np.float32),
            "v": rng.standard_normal((2, 7, 3, 6)).astype(np.float32), "mask": mask}


def written_model(work, name, writer, rng):
    """(WORK/NAME.onnx, its input folder, no shape flags) of the model \p writer writes."""
    path, inputs = os.path.join(work, name + ".onnx"), os.path.join(work, name + ".inputs")
    os.makedirs(inputs)
    for tensor, value in writer(path, rng).items():
        np.save(os.path.join(inputs, tensor + ".npy"), value)
    return path, inputs, []


def run(command, expect=0, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)
    if result.returncode != expect:
        sys.exit("check_gpu_target: %s exited %d (expected %d):\n%s%s" % (
            " ".join(command), result.returncode, expect, result.stdout, result.stderr))
    return result


def bench_models(work):
    """(model, input folder, shape flags) of the three benchmark models, exported into WORK."""
    models = []
    for name in ("bert_base_95", "mobilenet_v1_90", "resnet50_80"):
        if not os.path.exists(os.path.join(work, name + ".onnx")):
            run([sys.executable, os.path.join(REPO_ROOT, "models", "export_models.py"), "--out",
                 work, "--only", name])
        with open(os.path.join(work, name + ".shape")) as file:
            shapes = ["--shape=" + item for item in file.read().split()]
        models.append((os.path.join(work, name + ".onnx"), os.path.join(work, name + ".inputs"),
                       shapes))
    return models


def main():
    spcc, spcc_run, runtime, models_dir, work = sys.argv[1:6]
    if "--bench-models" in sys.argv[6:]:
        # The exports take a while: kept between runs; the compiled files are not.
        os.makedirs(work, exist_ok=True)
        models = bench_models(work)
        check_models(spcc, spcc_run, work, models, "1e-3", "1e-4")
        return
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(17)
    models = [written_model(work, name, writer, rng)
              for name, writer in (("token_major", write_token_major_model),
                                   ("elementwise", write_elementwise_model),
                                   ("attention", write_attention_model),
                                   ("large_layers", write_large_layers_model))]
    for name in ("mlp", "mobilenet_tiny", "resnet_tiny", "bert_tiny"):
        shapes = []
        shape_file = os.path.join(models_dir, name, name + ".shape")
        if os.path.exists(shape_file):
            with open(shape_file) as file:
                shapes = ["--shape=" + item for item in file.read().split()]
        models.append((os.path.join(models_dir, name, name + ".onnx"),
                       os.path.join(models_dir, name, name + ".inputs"), shapes))
    mlp = models[4][0]
    check_models(spcc, spcc_run, work, models, "1e-4", "1e-5")
    check_refusals(spcc, spcc_run, runtime, work, mlp)


def check_models(spcc, spcc_run, work, models, rtol, atol):
    """Steps 1 and 2 for each (model, input folder, shape flags) of MODELS."""
    # 1. Emulated against ONNX Runtime.
    for model, inputs, shapes in models:
        stem = os.path.splitext(os.path.basename(model))[0]
        library = os.path.join(work, stem + ".emulated.so")
        run([spcc, model, "--target", "sm_90", "--emulate-gpu", "-o", library] + shapes)
        feeds = ["%s=%s" % (os.path.splitext(f)[0], os.path.join(inputs, f))
                 for f in sorted(os.listdir(inputs))]
        ort_dir, out_dir = os.path.join(work, stem + ".ort"), os.path.join(work, stem + ".out")
        run(["node", os.path.join(REPO_ROOT, "tools", "oracle", "run_ort.js"), model, ort_dir]
            + feeds)
        run_command = [spcc_run, library, "-o", out_dir]
        for feed in feeds:
            run_command += ["-i", feed]
        run(run_command)
        run([sys.executable, os.path.join(REPO_ROOT, "tools", "compare_outputs.py"), out_dir,
             ort_dir, "--rtol", rtol, "--atol", atol])
        print("ok: %s emulated for sm_90 matches ONNX Runtime" % stem)

    # 2. Device code through ptxas.
    ptxas = shutil.which("ptxas") or os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"),
                                                  "bin", "ptxas")
    for arch in ("sm_80", "sm_90"):
        for model, _, shapes in models:
            stem = os.path.splitext(os.path.basename(model))[0]
            library = os.path.join(work, "%s.%s.so" % (stem, arch))
            ptx_dir = os.path.join(work, "ptx")
            run([spcc, model, "--target", arch, "-o", library, "--emit-ptx", ptx_dir] + shapes)
            ptx = os.path.join(ptx_dir, "%s.%s.%s.ptx" % (stem, arch, arch))
            if not os.path.exists(ptx):
                sys.exit("check_gpu_target: --emit-ptx wrote no %s" % ptx)
            if not os.access(ptxas, os.X_OK):
                print("SKIP: ptxas not found (set CUDA_HOME): %s was not assembled" % ptx)
                continue
            log = run([ptxas, "-arch=" + arch, "-O3", "-v", ptx, "-o",
                       os.path.join(work, "out.cubin")]).stderr
            kernels = re.findall(r"Compiling entry function '(\w+)'", log)
            spills = re.findall(r"(\d+) bytes spill stores, (\d+) bytes spill loads", log)
            registers = [int(r) for r in re.findall(r"Used (\d+) registers", log)]
            if not kernels or any(int(a) or int(b) for a, b in spills) or max(registers) > 64:
                sys.exit("check_gpu_target: %s for %s: spills or more than 64 registers:\n%s" % (
                    stem, arch, log))
            print("ok: %s for %s: %d kernels assemble, no spills, at most %d registers" % (
                stem, arch, len(kernels), max(registers)))


def check_refusals(spcc, spcc_run, runtime, work, mlp):
    """Step 3."""
    device_model = os.path.join(work, "token_major.sm_90.so")
    result = run([spcc_run, device_model, "--random-inputs"], expect=5)
    if "no NVIDIA driver" not in result.stderr:
        sys.exit("check_gpu_target: loading a GPU model without a driver said: " + result.stderr)
    print("ok: a device model here: exit 5, " + result.stderr.strip())
    softmax = os.path.join(work, "softmax.onnx")
    onnx.save(helper.make_model(helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["y"], name="soft")], "softmax",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])]),
        opset_imports=[helper.make_opsetid("", 13)]), softmax)
    result = run([spcc, softmax, "--target", "sm_90", "-o", os.path.join(work, "soft.so")],
                 expect=5)
    if "node 'soft' (Softmax)" not in result.stderr or "sm_90" not in result.stderr:
        sys.exit("check_gpu_target: an op without a GPU kernel said: " + result.stderr)
    print("ok: " + result.stderr.strip())
    run([spcc, mlp, "--emulate-gpu", "-o", os.path.join(work, "x.so")], expect=2)
    ldd = run(["ldd", runtime]).stdout
    if "cuda" in ldd.lower():
        sys.exit("check_gpu_target: the runtime links CUDA:\n" + ldd)
    print("ok: the runtime needs nothing of CUDA")


if __name__ == "__main__":
    sys.exit(main())
