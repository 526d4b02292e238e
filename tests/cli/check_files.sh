#!/usr/bin/env bash
# check_files.sh SPCC MODEL WORK_DIR: spcc never writes over the model it compiles or over
# anything that is not a regular file (-o, --report, --tune-cache), and refuses to read a model
# that is not a regular file (a FIFO would block forever), each with exit 2 or 3 and one line.
set -u
spcc=$1 model=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cp "$model" "$work/m.onnx"
before=$(sha256sum <"$work/m.onnx")
fail() { echo "FAIL: $*"; cat "$work/stderr" 2>/dev/null; exit 1; }

# expect CODE PATTERN ARGS...: spcc exits with CODE within a minute, one stderr line matching.
expect() {
  local code=$1 pattern=$2; shift 2
  timeout 60 "$spcc" "$@" >/dev/null 2>"$work/stderr"
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "spcc $*: exit $rc, expected $code"
  [ "$(grep -c . "$work/stderr")" -eq 1 ] && grep -Eq -- "$pattern" "$work/stderr" ||
    fail "spcc $*: expected one line matching /$pattern/"
}

expect 2 "-o .*m.onnx is the model being compiled" "$work/m.onnx" -o "$work/m.onnx"
ln -s m.onnx "$work/link.so"
expect 2 "-o .*link.so is the model being compiled" "$work/m.onnx" -o "$work/link.so"
[ "$(sha256sum <"$work/m.onnx")" = "$before" ] || fail "the model was overwritten"

mkfifo "$work/fifo"
expect 2 "-o .*fifo: a FIFO; spcc writes only regular files" "$work/m.onnx" -o "$work/fifo"
expect 2 "--report .*fifo: a FIFO" "$work/m.onnx" -o "$work/out.so" --report "$work/fifo"
expect 2 "--tune-cache .*fifo: a FIFO" "$work/m.onnx" -o "$work/out.so" --tune-cache "$work/fifo"
expect 2 "-o .*: a directory" "$work/m.onnx" -o "$work"
[ -p "$work/fifo" ] || fail "the FIFO was replaced"
[ ! -e "$work/out.so" ] || fail "an output was written after a refused flag"

expect 3 "fifo: cannot read: a FIFO" "$work/fifo" --summary
expect 3 ": cannot read: a directory" "$work"
echo "ok"
