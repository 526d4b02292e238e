"""The package as users get it: installed by `cmake --install`, by pip from the source folder,
and imported into a process that imported PyTorch first."""
import os
import subprocess
import sys

import numpy as np
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Compiles the demo model, runs it, prints where the package and its files came from.
SCRIPT = """
import sys, numpy as np, spcc
spcc.compile(sys.argv[1], sys.argv[2], tune="none")
with spcc.load(sys.argv[2]) as model:
    out = model.run({"input": np.load(sys.argv[3])})["logits"]
np.save(sys.argv[4], out)
from spcc import _library
print(spcc.__file__)
print(_library.compiler_path())
print(_library.find_file("SPCC_RUNTIME_LIBRARY", "lib/libspcc_runtime.so", "runtime"))
"""


def _clean_environment(**extra):
    """The environment without the SPCC_* variables ctest sets, so discovery is tested."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPCC_")}
    env.pop("PYTHONPATH", None)
    env["PATH"] = "/usr/bin:/bin"
    env.update(extra)
    return env


def _run_demo(env, tmp_path, tag):
    demo = os.path.join(REPO_ROOT, "models", "demo", "mlp_pruned.onnx")
    inputs = os.path.join(REPO_ROOT, "models", "demo", "mlp_pruned.inputs", "input.npy")
    out = str(tmp_path / ("%s.npy" % tag))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, demo, str(tmp_path / ("%s.so" % tag)), inputs, out],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    return np.load(out), result.stdout.split("\n")


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("install") / "prefix"
    subprocess.run([os.environ["SPCC_CMAKE"], "--install", os.environ["SPCC_BUILD_DIR"],
                    "--prefix", str(root)], check=True, stdout=subprocess.DEVNULL)
    return root


def test_cmake_install_finds_its_runtime_and_compiler(prefix, tmp_path, compiled):
    site = [os.path.join(dirpath) for dirpath, dirnames, _ in os.walk(str(prefix))
            if "spcc" in dirnames and dirpath.endswith("dist-packages")]
    assert len(site) == 1, site
    # Moved after installation: the paths it uses are relative.
    moved = tmp_path / "moved"
    os.rename(str(prefix), str(moved))
    try:
        site_dir = site[0].replace(str(prefix), str(moved))
        out, lines = _run_demo(_clean_environment(PYTHONPATH=site_dir), tmp_path, "installed")
        assert lines[0].startswith(site_dir)
        assert lines[1] == os.path.join(str(moved), "bin", "spcc")
        assert lines[2].startswith(str(moved))
    finally:
        os.rename(str(moved), str(prefix))
    test_model, path = compiled("mlp_demo")
    import spcc
    with spcc.load(path) as model:
        np.testing.assert_array_equal(out, model.run(test_model.inputs)["logits"])


def test_pip_install_of_the_source_folder(prefix, tmp_path):
    target = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--no-build-isolation",
         "--no-deps", "--disable-pip-version-check", "--quiet", "--target", str(target),
         os.path.join(REPO_ROOT, "python")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout
    # Without the files cmake --install writes, it finds spcc through SPCC_HOME ...
    _, lines = _run_demo(_clean_environment(PYTHONPATH=str(target), SPCC_HOME=str(prefix)),
                         tmp_path, "pip-home")
    assert lines[0].startswith(str(target)) and lines[1] == str(prefix / "bin" / "spcc")
    # ... or through the spcc on PATH.
    env = _clean_environment(PYTHONPATH=str(target))
    env["PATH"] = str(prefix / "bin") + ":" + env["PATH"]
    _, lines = _run_demo(env, tmp_path, "pip-path")
    assert lines[1] == str(prefix / "bin" / "spcc")
    # ... and says what to do when it finds nothing.
    result = subprocess.run([sys.executable, "-c", "import spcc; spcc.load('x.so')"],
                            env=_clean_environment(PYTHONPATH=str(target)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode != 0
    assert "cannot find the spcc runtime library" in result.stderr
    assert "SPCC_HOME" in result.stderr


def test_model_runs_in_a_process_that_imported_torch_first(compiled, tmp_path):
    """PyTorch brings GCC's OpenMP runtime, the models LLVM's: both in one process must give
    the right answers and exit cleanly."""
    test_model, path = compiled("mobilenet_tiny")
    import spcc
    with spcc.load(path) as model:
        expected = model.run(test_model.inputs)["logits"]
    np.save(str(tmp_path / "input.npy"), test_model.inputs["input"])
    script = """
import sys, numpy as np, torch
torch.set_num_threads(2)
a = torch.randn(256, 256)
before = float((a @ a).sum())
import spcc
with spcc.load(sys.argv[1], threads=2) as model:
    for _ in range(5):
        out = model.run({"input": np.load(sys.argv[2])})["logits"]
np.save(sys.argv[3], out)
assert float((a @ a).sum()) == before
print("ok")
"""
    out = str(tmp_path / "out.npy")
    result = subprocess.run([sys.executable, "-c", script, path, str(tmp_path / "input.npy"), out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    np.testing.assert_array_equal(np.load(out), expected)
