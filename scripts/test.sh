#!/usr/bin/env bash
# Install, build and run every test suite.
# Usage: bash scripts/test.sh [--sanitize]   (ASan + UBSan build in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
build=build
opts=(-DVT_WERROR=ON)
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan
  opts+=(-DVT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
cmake -S . -B "$build" "${opts[@]}" >/dev/null
cmake --build "$build" -j2
# Every public function has a Criterion test that calls it (docs/testing.md's table).
/usr/bin/python3 tests/function_table.py --check
# Every test must run: a skip (Fashion-MNIST or PyTorch missing) fails instead
# (tests/skip.h, tests/no_skip.sh). VT_FASHION_DIR overrides the data directory.
export VT_TEST_NO_SKIP=1
data_dir="${VT_FASHION_DIR:-/usr/share/datasets/fashion-mnist}"
# One PyTorch training step, dumped for the same-step comparison tests (which need it).
for m in vae cvae; do
  [[ -f "$build/torch-dump/$m/manifest.json" ]] ||
    /usr/bin/python3 ../shared/bench/torch_vae.py --model "$m" --data-dir "$data_dir" \
      --dump-step "$build/torch-dump/$m" >/dev/null ||
    { echo "test.sh: the PyTorch dump for $m failed (python3-torch, $data_dir)" >&2; exit 1; }
done
export ASAN_OPTIONS=detect_leaks=1
ctest --test-dir "$build" --output-on-failure -j1 | tee "$build/ctest.log"
# ctest counts a skipped test as passed: refuse any.
if grep -q "Not Run\|Skipped" "$build/ctest.log"; then
  echo "test.sh: some tests were skipped or not run (see above)" >&2
  exit 1
fi
# libFuzzer on the IDX, gzip and checkpoint readers, 20 s each (clang; ~1-2 min with the build).
if [[ "$build" == build ]]; then
  bash tests/fuzz/run.sh 20 build-fuzz
  # The installed library, used from a project outside the tree (not with sanitizers:
  # an outside program would need the same instrumentation).
  bash scripts/install_test.sh "$build"
fi
