#!/usr/bin/env bash
# expect_failure.sh CODE PATTERN COMMAND...: runs COMMAND and passes when it exits with CODE and
# prints exactly one line on stderr, matching the extended regex PATTERN (and no crash report).
set -u
code=$1 pattern=$2
shift 2
stderr=$("$@" 2>&1 >/dev/null)
actual=$?
lines=$(printf '%s\n' "$stderr" | grep -c .)
if [ "$actual" -ne "$code" ]; then
  echo "expected exit code $code, got $actual; stderr:"; printf '%s\n' "$stderr"; exit 1
fi
if [ "$lines" -ne 1 ] || ! printf '%s\n' "$stderr" | grep -Eq -- "$pattern"; then
  echo "expected one stderr line matching /$pattern/, got:"; printf '%s\n' "$stderr"; exit 1
fi
echo "ok: exit $actual: $stderr"
