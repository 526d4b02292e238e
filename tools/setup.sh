#!/usr/bin/env bash
# Installs everything spcc needs on Debian 12: compilers, LLVM 19, ONNX 1.12, Eigen, OpenMP,
# Catch2, the Python stack used to export test models, Chromium (renders the --report page in
# cli.report_html), and ONNX Runtime (npm) used as the oracle.
# Idempotent: packages already present are skipped, so a second run takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build ccache g++ pkg-config
  llvm-19-dev libllvm19 clang-19 lld-19 liblld-19-dev libomp-19-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libeigen3-dev catch2 clang-format-19 libxxhash-dev
  python3 python3-numpy python3-onnx python3-torch python3-torchvision
  python3-pytest python3-pip python3-setuptools
  libfuzzer-19-dev libclang-rt-19-dev
  libxsmm-dev libdnnl-dev
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime for Node: the oracle every model test compares against. The linux-x64 CPU
# library ships inside the package; its install script only downloads GPU extras, so skip it.
if [ ! -f tools/oracle/node_modules/onnxruntime-node/package.json ]; then
  echo "setup: installing onnxruntime-node (npm)" >&2
  (cd tools/oracle && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
