#!/usr/bin/env bash
# Install, build and run every test suite.
# Usage: bash scripts/test.sh [--sanitize]   (ASan + UBSan build in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --torch
build=build
opts=(-DVT_WERROR=ON)
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan
  opts+=(-DVT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
cmake -S . -B "$build" "${opts[@]}" >/dev/null
cmake --build "$build" -j2
# One PyTorch training step, dumped for the same-step comparison tests.
if /usr/bin/python3 -c 'import torch' 2>/dev/null && [[ -f ../shared/bench/torch_vae.py ]]; then
  for m in vae cvae; do
    [[ -f "$build/torch-dump/$m/manifest.json" ]] ||
      /usr/bin/python3 ../shared/bench/torch_vae.py --model "$m" --dump-step "$build/torch-dump/$m" >/dev/null
  done
fi
export ASAN_OPTIONS=detect_leaks=1
ctest --test-dir "$build" --output-on-failure -j1
# The installed library, used from a project outside the tree (not with sanitizers:
# an outside program would need the same instrumentation).
if [[ "$build" == build ]]; then
  bash scripts/install_test.sh "$build"
fi
