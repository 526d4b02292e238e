#!/usr/bin/env bash
# check_resources.sh SPCC SMALL_MODEL WORK_DIR: running out of disk or memory ends a compile with one line
# naming the cause and a documented exit code, never an abort, and leaves nothing behind.
#
# 1. The disk fills, compiling SMALL_MODEL: while linking (OUT.so's folder on a 256 KiB tmpfs, mounted in a private
#    mount namespace by `unshare`; skipped where that is not allowed): exit 3, "cannot write
#    OUT.so: no space left on device", the folder left empty; while writing the objects
#    (ulimit -f 10): exit 3, "cannot write ...: File too large", no temporary left.
# 2. --max-memory below what importing a 24 MiB model needs (three times its size): exit 7,
#    refused before the import, naming --max-memory.
# 3. --max-memory that the import fits in but code generation does not (twice the module's
#    data plus 64 MiB): exit 7, naming code generation; with 1G the same compile succeeds.
# 4. An address-space limit (ulimit -v) 96 MiB above what spcc needs to read a small model,
#    and a model whose folding allocates a 256 MiB constant: exit 7 with "out of memory" (the
#    allocation fails; LLVM's "out of memory" abort before).
set -u
spcc=$1 small_model=$2 work=$3
python=${PYTHON:-/usr/bin/python3}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; cat "$work/stderr" 2>/dev/null; exit 1; }

"$python" - "$work" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

work = sys.argv[1]
rng = np.random.default_rng(3)


def save(name, nodes, inputs, outputs, initializers):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
              "%s/%s.onnx" % (work, name))


n = 2500  # a dense 2500 x 2500 float weight: 23.8 MiB
save("dense", [helper.make_node("MatMul", ["x", "w"], ["y"])],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])],
     [numpy_helper.from_array(rng.standard_normal((n, n)).astype(np.float32), "w")])
# 2^26 ones made at compile time (256 MiB), summed to one number.
save("folded",
     [helper.make_node("ConstantOfShape", ["shape"], ["ones"],
                       value=helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])),
      helper.make_node("ReduceSum", ["ones"], ["sum"], keepdims=0),
      helper.make_node("Add", ["x", "sum"], ["y"])],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
     [numpy_helper.from_array(np.array([1 << 26], np.int64), "shape")])
EOF
[ -f "$work/dense.onnx" ] && [ -f "$work/folded.onnx" ] || fail "cannot write the test models"

# expect CODE PATTERN COMMAND...: COMMAND exits with CODE and one stderr line matching PATTERN.
expect() {
  local code=$1 pattern=$2; shift 2
  "$@" >/dev/null 2>"$work/stderr"
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code"
  [ "$(grep -c . "$work/stderr")" -eq 1 ] && grep -Eq -- "$pattern" "$work/stderr" ||
    fail "$*: expected one line matching /$pattern/"
  echo "ok: $(cat "$work/stderr")"
}

# 1. The disk fills.
mkdir -p "$work/small" "$work/tmp"
if unshare -rm true 2>/dev/null; then
  expect 0 "^ok: exit 3: spcc: error: .*: cannot write .*small/out.so: no space left on device; left: *$" \
    unshare -rm bash -c 'mount -t tmpfs -o size=256k tmpfs "$0" || exit 9
      "$1" "$2" -o "$0/out.so" --tune=none 2>"$0/../stderr.inner"
      rc=$?; echo "ok: exit $rc: $(cat "$0/../stderr.inner"); left: $(ls -A "$0")" >&2' \
    "$work/small" "$spcc" "$small_model"
else
  echo "skipped: cannot mount a small tmpfs here (unshare -rm)"
fi
expect 3 "cannot write .*/tmp/spcc-model-.*\.o: File too large" \
  bash -c 'ulimit -f 10; export TMPDIR="$3"; exec "$0" "$1" -o "$2" --tune=none' \
  "$spcc" "$small_model" "$work/out.so" "$work/tmp"
[ -z "$(ls -A "$work/tmp")" ] || fail "temporaries left: $(ls -A "$work/tmp")"
[ ! -e "$work/out.so" ] || fail "a partial out.so was left"

# 2. and 3. The estimates.
expect 7 "dense.onnx: importing it \(23.8 MiB\) needs about .* MiB more memory, but --max-memory leaves .*: raise --max-memory" \
  "$spcc" "$work/dense.onnx" -o "$work/out.so" --tune=none --dense --max-memory=64M
expect 7 "dense.onnx: code generation for 23 MiB of weights and tables needs about .* MiB more memory, but --max-memory leaves" \
  "$spcc" "$work/dense.onnx" -o "$work/out.so" --tune=none --dense --max-memory=160M
[ ! -e "$work/out.so" ] || fail "a refused compile wrote out.so"
"$spcc" "$work/dense.onnx" -o "$work/out.so" --tune=none --dense --max-memory=1G 2>"$work/stderr" ||
  fail "the compile failed with --max-memory=1G"

# 4. The smallest address-space limit (in steps of 32 MiB) under which spcc reads a small model,
# then 96 MiB more: too little for the 256 MiB folded constant.
limit=0
for kib in $(seq 131072 32768 4194304); do
  if (ulimit -v "$kib"; "$spcc" "$work/dense.onnx" --summary >/dev/null 2>&1); then
    limit=$((kib + 98304))
    break
  fi
done
[ "$limit" -gt 0 ] || fail "spcc did not start under any address-space limit up to 4 GiB"
expect 7 "^spcc: error: .*folded.onnx: out of memory \(the address-space limit \(ulimit -v\) left" \
  bash -c 'ulimit -v "$0"; exec "$1" "$2" -o "$3" --tune=none' \
  "$limit" "$spcc" "$work/folded.onnx" "$work/folded.so"
[ ! -e "$work/folded.so" ] || fail "folded.so was written"
echo "ok"
