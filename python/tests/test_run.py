"""Outputs of models run through the package against spcc-run's and ONNX Runtime's."""
import threading

import numpy as np
import pytest
from conftest import output_file, run_onnx_runtime, run_spcc_run

import spcc

MODELS = ["mlp_demo", "mobilenet_tiny", "bert_tiny", "resnet_tiny"]


def test_describes_inputs_and_outputs(compiled):
    _, path = compiled("bert_tiny")
    with spcc.load(path) as model:
        assert [(i.name, i.dtype, i.shape) for i in model.inputs] == [
            ("input_ids", np.dtype(np.int64), (1, 16)),
            ("attention_mask", np.dtype(np.int64), (1, 16))]
        assert [(o.name, o.dtype, o.shape) for o in model.outputs] == [
            ("last_hidden_state", np.dtype(np.float32), (1, 16, 64)),
            ("pooler_output", np.dtype(np.float32), (1, 64))]
        assert not model.batched
        assert model.device.startswith("cpu (x86-64")


@pytest.mark.parametrize("name", MODELS)
def test_outputs_equal_spcc_run_and_match_onnx_runtime(compiled, name, tmp_path):
    test_model, path = compiled(name)
    with spcc.load(path) as model:
        outputs = model.run(test_model.inputs)
    assert list(outputs) == [o.name for o in model.outputs]
    reference = run_spcc_run(path, test_model.inputs, str(tmp_path / "spcc-run"))
    oracle = run_onnx_runtime(test_model.onnx_path, test_model.inputs, str(tmp_path / "ort"))
    for output_name, value in outputs.items():
        assert np.isfinite(value).all() and np.abs(value).max() > 0
        # The same .so on the same inputs: the same bits as the C runner.
        np.testing.assert_array_equal(value, np.load(output_file(reference, output_name)))
        np.testing.assert_allclose(value, np.load(output_file(oracle, output_name)),
                                   rtol=1e-4, atol=1e-5)


def test_run_time_batch(compiled):
    test_model, path = compiled("bert_tiny", shapes={"input_ids": (None, 16),
                                                     "attention_mask": "Nx16"})
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 1000, (3, 16)).astype(np.int64)
    mask = np.ones((3, 16), np.int64)
    mask[1, 12:] = 0
    with spcc.load(path) as model:
        assert model.batched
        assert model.inputs[0].shape == (None, 16)
        assert model.outputs[0].shape == (None, 16, 64)
        batched = model.run({"input_ids": ids, "attention_mask": mask})
        assert batched["last_hidden_state"].shape == (3, 16, 64)
        explicit = model.run_batch({"input_ids": ids, "attention_mask": mask}, batch=3)
        for s in range(3):
            single = model.run({"input_ids": ids[s:s + 1], "attention_mask": mask[s:s + 1]})
            for name, value in single.items():
                np.testing.assert_array_equal(batched[name][s:s + 1], value)
                np.testing.assert_array_equal(explicit[name][s:s + 1], value)
        with pytest.raises(ValueError, match="'attention_mask' holds 2 samples"):
            model.run({"input_ids": ids, "attention_mask": mask[:2]})


def test_threads_share_a_model_on_separate_contexts(compiled):
    test_model, path = compiled("mobilenet_tiny")
    rng = np.random.default_rng(9)
    images = [rng.standard_normal((1, 3, 32, 32)).astype(np.float32) for _ in range(6)]
    with spcc.load(path, threads=1) as model:
        expected = [model.run({"input": image})["logits"] for image in images]
        failures = []

        def worker(index, explicit_context):
            try:
                context = model.context(threads=1) if explicit_context else model
                for round_ in range(15):
                    which = (index + round_) % len(images)
                    got = context.run({"input": images[which]})["logits"]
                    if not np.array_equal(got, expected[which]):
                        failures.append("thread %d round %d differs" % (index, round_))
            except Exception as error:  # reported below, not lost in the thread
                failures.append("thread %d: %r" % (index, error))

        threads = [threading.Thread(target=worker, args=(i, i % 2 == 0)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []


def test_bench_gives_spcc_bench_figures(compiled):
    _, path = compiled("mlp_demo")
    with spcc.load(path) as model:
        result = model.bench(mode="sync", threads=1, seconds=0.2, warmup=2)
        assert result["mode"] == "sync" and result["threads"] == 1 and result["runs"] >= 1
        assert result["latency_ms_median"] > 0 and result["throughput_per_s"] > 0
        asynchronous = model.bench(mode="async", streams=2, seconds=0.2)
        assert asynchronous["streams"] == 2
        with pytest.raises(ValueError, match="mode"):
            model.bench(mode="fast")


def test_gpu_model_emulated_on_the_host(compiled):
    """A GPU model (--target sm_90) in its host-emulation build: same API, same answers."""
    test_model, cpu_path = compiled("mlp_demo")
    _, gpu_path = compiled("mlp_demo", target="sm_90", extra_args=("--emulate-gpu",))
    with spcc.load(gpu_path) as gpu, spcc.load(cpu_path) as cpu:
        assert gpu.device == "emulated on the host (sm_90 program)"
        np.testing.assert_allclose(gpu.run(test_model.inputs)["logits"],
                                   cpu.run(test_model.inputs)["logits"], rtol=1e-5, atol=1e-6)


def test_run_device_on_an_emulated_gpu_model(compiled):
    """Context.run_device (spcc_run_device): with the emulated driver device addresses are host
    addresses, so numpy buffers stand in for CUDA tensors; a CPU model refuses it."""
    test_model, cpu_path = compiled("mlp_demo")
    _, gpu_path = compiled("mlp_demo", target="sm_90", extra_args=("--emulate-gpu",))
    with spcc.load(gpu_path) as gpu, gpu.context() as context:
        inputs = [np.ascontiguousarray(test_model.inputs[i.name], dtype=i.dtype)
                  for i in gpu.inputs]
        outputs = [np.full(o.shape, np.nan, o.dtype) for o in gpu.outputs]
        context.run_device([a.ctypes.data for a in inputs], [a.ctypes.data for a in outputs])
        np.testing.assert_array_equal(outputs[0], gpu.run(test_model.inputs)["logits"])
        with pytest.raises(spcc.RunError, match="inputs\\[0\\]"):
            context.run_device([0], [outputs[0].ctypes.data])
    with spcc.load(cpu_path) as cpu, cpu.context() as context:
        with pytest.raises(spcc.RunError, match="spcc_run"):
            context.run_device([inputs[0].ctypes.data], [outputs[0].ctypes.data])


def _cpu_has_avx512():
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next(line for line in cpuinfo if line.startswith("flags")).split()
    return all(f in flags for f in ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"))


def test_multi_level_model_runs_the_best_level_the_cpu_has(compiled, monkeypatch):
    test_model, both = compiled("bert_tiny", target="x86-64-v3,x86-64-v4")
    _, v3 = compiled("bert_tiny", target="x86-64-v3")
    _, v4 = compiled("bert_tiny", target="x86-64-v4")
    best, best_path = ("x86-64-v4", v4) if _cpu_has_avx512() else ("x86-64-v3", v3)

    def run(path):
        with spcc.load(path) as model:
            return model.device, model.run(test_model.inputs)

    def assert_same(outputs, path):
        for name, value in run(path)[1].items():
            np.testing.assert_array_equal(outputs[name], value)

    device, outputs = run(both)
    assert device == "cpu (%s)" % best
    assert_same(outputs, best_path)
    # Two loads of the embedded level at once are two models, and both run.
    with spcc.load(both) as first, spcc.load(both) as second:
        for name, value in second.run(test_model.inputs).items():
            np.testing.assert_array_equal(first.run(test_model.inputs)[name], value)
    monkeypatch.setenv("SPCC_MAX_ISA", "x86-64-v3")
    device, outputs = run(both)
    assert device == "cpu (x86-64-v3)"
    assert_same(outputs, v3)
    monkeypatch.setenv("SPCC_MAX_ISA", "x86-64-v9")
    with pytest.raises(spcc.LoadError, match="SPCC_MAX_ISA"):
        spcc.load(both)
