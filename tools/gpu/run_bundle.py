#!/usr/bin/env python3
"""Checks and times a bundle of GPU models (tools/gpu/make_bundle.py) on the machine it runs on.

run_bundle.py BUNDLE OUT_DIR   (run.sh sets the library paths)

1. Every model: loaded through the spcc package (the C API), run on the bundled inputs, outputs
   against the expected ones (rtol 1e-3, atol 1e-4). A failure to load (no driver, no GPU) is
   reported per model and ends the run with exit 1.
2. Timing, product by product (spcc, then its peers), medians of 3 rounds of ~0.3 s each:
   spcc's run (host inputs copied in, the launches, outputs copied back, synchronized), spcc on
   device buffers (Context.run_device on CUDA tensors and PyTorch's stream; on an emulated
   bundle, numpy buffers; its outputs checked equal to the run's) and the peers on the same GPU through PyTorch, on a product of the same shape and sparsity: cuBLAS
   fp32 (TF32 off) with and without the copies, TF32, bf16, and cuSPARSE CSR
   (torch.sparse_csr); each synchronized.
Writes OUT_DIR/results.json and OUT_DIR/results.md, and prints the table.
"""
import json
import os
import statistics
import sys
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
    the model runs on a GPU, on numpy buffers (host addresses) when it is emulated. Checks its
    outputs equal run()'s; returns the median seconds, or None when neither is possible."""
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
            ins = [torch.from_numpy(np.ascontiguousarray(inputs[i.name], dtype=i.dtype)).cuda()
                   for i in model.inputs]
            outs = [torch.empty(o.shape, dtype=torch.from_numpy(np.empty(0, o.dtype)).dtype,
                                device="cuda") for o in model.outputs]
            addresses = ([t.data_ptr() for t in ins], [t.data_ptr() for t in outs])
            stream = torch.cuda.current_stream().cuda_stream
            sync, read = torch.cuda.synchronize, (lambda: [t.cpu().numpy() for t in outs])

        def step():
            context.run_device(addresses[0], addresses[1], stream)
            sync()

        step()
        for info, value in zip(model.outputs, read()):
            if not np.array_equal(value, expected_outputs[info.name]):
                raise RuntimeError("run_device's %s differs from run's" % info.name)
        return median_seconds(step)
    finally:
        context.close()


def main():
    bundle, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(bundle, "manifest.json")) as file:
        manifest = json.load(file)
    results, failed = [], 0
    for entry in manifest["models"]:
        record = {"name": entry["name"], "kind": entry["kind"]}
        for key in ("n", "k", "m", "sparsity"):
            if key in entry:
                record[key] = entry[key]
        try:
            model = spcc.load(os.path.join(bundle, entry["so"]))
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
            outputs = model.run(inputs)
            worst = 0.0
            for name, path in entry["expected"].items():
                expected = np.load(os.path.join(bundle, path))
                worst = max(worst, float(np.max(np.abs(outputs[name] - expected))))
                if not np.allclose(outputs[name], expected, rtol=1e-3, atol=1e-4):
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
                    record["spcc_device_s"] = device_seconds
            except (spcc.Error, RuntimeError) as error:
                record["error"] = "run_device: %s" % error
                failed += 1
                print("FAIL %s: %s" % (entry["name"], record["error"]))
        if entry["kind"] == "spmm":
            record.update({"peer_" + k: v for k, v in torch_peers(entry, bundle).items()})
        results.append(record)
        print("ok %s: %s, spcc %.1f us" % (entry["name"], record.get("device"),
                                            record["spcc_s"] * 1e6))
    with open(os.path.join(out_dir, "results.json"), "w") as file:
        json.dump({"arch": manifest["arch"], "emulated": manifest["emulated"],
                   "results": results}, file, indent=1)
    lines = ["| model | n | sparsity | spcc us (with copies) | spcc us (device buffers) | "
             "cuBLAS fp32 us | cuBLAS fp32 + copies us | TF32 us | bf16 us | cuSPARSE us | "
             "spcc vs fp32+copies | spcc vs fp32 (device) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "spcc_s" not in r:
            continue

        def us(key):
            return "%.1f" % (r[key] * 1e6) if isinstance(r.get(key), float) else "-"
        def ratio(peer, own):
            if isinstance(r.get(peer), float) and isinstance(r.get(own), float):
                return "%.2fx" % (r[peer] / r[own])
            return "-"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], r.get("n", "-"), r.get("sparsity", "-"), us("spcc_s"),
            us("spcc_device_s"), us("peer_cublas_fp32"), us("peer_cublas_fp32_with_copies"),
            us("peer_cublas_tf32"), us("peer_cublas_bf16"), us("peer_cusparse_csr"),
            ratio("peer_cublas_fp32_with_copies", "spcc_s"),
            ratio("peer_cublas_fp32", "spcc_device_s")))
    table = "\n".join(lines)
    with open(os.path.join(out_dir, "results.md"), "w") as file:
        file.write(table + "\n")
    print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
