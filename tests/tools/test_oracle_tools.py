#!/usr/bin/python3
"""Tests of the model-test tooling: the JS .npy reader/writer, run_ort.js (output file naming)
and compare_outputs.py (pass, fail and missing cases).

    /usr/bin/python3 tests/tools/test_oracle_tools.py

Needs node and tools/oracle/node_modules (tools/setup.sh installs both); no torch.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NPY_JS = os.path.join(REPO_ROOT, "tools", "oracle", "npy.js")
RUN_ORT = os.path.join(REPO_ROOT, "tools", "oracle", "run_ort.js")
COMPARE = os.path.join(REPO_ROOT, "tools", "compare_outputs.py")
NODE = os.environ.get("NODE", "node")

# Copies every IN=OUT pair through npy.js: readNpy then writeNpy.
ROUND_TRIP_JS = """
const { readNpy, writeNpy } = require(process.argv[1]);
for (const pair of process.argv.slice(2)) {
  const [src, dst] = pair.split('=');
  const a = readNpy(src);
  writeNpy(dst, a.type, a.dims, a.data);
}
"""


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="spcc-tools-test-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


class NpyRoundTripTest(TempDirTest):
    ARRAYS = {
        "f32": np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
        "f64": np.linspace(-1, 1, 5),
        "f16": np.array([-1.5, 0.1, 65504], dtype=np.float16),
        "i64": np.array([[-(2 ** 40), 0, 3]], dtype=np.int64),
        "i32": np.array([-7, 8], dtype=np.int32),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u8": np.array([0, 255, 3], dtype=np.uint8),
        "bool": np.array([[True, False], [False, True]]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "long_shape": np.ones((1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2), dtype=np.float32),
    }

    def test_round_trip_is_byte_identical_to_numpy(self):
        pairs = []
        for name, array in self.ARRAYS.items():
            np.save(self.path(name + ".npy"), array)
            pairs.append("%s=%s" % (self.path(name + ".npy"), self.path(name + ".js.npy")))
        subprocess.run([NODE, "-e", ROUND_TRIP_JS, NPY_JS] + pairs, check=True)
        for name, array in self.ARRAYS.items():
            with open(self.path(name + ".npy"), "rb") as f:
                want = f.read()
            with open(self.path(name + ".js.npy"), "rb") as f:
                got = f.read()
            self.assertEqual(got, want, name)
            np.testing.assert_array_equal(np.load(self.path(name + ".js.npy")), array)

    def test_rejects_unsupported_dtype_and_fortran_order(self):
        np.save(self.path("u16.npy"), np.zeros(3, dtype=np.uint16))
        np.save(self.path("big.npy"), np.zeros(3, dtype=">f4"))
        np.save(self.path("fortran.npy"), np.asfortranarray(np.zeros((2, 3), dtype=np.float32)))
        for name in ("u16", "big", "fortran"):
            result = subprocess.run(
                [NODE, "-e", ROUND_TRIP_JS, NPY_JS,
                 "%s=%s" % (self.path(name + ".npy"), self.path("out.npy"))],
                capture_output=True, text=True)
            self.assertNotEqual(result.returncode, 0, name)


class RunOrtTest(TempDirTest):
    def write_model(self):
        """y = x + 1 under output names that need escaping, and an int64 output."""
        one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
        graph = helper.make_graph(
            [helper.make_node("Add", ["x", "one"], ["enc/out:0"]),
             helper.make_node("Shape", ["x"], ["x shape"])],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
            [helper.make_tensor_value_info("enc/out:0", TensorProto.FLOAT, ["n", 3]),
             helper.make_tensor_value_info("x shape", TensorProto.INT64, [2])],
            [one])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 7
        onnx.save(model, self.path("m.onnx"))

    def test_outputs_named_by_the_file_name_rule(self):
        self.write_model()
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        np.save(self.path("x.npy"), x)
        subprocess.run([NODE, RUN_ORT, self.path("m.onnx"), self.path("out"),
                        "x=" + self.path("x.npy")], check=True)
        self.assertEqual(sorted(os.listdir(self.path("out"))), ["enc_out_0.npy", "x_shape.npy"])
        np.testing.assert_array_equal(np.load(self.path("out", "enc_out_0.npy")), x + 1)
        np.testing.assert_array_equal(np.load(self.path("out", "x_shape.npy")),
                                      np.array([2, 3], dtype=np.int64))

    def test_missing_input_fails(self):
        self.write_model()
        result = subprocess.run([NODE, RUN_ORT, self.path("m.onnx"), self.path("out")],
                                capture_output=True, text=True)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no value given for input(s) x", result.stderr)


class CompareOutputsTest(TempDirTest):
    def setUp(self):
        super().setUp()
        os.mkdir(self.path("expected"))
        os.mkdir(self.path("actual"))
        self.expected = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
        np.save(self.path("expected", "y.npy"), self.expected)
        np.save(self.path("expected", "ids.npy"), np.array([1, 2, 3], dtype=np.int64))

    def compare(self, *extra):
        return subprocess.run([sys.executable, COMPARE, self.path("actual"),
                               self.path("expected")] + list(extra),
                              capture_output=True, text=True)

    def save_actual(self, y, ids=np.array([1, 2, 3], dtype=np.int64)):
        np.save(self.path("actual", "y.npy"), y)
        np.save(self.path("actual", "ids.npy"), ids)

    def test_identical_passes(self):
        self.save_actual(self.expected)
        result = self.compare()
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("PASS  y", result.stdout)
        self.assertIn("PASS  ids", result.stdout)

    def test_within_tolerance_passes(self):
        self.save_actual(self.expected * np.float32(1 + 5e-5))
        self.assertEqual(self.compare().returncode, 0)

    def test_perturbed_fails(self):
        y = self.expected.copy()
        y[2, 3] += 1e-3
        self.save_actual(y)
        result = self.compare()
        self.assertEqual(result.returncode, 1)
        self.assertIn("FAIL  y", result.stdout)
        self.assertIn("worst at (2, 3)", result.stdout)
        self.assertEqual(self.compare("--atol", "1e-2").returncode, 0)

    def test_integer_mismatch_shape_dtype_nan_fail(self):
        cases = [
            (self.expected, np.array([1, 2, 4], dtype=np.int64)),
            (self.expected.reshape(5, 4), np.array([1, 2, 3], dtype=np.int64)),
            (self.expected.astype(np.float64), np.array([1, 2, 3], dtype=np.int64)),
            (np.where(self.expected > 0, np.nan, self.expected).astype(np.float32),
             np.array([1, 2, 3], dtype=np.int64)),
        ]
        for y, ids in cases:
            self.save_actual(y, ids)
            self.assertEqual(self.compare().returncode, 1)

    def test_nan_matches_nan(self):
        self.expected[0, 0] = np.nan
        np.save(self.path("expected", "y.npy"), self.expected)
        self.save_actual(self.expected)
        self.assertEqual(self.compare().returncode, 0)

    def test_missing_output_fails(self):
        np.save(self.path("actual", "y.npy"), self.expected)
        result = self.compare()
        self.assertEqual(result.returncode, 1)
        self.assertIn("FAIL  ids  missing", result.stdout)

    def test_empty_expected_dir_fails(self):
        os.mkdir(self.path("none"))
        result = subprocess.run([sys.executable, COMPARE, self.path("actual"), self.path("none")],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)


if __name__ == "__main__":
    unittest.main()
