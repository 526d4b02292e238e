"""Fixtures of the spcc Python package's tests.

Run by ctest (`python.pytest`), which sets, from the build tree:
  SPCC_COMPILER, SPCC_BENCH, SPCC_RUNTIME_LIBRARY  what the package uses (see spcc._library)
  SPCC_RUN           spcc-run, the reference runner outputs are compared with
  SPCC_TEST_MODELS   the exported test models (NAME/NAME.onnx, NAME.inputs/, NAME.shape)
  SPCC_ORT_RUNNER    tools/oracle/run_ort.js (ONNX Runtime through node)
"""
import os
import subprocess

import numpy as np
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit("%s is not set: run these tests through ctest (python.pytest)" % name, 2)
    return value


class TestModel:
    """An exported test model: its ONNX file, inputs and the --shape values that fix it."""

    def __init__(self, name, onnx_path, input_dir, shapes):
        self.name, self.onnx_path, self.shapes = name, onnx_path, shapes
        self.inputs = {os.path.splitext(f)[0]: np.load(os.path.join(input_dir, f))
                       for f in sorted(os.listdir(input_dir))}


def _test_model(name):
    if name == "mlp_demo":
        path = os.path.join(REPO_ROOT, "models", "demo", "mlp_pruned.onnx")
        return TestModel(name, path, path[:-len(".onnx")] + ".inputs", {})
    folder = os.path.join(_env("SPCC_TEST_MODELS"), name)
    with open(os.path.join(folder, name + ".shape")) as file:
        shapes = dict(item.split("=") for item in file.read().split())
    return TestModel(name, os.path.join(folder, name + ".onnx"),
                     os.path.join(folder, name + ".inputs"), shapes)


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """compiled(name, **compile_options) -> (TestModel, path of its .so); compiled once."""
    import spcc

    cache = {}

    def get(name, **options):
        key = (name, repr(sorted(options.items())))
        if key not in cache:
            model = _test_model(name)
            out = str(tmp_path_factory.mktemp(name) / (name + ".so"))
            shapes = options.pop("shapes", model.shapes)
            spcc.compile(model.onnx_path, out, shapes=shapes, tune="none", **options)
            cache[key] = (model, out)
        return cache[key]

    return get


def run_spcc_run(library, inputs, out_dir):
    """spcc-run's outputs (name -> array) for the .so and inputs, in a separate process."""
    os.makedirs(out_dir, exist_ok=True)
    command = [_env("SPCC_RUN"), library, "-o", out_dir]
    for name, array in inputs.items():
        path = os.path.join(out_dir, "in_%s.npy" % name)
        np.save(path, array)
        command += ["-i", "%s=%s" % (name, path)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out_dir


def run_onnx_runtime(onnx_path, inputs, out_dir):
    """ONNX Runtime's outputs for the model and inputs (tools/oracle/run_ort.js)."""
    os.makedirs(out_dir, exist_ok=True)
    command = ["node", _env("SPCC_ORT_RUNNER"), onnx_path, out_dir]
    for name, array in inputs.items():
        path = os.path.join(out_dir, "in_%s.npy" % name)
        np.save(path, array)
        command.append("%s=%s" % (name, path))
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out_dir


def output_file(out_dir, name):
    """Where spcc-run and run_ort.js write output `name` (both use this rule)."""
    stem = "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)
    return os.path.join(out_dir, stem + ".npy")
