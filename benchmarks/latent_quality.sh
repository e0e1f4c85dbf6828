#!/usr/bin/env bash
# The latent-model rows of docs/results.md: the plain VAE and each built-in latent model
# (784-512-256, latent 32, relu, Adam 1e-3, batch 128, dynamic binarization) trained for
# the same epochs, then test NELBO and importance-sampled -log p(x) (K = 1000 on the
# first 1000 test images). One job at a time.
# Usage: bash benchmarks/latent_quality.sh [EPOCHS] [OUTDIR]   (defaults: 10, out/latent)
#   MODELS="vae iaf" runs a subset; EXTRA="--seed 1" adds options to every run.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}
out=${2:-out/latent}
build=${VT_BUILD:-build}
mkdir -p "$out"
[[ -x "$build/vtape" ]] || { cmake -S . -B "$build" >/dev/null && cmake --build "$build" -j2 >/dev/null; }

declare -A runs=(
  [vae]="--model vae"
  [hvae]="--model hvae --latent2 16"
  [hvae-td]="--model hvae --inference top-down --latent2 16"
  [vae-generic]="--model vae --estimator generic"
  [vamp]="--model vae --prior vamp --pseudo-inputs 50"
  [iaf]="--model vae --posterior iaf --flow-depth 4 --estimator base-kl"
  [iaf-generic]="--model vae --posterior iaf --flow-depth 4 --estimator generic"
  [gumbel]="--model vae --latent-type gumbel --latent 30 --categories 10 --temperature 1 --temperature-min 0.5 --temperature-rate 1e-4"
)
for name in ${MODELS:-vae hvae hvae-td vamp iaf gumbel}; do
  start=$(date +%s%N)
  load=$(cut -d' ' -f1 /proc/loadavg)
  # shellcheck disable=SC2086
  "$build/vtape" train ${runs[$name]} ${EXTRA:-} --epochs "$epochs" --iw-k 1000 --iw-n 1000 \
      --out "$out/$name" > "$out/$name.log" 2>&1
  echo "$(( ($(date +%s%N) - start) / 1000000 )) ms, load at start $load" > "$out/$name.wall"
  echo "done: $name ($(cat "$out/$name.wall"))"
done
