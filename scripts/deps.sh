#!/usr/bin/env bash
# Install what vtape needs to build, test and train, from Debian's packages.
# Usage: bash scripts/deps.sh [--test]
#   --test (or --torch) adds what the test suite needs beyond the build: PyTorch and NumPy
#   for the side-by-side checks, clang and its runtime for the libFuzzer harnesses.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libopenblas-dev libsleef-dev libcriterion-dev
      zlib1g-dev libpng-dev dataset-fashion-mnist)
[[ "${1:-}" == "--test" || "${1:-}" == "--torch" ]] &&
  pkgs+=(python3-torch python3-numpy clang libclang-rt-dev)
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
