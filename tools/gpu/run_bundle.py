#!/usr/bin/env python3
"""Checks and times a bundle of GPU models (tools/gpu/make_bundle.py) on the machine it runs on.

run_bundle.py BUNDLE OUT_DIR   (run.sh sets the library paths)

1. Every model: loaded through the spcc package (the C API), run on the bundled inputs, outputs
   against the expected ones (rtol 1e-3, atol 1e-4). A failure to load (no driver, no GPU) is
   reported per model and ends the run with exit 1.
2. Timing, model by model (spcc, then its peers), medians of 3 rounds of ~0.3 s each: spcc's
   run (host inputs copied in, the launches, outputs copied back, synchronized); spcc on device
   buffers (Context.run_device on CUDA tensors, on PyTorch's current stream, that stream alone
   synchronized, outputs checked equal to the run's; on an emulated bundle, numpy buffers),
   once synchronized per run and once back to back (CUDA events around 200 runs).
3. Peers: for each product, PyTorch on the same GPU at the same shape and sparsity (cuBLAS fp32
   with TF32 off, with and without the copies, and back to back; TF32; bf16; cuSPARSE CSR); for
   a model bundled with its ONNX file, ONNX Runtime (CUDA when its build has it, else the CPU).
4. Per model on a GPU: each kernel's GPU time per run (PyTorch's profiler), summed by op.
Writes OUT_DIR/results.json and OUT_DIR/results.md, and prints the table.
"""
import json
import lzma
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

import spcc


def median_seconds(step, rounds=3, budget=0.3):
    """Median over rounds of the mean time of step() within ~budget seconds."""
    step()
    means = []
    for _ in range(rounds):
        count, start = 0, time.perf_counter()
        while True:
            step()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                break
        means.append(elapsed / count)
    return statistics.median(means)


def back_to_back_seconds(enqueue, runs=200):
    """GPU time per run of `enqueue` (which only enqueues work on PyTorch's current stream),
    from CUDA events around `runs` back-to-back calls: the launches' cost without a host
    synchronization per run. None without CUDA."""
    import torch
    if not torch.cuda.is_available():
        return None
    for _ in range(10):
        enqueue()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    means = []
    for _ in range(3):
        start.record()
        for _ in range(runs):
            enqueue()
        end.record()
        end.synchronize()
        means.append(start.elapsed_time(end) / 1e3 / runs)
    return statistics.median(means)


def cuda_buffers(model, inputs):
    """CUDA tensors holding the model's inputs and empty ones for its outputs, and their device
    addresses in model order: (inputs, outputs, (input addresses, output addresses))."""
    import torch
    ins = [torch.from_numpy(np.ascontiguousarray(inputs[i.name], dtype=i.dtype)).cuda()
           for i in model.inputs]
    outs = [torch.empty(o.shape, dtype=torch.from_numpy(np.empty(0, o.dtype)).dtype,
                        device="cuda") for o in model.outputs]
    return ins, outs, ([t.data_ptr() for t in ins], [t.data_ptr() for t in outs])


def kernel_profile(model, inputs, runs=20):
    """GPU time per run of each of the model's kernels, from PyTorch's profiler (CUPTI) over
    `runs` runs of a context that launches kernel by kernel (SPCC_GPU_GRAPHS=0). Kernels are
    named spcc_gpu_k<index>_<op>; returns {"kernels": [(name, us)] slowest first, "ops": [(op,
    us)]}, or None without CUDA."""
    import torch
    if not torch.cuda.is_available():
        return None
    os.environ["SPCC_GPU_GRAPHS"] = "0"
    context = model.context(threads=1)
    del os.environ["SPCC_GPU_GRAPHS"]
    try:
        ins, outs, addresses = cuda_buffers(model, inputs)  # alive while the runs read them
        stream = torch.cuda.current_stream().cuda_stream
        context.run_device(addresses[0], addresses[1], stream)
        torch.cuda.synchronize()
        activities = [torch.profiler.ProfilerActivity.CUDA]
        with torch.profiler.profile(activities=activities) as profiler:
            for _ in range(runs):
                context.run_device(addresses[0], addresses[1], stream)
            torch.cuda.synchronize()
    finally:
        context.close()
    kernels = {}
    for event in profiler.events():
        if event.name.startswith("spcc_gpu_k"):
            elapsed = event.time_range.elapsed_us()  # a kernel event spans its GPU time
            kernels[event.name] = kernels.get(event.name, 0.0) + elapsed / runs
    ops = {}
    for name, us in kernels.items():
        op = name.split("_", 3)[3] if name.count("_") >= 3 else name
        ops[op] = ops.get(op, 0.0) + us
    ranked = lambda table: sorted(table.items(), key=lambda item: -item[1])
    return {"kernels": ranked(kernels)[:15], "ops": ranked(ops)}


def unpacked(bundle, path, scratch):
    """The bundle's file at `path`, decompressed into `scratch` when make_bundle.py packed it."""
    if not path.endswith(".xz"):
        return os.path.join(bundle, path)
    target = os.path.join(scratch, os.path.basename(path)[:-len(".xz")])
    with lzma.open(os.path.join(bundle, path)) as source, open(target, "wb") as sink:
        shutil.copyfileobj(source, sink)
    return target


def onnxruntime_peer(onnx_path, inputs, expected):
    """ONNX Runtime on the same inputs: CUDA when its build has the CUDA provider (TF32 off),
    else the CPU. Returns a record of its provider, error against the expected outputs and
    seconds per run (host inputs in, outputs back); {} without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return {}
    available = onnxruntime.get_available_providers()
    if "CUDAExecutionProvider" in available:
        providers = [("CUDAExecutionProvider", {"use_tf32": 0}), "CPUExecutionProvider"]
    else:
        providers = ["CPUExecutionProvider"]
    session = onnxruntime.InferenceSession(onnx_path, providers=providers)
    record = {"ort_provider": session.get_providers()[0]}
    names = [o.name for o in session.get_outputs()]
    outputs = dict(zip(names, session.run(names, inputs)))
    record["ort_max_abs_error"] = max(float(np.max(np.abs(outputs[n] - expected[n])))
                                      for n in expected if n in outputs)
    record["ort_s"] = median_seconds(lambda: session.run(names, inputs))
    return record


def torch_peers(entry, bundle):
    """Seconds per product for PyTorch's peers on the GPU; {} without CUDA."""
    try:
        import torch
    except ImportError:
        return {}
    if not torch.cuda.is_available():
        return {}
    n, k, m = entry["n"], entry["k"], entry["m"]
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (k, m)).astype(np.float32)
    w[rng.random((k, m)) < entry["sparsity"]] = 0
    x_host = np.load(os.path.join(bundle, entry["inputs"]["x"]))
    x = torch.from_numpy(x_host).cuda()
    wd = torch.from_numpy(w).cuda()
    sync = torch.cuda.synchronize
    peers = {}
    torch.backends.cuda.matmul.allow_tf32 = False

    def dense():
        torch.matmul(x, wd)
        sync()
    peers["cublas_fp32"] = median_seconds(dense)
    product = torch.empty((n, m), device="cuda")
    peers["cublas_fp32_back_to_back"] = back_to_back_seconds(
        lambda: torch.matmul(x, wd, out=product))

    def dense_copies():
        torch.matmul(torch.from_numpy(x_host).cuda(), wd).cpu()
    peers["cublas_fp32_with_copies"] = median_seconds(dense_copies)
    torch.backends.cuda.matmul.allow_tf32 = True
    peers["cublas_tf32"] = median_seconds(dense)
    torch.backends.cuda.matmul.allow_tf32 = False
    xb, wb = x.to(torch.bfloat16), wd.to(torch.bfloat16)

    def bf16():
        torch.matmul(xb, wb)
        sync()
    peers["cublas_bf16"] = median_seconds(bf16)
    # cuSPARSE: W^T in CSR times x^T (the sparse operand first).
    wt = wd.t().contiguous().to_sparse_csr()
    xt = x.t().contiguous()

    def cusparse():
        torch.sparse.mm(wt, xt)
        sync()
    try:
        peers["cusparse_csr"] = median_seconds(cusparse)
    except RuntimeError as error:
        peers["cusparse_csr_error"] = str(error)
    return peers


def device_run_seconds(model, inputs, expected_outputs):
    """Times Context.run_device (no host copies): on CUDA tensors and the current stream when
    the model runs on a GPU (synchronized each run, and back to back), on numpy buffers (host
    addresses) when it is emulated. Checks its outputs equal run()'s; returns the seconds, or
    None when neither is possible."""
    context = model.context(threads=1)
    try:
        if model.device.startswith("emulated"):
            ins = [np.ascontiguousarray(inputs[i.name], dtype=i.dtype) for i in model.inputs]
            outs = [np.empty(o.shape, o.dtype) for o in model.outputs]
            addresses = ([a.ctypes.data for a in ins], [a.ctypes.data for a in outs])
            sync, stream, read = (lambda: None), None, (lambda: outs)
        else:
            import torch
            if not torch.cuda.is_available():
                return None
            ins, outs, addresses = cuda_buffers(model, inputs)
            # PyTorch's current stream, synchronized alone (not the whole device): outputs equal
            # to run()'s then show that the run was ordered on that stream.
            current = torch.cuda.current_stream()
            stream = current.cuda_stream
            sync, read = current.synchronize, (lambda: [t.cpu().numpy() for t in outs])

        def step():
            context.run_device(addresses[0], addresses[1], stream)
            sync()

        step()
        for info, value in zip(model.outputs, read()):
            if not np.array_equal(value, expected_outputs[info.name]):
                raise RuntimeError("run_device's %s differs from run's" % info.name)
        seconds = {"spcc_device_s": median_seconds(step)}
        if not model.device.startswith("emulated"):
            seconds["spcc_back_to_back_s"] = back_to_back_seconds(
                lambda: context.run_device(addresses[0], addresses[1], stream))
        return seconds
    finally:
        context.close()


def main():
    bundle, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(bundle, "manifest.json")) as file:
        manifest = json.load(file)
    results, failed = [], 0
    scratch = tempfile.TemporaryDirectory(prefix="spcc-bundle-")
    for entry in manifest["models"]:
        record = {"name": entry["name"], "kind": entry["kind"]}
        for key in ("n", "k", "m", "sparsity"):
            if key in entry:
                record[key] = entry[key]
        try:
            model = spcc.load(unpacked(bundle, entry["so"], scratch.name))
        except spcc.Error as error:
            record["error"] = "%s: %s" % (error.status, error.message)
            results.append(record)
            failed += 1
            print("FAIL %s: %s" % (entry["name"], record["error"]))
            continue
        with model:
            record["device"] = model.device
            inputs = {name: np.load(os.path.join(bundle, path))
                      for name, path in entry["inputs"].items()}
            expected = {name: np.load(os.path.join(bundle, path))
                        for name, path in entry["expected"].items()}
            outputs = model.run(inputs)
            worst = 0.0
            for name, value in expected.items():
                worst = max(worst, float(np.max(np.abs(outputs[name] - value))))
                if not np.allclose(outputs[name], value, rtol=1e-3, atol=1e-4):
                    record["error"] = "output %s differs (max abs %.3g)" % (name, worst)
            record["max_abs_error"] = worst
            if "error" in record:
                failed += 1
                print("FAIL %s: %s" % (entry["name"], record["error"]))
            context = model.context(threads=1)
            record["spcc_s"] = median_seconds(lambda: context.run(inputs))
            context.close()
            try:
                device_seconds = device_run_seconds(model, inputs, outputs)
                if device_seconds is not None:
                    record.update(device_seconds)
            except (spcc.Error, RuntimeError) as error:
                record["error"] = "run_device: %s" % error
                failed += 1
                print("FAIL %s: %s" % (entry["name"], record["error"]))
            if entry["kind"] == "model" and not model.device.startswith("emulated"):
                try:
                    record["kernel_profile"] = kernel_profile(model, inputs)
                except Exception as error:  # the profile is a diagnosis, not a check
                    record["kernel_profile_error"] = str(error)
        if entry["kind"] == "spmm":
            record.update({"peer_" + k: v for k, v in torch_peers(entry, bundle).items()})
        if "onnx" in entry:
            record.update(onnxruntime_peer(unpacked(bundle, entry["onnx"], scratch.name),
                                           inputs, expected))
        results.append(record)
        print("ok %s: %s, spcc %.1f us" % (entry["name"], record.get("device"),
                                            record["spcc_s"] * 1e6))
    with open(os.path.join(out_dir, "results.json"), "w") as file:
        json.dump({"arch": manifest["arch"], "emulated": manifest["emulated"],
                   "results": results}, file, indent=1)
    columns = [("spcc us (with copies)", "spcc_s"), ("spcc us (device buffers)", "spcc_device_s"),
               ("spcc us (back to back)", "spcc_back_to_back_s"),
               ("cuBLAS fp32 us", "peer_cublas_fp32"),
               ("cuBLAS fp32 us (back to back)", "peer_cublas_fp32_back_to_back"),
               ("cuBLAS fp32 + copies us", "peer_cublas_fp32_with_copies"),
               ("TF32 us", "peer_cublas_tf32"), ("bf16 us", "peer_cublas_bf16"),
               ("cuSPARSE us", "peer_cusparse_csr"), ("ONNX Runtime us", "ort_s")]
    ratios = [("spcc vs fp32+copies", "peer_cublas_fp32_with_copies", "spcc_s"),
              ("spcc vs fp32, back to back", "peer_cublas_fp32_back_to_back",
               "spcc_back_to_back_s"),
              ("spcc vs ONNX Runtime", "ort_s", "spcc_s")]
    header = ["model", "n", "sparsity"] + [c[0] for c in columns] + [r[0] for r in ratios]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        if "spcc_s" not in r:
            continue
        cells = [r["name"], str(r.get("n", "-")), str(r.get("sparsity", "-"))]
        cells += ["%.1f" % (r[key] * 1e6) if isinstance(r.get(key), float) else "-"
                  for _, key in columns]
        cells += ["%.2fx" % (r[peer] / r[own])
                  if isinstance(r.get(peer), float) and isinstance(r.get(own), float) else "-"
                  for _, peer, own in ratios]
        lines.append("| " + " | ".join(cells) + " |")
    for r in results:
        profile = r.get("kernel_profile")
        if profile:
            lines.append("\n%s, GPU us per run by op: %s; slowest kernels: %s" % (
                r["name"], ", ".join("%s %.1f" % item for item in profile["ops"]),
                ", ".join("%s %.1f" % item for item in profile["kernels"][:8])))
    providers = sorted({r["ort_provider"] for r in results if "ort_provider" in r})
    if providers:
        lines.append("\nONNX Runtime ran on %s (host inputs in, outputs back, as spcc's run)."
                     % ", ".join(providers))
    table = "\n".join(lines)
    with open(os.path.join(out_dir, "results.md"), "w") as file:
        file.write(table + "\n")
    print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
