"""The Python session in README.md runs as printed."""
import os
import re
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_session_runs(tmp_path):
    with open(os.path.join(REPO_ROOT, "README.md")) as file:
        readme = file.read()
    section = readme[readme.index("### Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "spcc.compile" in code and "model.run" in code
    # The only change: the compiled model goes to this test's directory, not /tmp.
    code = code.replace("/tmp/mlp.so", str(tmp_path / "mlp.so"))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "(TensorInfo(name='input', dtype=dtype('float32'), shape=(1, 256)),)"
    assert lines[1] == "(TensorInfo(name='logits', dtype=dtype('float32'), shape=(1, 10)),)"
    assert lines[-1] == ("input 'input' has dtype float64, the model takes float32 "
                         "(convert it with .astype)")
