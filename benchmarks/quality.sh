#!/usr/bin/env bash
# Quality side by side: vtape and ../shared/bench/torch_vae.py train the same models
# (784-512-256, latent 32, relu, Adam 1e-3, batch 128, dynamic binarization) for the
# same epochs, then report test NELBO and importance-sampled -log p(x) (K = 1000 on
# the first 1000 test images). Runs one job at a time so the timings are fair.
# Usage: bash benchmarks/quality.sh [EPOCHS] [OUTDIR]   (defaults: 10, out/quality)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}
out=${2:-out/quality}
build=${VT_BUILD:-build}
torch=../shared/bench/torch_vae.py
mkdir -p "$out"
[[ -x "$build/vtape" ]] || { cmake -S . -B "$build" >/dev/null && cmake --build "$build" -j2 >/dev/null; }

for model in vae cvae beta-vae; do
  tmodel=$model; [[ $model == beta-vae ]] && tmodel=beta-anneal
  start=$(date +%s%N)
  /usr/bin/python3 "$torch" --model "$tmodel" --epochs "$epochs" --threads 2 \
      --iw-k 1000 --iw-n 1000 --json "$out/torch-$model.json" > "$out/torch-$model.log" 2>&1
  echo $(( ($(date +%s%N) - start) / 1000000 )) > "$out/torch-$model.wall"
  start=$(date +%s%N)
  "$build/vtape" train --model "$model" --epochs "$epochs" --iw-k 1000 --iw-n 1000 \
      --out "$out/vtape-$model" > "$out/vtape-$model.log" 2>&1
  echo $(( ($(date +%s%N) - start) / 1000000 )) > "$out/vtape-$model.wall"
  echo "done: $model"
done
/usr/bin/python3 benchmarks/quality_table.py "$out"
