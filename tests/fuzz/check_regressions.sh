#!/usr/bin/env bash
# check_regressions.sh SPCC DIR: every file in DIR once crashed the importer (found by the
# fuzzer); each must now give a clean error: exit code 2-6 and one line on stderr.
set -u
spcc=$1 dir=$2 failed=0
for f in "$dir"/*; do
  stderr=$("$spcc" "$f" 2>&1 >/dev/null)
  code=$?
  if [ "$code" -lt 2 ] || [ "$code" -gt 6 ] || [ "$(printf '%s\n' "$stderr" | wc -l)" -ne 1 ]; then
    echo "FAIL $f: exit $code"; printf '%s\n' "$stderr" | head -5; failed=1
  else
    echo "ok   $f: exit $code"
  fi
done
exit $failed
