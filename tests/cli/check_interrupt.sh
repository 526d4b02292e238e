#!/usr/bin/env bash
# check_interrupt.sh SPCC MODEL WORK_DIR [SHAPE...]: spcc interrupted while it links leaves no
# temporary behind: no object or linker log in TMPDIR, no half-linked OUT.so-XXXXXX.tmp beside
# the output. The signal is sent as soon as -v reports that code generation is done. It is
# SIGTERM, which spcc handles as it handles SIGINT (Ctrl-C in a terminal): a job started in the
# background by a script ignores SIGINT.
set -u
spcc=$1 model=$2 work=$3
shift 3
shapes=()
for s in "$@"; do shapes+=(--shape "$s"); done
rm -rf "$work" && mkdir -p "$work/tmp" "$work/out"
fail() { echo "FAIL: $*"; ls -la "$work/tmp" "$work/out"; exit 1; }
during_link=0
for round in 1 2 3; do
  TMPDIR="$work/tmp" "$spcc" "$model" "${shapes[@]}" -o "$work/out/m.so" --tune=none -v \
    2>"$work/stderr" &
  pid=$!
  for _ in $(seq 1 3000); do
    grep -q "^spcc: codegen:" "$work/stderr" && break
    sleep 0.01
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  # The linker spcc ran outlives it when only spcc is signalled (a script's kill; Ctrl-C signals
  # the whole group): what is left is what remains once no process works on the output any more.
  for _ in $(seq 1 500); do
    pgrep -f -- "$work/out/m.so-" >/dev/null || break
    sleep 0.01
  done
  # 143: terminated by the signal; 0: it finished linking before the signal arrived.
  [ "$rc" -eq 143 ] && ! grep -q "^spcc: link:" "$work/stderr" && during_link=$((during_link + 1))
  [ -z "$(ls -A "$work/tmp")" ] || fail "temporaries left in TMPDIR (round $round, exit $rc)"
  if ls "$work/out" | grep -q '\.tmp$'; then fail "a half-linked output left (round $round)"; fi
done
[ "$during_link" -ge 1 ] || fail "no round was interrupted while linking"
echo "ok: $during_link of 3 compiles interrupted while linking, nothing left behind"
