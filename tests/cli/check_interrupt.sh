#!/usr/bin/env bash
# check_interrupt.sh SPCC MODEL WORK_DIR [--ptxas] [SHAPE...]: spcc interrupted while a program
# it started runs leaves nothing behind: no temporary in TMPDIR, no half-linked OUT.so-XXXXXX.tmp
# beside the output, and no such program still running. The program is caught in the act: the
# linker (or with --ptxas, ptxas assembling a GPU model's kernels) is stopped (SIGSTOP) as soon
# as it runs, then spcc is sent SIGTERM, so the program cannot finish on its own, and only spcc
# ending it (its process group) lets the check pass. SIGTERM is handled as SIGINT (Ctrl-C in a
# terminal) is: a job started in the background ignores SIGINT. Exit 77: no ptxas to catch.
set -u
spcc=$1 model=$2 work=$3
shift 3
caught_what="the linker" target=()
if [ "${1:-}" = "--ptxas" ]; then
  shift
  caught_what=ptxas target=(--target sm_90)
  if [ ! -x "${CUDA_HOME:-/usr/local/cuda}/bin/ptxas" ] && ! command -v ptxas >/dev/null; then
    echo "skipped: no ptxas (CUDA_HOME)"
    exit 77
  fi
fi
shapes=()
for s in "$@"; do shapes+=(--shape "$s"); done
rm -rf "$work" && mkdir -p "$work/tmp" "$work/out"
# The program's command line names its output: the linker's beside -o, ptxas's in TMPDIR.
running="$work/out/m.so-"
[ "$caught_what" = ptxas ] && running="$work/tmp/spcc-kernel"
fail() {
  echo "FAIL: $*"
  ls -la "$work/tmp" "$work/out"
  pkill -KILL -f -- "$running"
  exit 1
}
interrupted=0
for round in 1 2 3; do
  TMPDIR="$work/tmp" "$spcc" "$model" "${shapes[@]}" "${target[@]}" -o "$work/out/m.so" \
    --tune=none 2>"$work/stderr" &
  pid=$!
  caught=0
  for _ in $(seq 1 30000); do
    if pkill -STOP -f -- "$running"; then
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
    pgrep -f -- "$running" >/dev/null || break
    sleep 0.01
  done
  pgrep -f -- "$running" >/dev/null && fail "$caught_what outlived spcc (round $round)"
  # 143: terminated by the signal; 0: it finished before the program was caught.
  [ "$caught" -eq 1 ] && [ "$rc" -eq 143 ] && interrupted=$((interrupted + 1))
  [ -z "$(ls -A "$work/tmp")" ] || fail "temporaries left in TMPDIR (round $round, exit $rc)"
  if ls "$work/out" | grep -q '\.tmp'; then fail "a half-linked output left (round $round)"; fi
done
[ "$interrupted" -ge 1 ] || fail "no round was interrupted while $caught_what ran"
echo "ok: $interrupted of 3 compiles interrupted while $caught_what ran, nothing left behind"
