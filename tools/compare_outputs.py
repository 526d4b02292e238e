#!/usr/bin/python3
"""Compares a directory of actual outputs (.npy) with a directory of expected ones.

Usage:
    /usr/bin/python3 tools/compare_outputs.py ACTUAL_DIR EXPECTED_DIR [--rtol 1e-4] [--atol 1e-5]

For every EXPECTED_DIR/X.npy, ACTUAL_DIR/X.npy must exist with the same shape and dtype, and
every element must satisfy |actual - expected| <= atol + rtol * |expected| (NaN matches only
NaN, an infinity only the same infinity; integer and bool outputs must match exactly). Prints
one line per output and exits 1 if any output fails or is missing, 2 on bad usage.
"""

import argparse
import os
import sys
from typing import Tuple

import numpy as np


def compare(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float
            ) -> Tuple[bool, str]:
    """Returns (passed, details) for one output."""
    if actual.shape != expected.shape:
        return False, "shape %s, expected %s" % (actual.shape, expected.shape)
    if actual.dtype != expected.dtype:
        return False, "dtype %s, expected %s" % (actual.dtype, expected.dtype)
    described = "shape %s %s" % (expected.shape, expected.dtype)
    if actual.size == 0:
        return True, described

    if not np.issubdtype(expected.dtype, np.floating):
        mismatched = actual != expected
        count = int(np.count_nonzero(mismatched))
        if count == 0:
            return True, described + "  exact"
        first = np.unravel_index(int(np.argmax(mismatched)), expected.shape)
        return False, "%s  %d of %d elements differ, first at %s: %s vs expected %s" % (
            described, count, expected.size, tuple(int(i) for i in first),
            actual[first], expected[first])

    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(e) & (a == e)
    special = both_nan | same_inf
    with np.errstate(invalid="ignore", over="ignore"):
        abs_err = np.where(special, 0.0, np.abs(a - e))
        abs_err = np.where(np.isnan(abs_err), np.inf, abs_err)  # NaN vs number: never close
        rel_err = np.where(e != 0, abs_err / np.abs(e), np.where(abs_err == 0, 0.0, np.inf))
        bad = abs_err > atol + rtol * np.abs(e)
    details = "%s  max_abs %.3g  max_rel %.3g" % (described, abs_err.max(), rel_err.max())
    count = int(np.count_nonzero(bad))
    if count == 0:
        return True, details
    worst = np.unravel_index(int(np.argmax(np.where(bad, abs_err, -1.0))), expected.shape)
    return False, "%s  %d of %d elements out of tolerance, worst at %s: %r vs expected %r" % (
        details, count, expected.size, tuple(int(i) for i in worst),
        float(actual[worst]), float(expected[worst]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("actual_dir")
    parser.add_argument("expected_dir")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args(argv)

    for directory in (args.actual_dir, args.expected_dir):
        if not os.path.isdir(directory):
            print("compare_outputs: %s: not a directory" % directory, file=sys.stderr)
            return 1
    names = sorted(f for f in os.listdir(args.expected_dir) if f.endswith(".npy"))
    if not names:
        print("compare_outputs: %s holds no .npy files" % args.expected_dir, file=sys.stderr)
        return 1

    failures = 0
    for name in names:
        actual_path = os.path.join(args.actual_dir, name)
        label = name[:-len(".npy")]
        if not os.path.isfile(actual_path):
            print("FAIL  %s  missing %s" % (label, actual_path))
            failures += 1
            continue
        try:
            actual = np.load(actual_path, allow_pickle=False)
            expected = np.load(os.path.join(args.expected_dir, name), allow_pickle=False)
        except (OSError, ValueError) as err:
            print("FAIL  %s  cannot read: %s" % (label, err))
            failures += 1
            continue
        passed, details = compare(actual, expected, args.rtol, args.atol)
        print("%s  %s  %s" % ("PASS" if passed else "FAIL", label, details))
        failures += not passed

    extra = sorted(set(f for f in os.listdir(args.actual_dir) if f.endswith(".npy")) - set(names))
    for name in extra:
        print("note  %s  in %s has no expected counterpart" % (name, args.actual_dir))
    print("%d of %d outputs match (rtol %g, atol %g)" % (
        len(names) - failures, len(names), args.rtol, args.atol))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
