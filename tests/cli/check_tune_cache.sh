#!/usr/bin/env bash
# check_tune_cache.sh SPCC MODEL WORK_DIR: a damaged tuning cache (absurd tilings, unreadable
# entries) makes spcc warn and tune those layers again, never run out of memory or fail.
set -u
spcc=$1 model=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cache="$work/tune.txt"
fail() { echo "FAIL: $*"; cat "$work/stderr" 2>/dev/null; exit 1; }

"$spcc" "$model" -o "$work/first.so" --tune=fast --tune-threads=1 --tune-cache "$cache" \
  2>"$work/stderr" || fail "the first compile failed"
entries=$(grep -c . "$cache")
[ "$entries" -ge 1 ] || fail "no decisions were cached"

# Every entry's tiling becomes absurd (it would take minutes and gigabytes to compile), then one
# entry becomes unreadable.
sed -E -i 's/^([^ ]+) (sparse|dense) [^ ]+ /\1 \2 unrolled-r100000-v100000 /' "$cache"
sed -i '1s/ [^ ]* / garbage /' "$cache"
timeout 120 "$spcc" "$model" -o "$work/second.so" --tune=fast --tune-threads=1 \
  --tune-cache "$cache" 2>"$work/stderr"
rc=$?
[ "$rc" -eq 0 ] || fail "the compile with a damaged cache exited $rc"
[ "$(grep -c "^spcc: warning: .* is tuned again$" "$work/stderr")" -eq "$entries" ] ||
  fail "expected one warning per damaged entry ($entries)"
grep -q "unreadable entry" "$work/stderr" || fail "no warning names the unreadable entry"
grep -q "tiling unrolled-r100000-v100000 is not one spcc chooses" "$work/stderr" ||
  fail "no warning names the absurd tiling"
if grep -q "unrolled-r100000" "$cache"; then fail "the damaged entries stayed in the cache"; fi
echo "ok: $entries damaged entries tuned again"
