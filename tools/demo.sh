#!/usr/bin/env bash
# Install, build and train the VAE on Fashion-MNIST for a short default, then write
# sample images and metrics to out/. Extra arguments go to `vtape train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DVT_NATIVE=ON >/dev/null
cmake --build build -j2
if [[ -x build/vtape ]]; then
  build/vtape train --out out/vae "$@"
  build/vtape sample --checkpoint out/vae/checkpoint.vtck --out out/vae
  echo "images and metrics are in out/vae/"
else
  build/custom_op
fi
