#!/usr/bin/env bash
# check_damaged_models.sh SPCC SPCC_RUN MODEL WORK_DIR: a compiled model cut short at many
# points, or with a bit flipped anywhere (ELF header, dynamic sections, code, weights, trailer),
# is refused by the loader with exit 4 (damaged model) and one error line: never a crash, an
# assertion of the dynamic loader, or a wrong answer.
set -u
spcc=$1 run=$2 model=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; cat "$work/stderr" 2>/dev/null; exit 1; }
"$spcc" "$model" -o "$work/good.so" --tune=none 2>/dev/null || fail "cannot compile $model"
"$run" "$work/good.so" --random-inputs >/dev/null 2>&1 || fail "the intact model does not run"
size=$(wc -c <"$work/good.so")

# expect_refused FILE WHAT: spcc-run exits 4 with one line naming the file.
expect_refused() {
  timeout 60 "$run" "$1" --random-inputs >/dev/null 2>"$work/stderr"
  local rc=$?
  [ "$rc" -eq 4 ] || fail "$2: exit $rc, expected 4 (damaged model)"
  [ "$(grep -c . "$work/stderr")" -eq 1 ] && grep -q "$(basename "$1")" "$work/stderr" ||
    fail "$2: expected one error line naming the file"
}

cuts=0
for cut in 0 1 16 64 200 4096 $((size / 4)) $((size / 2)) $((size - 4096)) $((size - 33)) \
           $((size - 32)) $((size - 31)) $((size - 8)) $((size - 1)); do
  [ "$cut" -ge 0 ] && [ "$cut" -lt "$size" ] || continue
  head -c "$cut" "$work/good.so" >"$work/cut.so"
  expect_refused "$work/cut.so" "cut to $cut of $size bytes"
  cuts=$((cuts + 1))
done

flips=0
# Offsets spread over the whole file (the ELF header at 0-63, program headers, the dynamic
# sections, code, data, and the trailer's last 32 bytes), each byte's low bit flipped.
for offset in 4 5 18 24 32 40 54 60 64 72 100 300 600 1000 2000 $((size / 3)) $((size / 2)) \
              $((size * 2 / 3)) $((size - 100)) $((size - 40)) $((size - 32)) $((size - 20)) \
              $((size - 9)) $((size - 1)); do
  cp "$work/good.so" "$work/flip.so"
  byte=$(od -An -tu1 -j "$offset" -N1 "$work/good.so" | tr -d ' ')
  printf "\\$(printf '%03o' $((byte ^ 1)))" |
    dd of="$work/flip.so" bs=1 seek="$offset" conv=notrunc status=none
  cmp -s "$work/good.so" "$work/flip.so" && fail "the flip at $offset changed nothing"
  expect_refused "$work/flip.so" "bit 0 of byte $offset flipped"
  flips=$((flips + 1))
done
# A model carrying two ISA levels: damage in the embedded level or in the table of levels.
"$spcc" "$model" -o "$work/levels.so" --tune=none --target x86-64-v3,x86-64-v4 2>/dev/null ||
  fail "cannot compile $model for two levels"
"$run" "$work/levels.so" --random-inputs >/dev/null 2>&1 || fail "the intact two-level model does not run"
levels_size=$(wc -c <"$work/levels.so")
for offset in $((levels_size * 3 / 4)) $((levels_size - 32 - 16 - 40 - 30)) $((levels_size - 40)); do
  cp "$work/levels.so" "$work/flip.so"
  byte=$(od -An -tu1 -j "$offset" -N1 "$work/levels.so" | tr -d ' ')
  printf "\\$(printf '%03o' $((byte ^ 1)))" |
    dd of="$work/flip.so" bs=1 seek="$offset" conv=notrunc status=none
  expect_refused "$work/flip.so" "two-level model, bit 0 of byte $offset flipped"
  flips=$((flips + 1))
done

echo "ok: $cuts truncations and $flips bit flips of a $size-byte model refused"
