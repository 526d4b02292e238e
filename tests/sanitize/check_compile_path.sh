#!/usr/bin/env bash
# check_compile_path.sh SPCC MODELS_DIR NODE_TESTS_DIR WORK_DIR
#
# Runs the compile path of a sanitized spcc (SPCC_SANITIZE=ON: AddressSanitizer and
# UndefinedBehaviorSanitizer) over every test model: import and every pass (--dump-ir), then code
# generation and linking (-o, --tune=none and --tune=fast; --target sm_90, with and without
# --emulate-gpu), and import plus passes over every
# ONNX node test model. A model may be refused (a clean error exit); a sanitizer report fails.
set -u
spcc=$1 models=$2 node_tests=$3 work=$4
mkdir -p "$work"
export ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86
failures=0 runs=0

# run LABEL ARGS...: one sanitized run; a sanitizer finding (exit 86) is a failure.
run() {
  local label=$1; shift
  runs=$((runs + 1))
  "$spcc" "$@" >/dev/null 2>"$work/stderr.txt"
  local rc=$?
  if [ "$rc" -eq 86 ] || grep -q "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$work/stderr.txt"; then
    echo "FAIL ($label): exit $rc"; head -40 "$work/stderr.txt"
    failures=$((failures + 1))
  fi
  return 0
}

for model in bert_tiny mobilenet_tiny resnet_tiny mlp; do
  onnx="$models/$model/$model.onnx"
  if [ ! -f "$onnx" ]; then echo "missing $onnx (the model tests export it)"; exit 1; fi
  shapes=()
  for s in $(cat "$models/$model/$model.shape"); do shapes+=(--shape "$s"); done
  run "$model --dump-ir" "$onnx" "${shapes[@]}" --dump-ir
  run "$model -o --tune=none" "$onnx" "${shapes[@]}" -o "$work/$model.so" --tune=none
  run "$model -o --tune=fast" "$onnx" "${shapes[@]}" -o "$work/$model.so" --tune=fast \
      --tune-cache= --tune-threads=1
  # The GPU target: device code (PTX through NVPTX) and the host emulation; the models it
  # cannot run yet are refused, which exercises the refusal path.
  run "$model -o --target sm_90" "$onnx" "${shapes[@]}" -o "$work/$model.gpu.so" --target sm_90
  run "$model -o --target sm_90 --emulate-gpu" "$onnx" "${shapes[@]}" -o "$work/$model.gpu.so" \
      --target sm_90 --emulate-gpu
done
run "demo -o" "$(dirname "$0")/../../models/demo/mlp_pruned.onnx" -o "$work/demo.so" --tune=none

node_models=0
for onnx in "$node_tests"/node/*/model.onnx; do
  [ -f "$onnx" ] || continue
  node_models=$((node_models + 1))
  run "$(basename "$(dirname "$onnx")")" "$onnx" --dump-ir
done
echo "sanitized runs: $runs ($node_models node test models), sanitizer findings: $failures"
[ "$failures" -eq 0 ]
