#!/usr/bin/python3
"""Prepares, on this (CPU) machine, what a lent GPU machine runs in one call: tools/gpu/README.md.

Usage:
    /usr/bin/python3 tools/gpu/make_bundle.py --out DIR [--arch sm_90] [--emulate] [--quick|--full]

Writes DIR/ with: models/*.so compiled by build/tools/spcc for --arch (device code; with
--emulate the host-emulation build instead, to rehearse the run here), inputs/ and expected/
(.npy: the reference evaluation's outputs, from numpy for the products and from spcc-run's
reference interpreter for the test models: MLP, MobileNet, ResNet, BERT), lib/ (libspcc_runtime and the libraries beyond C and C++'s that it and
the models need: libxxhash, libomp),
python/spcc (the package the runner loads the models with), run_bundle.py and run.sh, and
manifest.json. The GPU machine needs nothing else: no LLVM, no build.

The product models are one MatMul + bias, x[n, k] @ W[k, m], at the shape of BERT-base's
attention output (768 x 768), sparsity 95 / 97%, n = 1, 128, 512 positions (the bundle is then
about 32 MB, within the 64 MiB the device tool carries); --quick: 95% and n = 1, 128; --full
adds 90%, n = 32 and the FFN shape (768 -> 3072), several times larger (the baked kernels' PTX
and cubins grow with the nonzeros: 90% alone adds about 24 MB).
"""
import argparse
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO_ROOT, "build")
SYSTEM_LIBRARIES = ("libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "ld-linux", "linux-vdso")


def product_model(path, n, k, m, sparsity, rng):
    """x[n, k] @ W[k, m] + b with W magnitude-free random, `sparsity` of it zero."""
    w = rng.uniform(-1, 1, (k, m)).astype(np.float32)
    w[rng.random((k, m)) < sparsity] = 0
    b = rng.uniform(-1, 1, m).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="product"),
         helper.make_node("Add", ["h", "b"], ["y"], name="bias")],
        "spmm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, m])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    x = rng.standard_normal((n, k)).astype(np.float32)
    expected = (x.astype(np.float64) @ w.astype(np.float64) + b).astype(np.float32)
    return {"x": x}, {"y": expected}


def packed(path):
    """Compresses a file of over 1 MB with xz (pruned weights are mostly zeros: the benchmark
    models' files shrink 1.4-6x, which keeps the bundle within what the device tool carries);
    returns its path relative to the bundle, as run_bundle.py finds it."""
    if os.path.getsize(path) > 1 << 20:
        with open(path, "rb") as source, lzma.open(path + ".xz", "wb", preset=3) as target:
            shutil.copyfileobj(source, target)
        os.remove(path)
        path += ".xz"
    return os.path.relpath(path, os.path.dirname(os.path.dirname(path)))


def shared_libraries(library):
    """The libraries beyond the C and C++ runtimes that `library` loads (libxxhash, libomp):
    the GPU machine may lack them, so they travel in the bundle's lib/."""
    found = set()
    for line in run(["ldd", library]).stdout.splitlines():
        if "=>" in line and not line.split()[0].startswith(SYSTEM_LIBRARIES):
            found.add(line.split("=>")[1].split()[0])
    return found


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit("make_bundle: %s failed (exit %d): %s" % (
            os.path.basename(command[0]), result.returncode, result.stderr.strip()))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--arch", default="sm_90")
    parser.add_argument("--emulate", action="store_true")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true")
    size.add_argument("--full", action="store_true")
    parser.add_argument("--bench-models", nargs="*", metavar="NAME",
                        help="add benchmark models exported by models/export_models.py --out "
                             "build/bench (default: bert_base_95 mobilenet_v1_90; resnet50_80 "
                             "alone fills the bundle), each with its ONNX file for ONNX Runtime")
    args = parser.parse_args()
    spcc, spcc_run = os.path.join(BUILD, "tools", "spcc"), os.path.join(BUILD, "tools", "spcc-run")
    for tool in (spcc, spcc_run):
        if not os.access(tool, os.X_OK):
            sys.exit("make_bundle: %s not found; build first (tools/build.sh)" % tool)
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    for sub in ("models", "inputs", "expected", "lib"):
        os.makedirs(os.path.join(out, sub))
    # The ONNX files and reference outputs are made here and not shipped.
    scratch = tempfile.TemporaryDirectory(prefix="spcc-bundle-")
    work = scratch.name
    rng = np.random.default_rng(2026)
    flags = ["--target", args.arch] + (["--emulate-gpu"] if args.emulate else [])
    manifest = {"arch": args.arch, "emulated": args.emulate, "models": []}
    libraries = set()

    def add(name, onnx_path, inputs, expected, info, shapes=(), ship_onnx=False):
        library = os.path.join(out, "models", name + ".so")
        run([spcc, onnx_path, "-o", library] + flags + list(shapes))
        libraries.update(shared_libraries(library))
        entry = {"name": name, "so": packed(library), "inputs": {}, "expected": {}}
        if ship_onnx:
            copy = os.path.join(out, "models", name + ".onnx")
            shutil.copy(onnx_path, copy)
            entry["onnx"] = packed(copy)
        entry.update(info)
        for kind, arrays in (("inputs", inputs), ("expected", expected)):
            for tensor, value in arrays.items():
                path = "%s/%s.%s.npy" % (kind, name, tensor)
                np.save(os.path.join(out, path), value)
                entry[kind][tensor] = path
        manifest["models"].append(entry)
        print("bundled %s" % name)

    shapes = [("attn", 768, 768)] + ([("ffn", 768, 3072)] if args.full else [])
    sparsities = [0.95] if args.quick else [0.9, 0.95, 0.97] if args.full else [0.95, 0.97]
    positions = [1, 128] if args.quick else [1, 32, 128, 512] if args.full else [1, 128, 512]
    for label, k, m in shapes:
        for sparsity in sparsities:
            for n in positions:
                name = "spmm_%s_%d_n%d" % (label, round(sparsity * 100), n)
                path = os.path.join(work, name + ".onnx")
                inputs, expected = product_model(path, n, k, m, sparsity, rng)
                add(name, path, inputs, expected,
                    {"kind": "spmm", "n": n, "k": k, "m": m, "sparsity": sparsity})

    # The exported test models the GPU target compiles (and, with --bench-models, the benchmark
    # models), expected outputs from spcc-run's reference evaluation of the ONNX file.
    exported = [(os.path.join(BUILD, "models", name), name, "the model tests export it")
                for name in ("mlp", "mobilenet_tiny", "resnet_tiny", "bert_tiny")]
    if args.bench_models is not None:
        exported += [(os.path.join(BUILD, "bench"), name,
                      "models/export_models.py --out build/bench --only " + name)
                     for name in args.bench_models or ("bert_base_95", "mobilenet_v1_90")]
    for folder, model_name, how in exported:
        onnx_path = os.path.join(folder, model_name + ".onnx")
        if not os.path.exists(onnx_path):
            print("skipped %s: not exported (%s)" % (model_name, how))
            continue
        feeds = {os.path.splitext(f)[0]: os.path.join(folder, model_name + ".inputs", f)
                 for f in sorted(os.listdir(os.path.join(folder, model_name + ".inputs")))}
        shapes = []
        shape_file = os.path.join(folder, model_name + ".shape")
        if os.path.exists(shape_file):
            with open(shape_file) as file:
                shapes = ["--shape=" + item for item in file.read().split()]
        reference = os.path.join(work, model_name + "_reference")
        command = [spcc_run, onnx_path, "-o", reference] + shapes
        for tensor, path in feeds.items():
            command += ["-i", "%s=%s" % (tensor, path)]
        run(command)
        expected = {f[:-len(".npy")]: np.load(os.path.join(reference, f))
                    for f in sorted(os.listdir(reference)) if f.endswith(".npy")}
        add(model_name, onnx_path, {t: np.load(p) for t, p in feeds.items()}, expected,
            {"kind": "model"}, shapes, ship_onnx=folder.endswith("bench"))

    runtime = os.path.realpath(os.path.join(BUILD, "runtime", "libspcc_runtime.so"))
    shutil.copy(runtime, os.path.join(out, "lib", "libspcc_runtime.so"))
    for dependency in libraries | shared_libraries(runtime):
        shutil.copy(dependency, os.path.join(out, "lib"))
    shutil.copytree(os.path.join(REPO_ROOT, "python", "spcc"), os.path.join(out, "python", "spcc"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.in"))
    here = os.path.dirname(os.path.abspath(__file__))
    for script in ("run_bundle.py", "run.sh"):
        shutil.copy(os.path.join(here, script), out)
    with open(os.path.join(out, "manifest.json"), "w") as file:
        json.dump(manifest, file, indent=1)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    print("bundle %s: %d models, %.1f MB" % (out, len(manifest["models"]), size / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
