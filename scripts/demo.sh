#!/usr/bin/env bash
# Install, build and train the VAE on Fashion-MNIST for a short default (2 epochs),
# then write sample images, metrics and the loss curve to out/vae/.
# Extra arguments go to `vtape train` (see `build/vtape train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DVT_NATIVE=ON >/dev/null
cmake --build build -j2
build/vtape train --out out/vae "$@"
echo "images, metrics.csv, final.json and checkpoint.vtck are in out/vae/"
