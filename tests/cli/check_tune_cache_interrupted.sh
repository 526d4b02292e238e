#!/usr/bin/env bash
# check_tune_cache_interrupted.sh SPCC MODEL WORK_DIR: a compilation interrupted while tuning
# keeps the layers it already measured in its tuning cache, and the next compilation takes
# those from the cache and tunes only the rest. spcc is stopped (SIGSTOP) as soon as its first
# decision is on disk, so the check sees the cache mid-tuning, then sent SIGTERM.
set -u
spcc=$1 model=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cache="$work/tune.txt"
fail() { echo "FAIL: $*"; cat "$work/stderr" 2>/dev/null; exit 1; }
entries() { if [ -f "$cache" ]; then grep -c . "$cache"; else echo 0; fi; }

"$spcc" "$model" -o "$work/first.so" --tune=fast --tune-threads=1 --tune-cache "$cache" \
  2>"$work/stderr" &
pid=$!
for _ in $(seq 1 60000); do
  [ "$(entries)" -ge 1 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.001
done
kill -STOP "$pid" 2>/dev/null
saved=$(entries)
kill -TERM "$pid" 2>/dev/null
kill -CONT "$pid" 2>/dev/null
wait "$pid"
rc=$?
[ "$rc" -eq 143 ] || fail "the compile was not interrupted while tuning (exit $rc)"
[ "$saved" -ge 1 ] || fail "nothing was in the cache while tuning"
[ "$(entries)" -eq "$saved" ] || fail "the cache held $saved decisions while tuning, $(entries) after"
[ -e "$work/first.so" ] && fail "the interrupted compile wrote its output"

"$spcc" "$model" -o "$work/second.so" --tune=fast --tune-threads=1 --tune-cache "$cache" \
  --report "$work/report.json" 2>"$work/stderr" || fail "the second compile failed"
layers=$(grep -o '"decided_by"' "$work/report.json" | wc -l)
reused=$(grep -o '"decided_by": *"tuning cache' "$work/report.json" | wc -l)
[ "$saved" -lt "$layers" ] || fail "all $layers layers were decided before the interrupt"
[ "$reused" -eq "$saved" ] || fail "$reused layers came from the cache, $saved were saved"
[ "$(entries)" -eq "$layers" ] || fail "the cache holds $(entries) decisions for $layers layers"
echo "ok: $saved of $layers decisions kept by an interrupted compile and reused"
