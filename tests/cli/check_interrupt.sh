#!/usr/bin/env bash
# check_interrupt.sh SPCC MODEL WORK_DIR [SHAPE...]: spcc interrupted while it links leaves
# nothing behind: no object or linker log in TMPDIR, no half-linked OUT.so-XXXXXX.tmp beside the
# output, and no driver or linker still running. The linker is caught in the act: once a process
# works on the output, it is stopped (SIGSTOP) and spcc is sent SIGTERM, so the linker cannot
# finish on its own, and only spcc ending it (its process group) lets the check pass. SIGTERM is
# handled as SIGINT (Ctrl-C in a terminal) is: a job started in the background ignores SIGINT.
set -u
spcc=$1 model=$2 work=$3
shift 3
shapes=()
for s in "$@"; do shapes+=(--shape "$s"); done
rm -rf "$work" && mkdir -p "$work/tmp" "$work/out"
linking="$work/out/m.so-"
fail() {
  echo "FAIL: $*"
  ls -la "$work/tmp" "$work/out"
  pkill -KILL -f -- "$linking"
  exit 1
}
during_link=0
for round in 1 2 3; do
  TMPDIR="$work/tmp" "$spcc" "$model" "${shapes[@]}" -o "$work/out/m.so" --tune=none \
    2>"$work/stderr" &
  pid=$!
  caught=0
  for _ in $(seq 1 30000); do
    if pkill -STOP -f -- "$linking"; then
      caught=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.001
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  for _ in $(seq 1 100); do
    pgrep -f -- "$linking" >/dev/null || break
    sleep 0.01
  done
  pgrep -f -- "$linking" >/dev/null && fail "the linker outlived spcc (round $round)"
  # 143: terminated by the signal; 0: it finished linking before the linker was caught.
  [ "$caught" -eq 1 ] && [ "$rc" -eq 143 ] && during_link=$((during_link + 1))
  [ -z "$(ls -A "$work/tmp")" ] || fail "temporaries left in TMPDIR (round $round, exit $rc)"
  if ls "$work/out" | grep -q '\.tmp'; then fail "a half-linked output left (round $round)"; fi
done
[ "$during_link" -ge 1 ] || fail "no round was interrupted while linking"
echo "ok: $during_link of 3 compiles interrupted while linking, nothing left behind"
