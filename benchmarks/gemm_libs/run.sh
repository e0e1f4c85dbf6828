#!/usr/bin/env bash
# Build benchmarks/gemm_libs/gemm_libs.c against vtape's static library and every GEMM
# library installed (oneDNN: libdnnl-dev, BLIS: libblis-dev, libxsmm: libxsmm-dev), then
# run it for each batch size and thread count. Not part of the CMake build.
#
# Usage: bash benchmarks/gemm_libs/run.sh [OUTDIR]   (default out/gemm_libs)
#   Environment: VT_BUILD (vtape build with libvtape.a, default build), BATCHES
#   (default "32 128 512"), THREADS (default "1 2"), REPS (default 50).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/gemm_libs}
build=${VT_BUILD:-build}
mkdir -p "$out"
cflags=(-O2 -std=gnu11 -I. -Iinclude $(pkg-config --cflags openblas))
libs=("$build/libvtape.a" $(pkg-config --libs openblas sleef) -lpthread -lm)
if [[ -f /usr/include/oneapi/dnnl/dnnl.h ]]; then cflags+=(-DHAVE_DNNL); libs+=(-ldnnl); fi
blis=/usr/include/x86_64-linux-gnu/blis-openmp
if [[ -f $blis/blis.h ]]; then
  cflags+=(-DHAVE_BLIS -I"$blis")
  libs+=(/usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4 -fopenmp)
fi
if [[ -f /usr/include/libxsmm.h ]]; then cflags+=(-DHAVE_XSMM); libs+=(-lxsmmext -lxsmm -fopenmp -lm -ldl); fi
gcc "${cflags[@]}" -o "$out/gemm_libs" benchmarks/gemm_libs/gemm_libs.c "${libs[@]}"
for t in ${THREADS:-1 2}; do
  for b in ${BATCHES:-32 128 512}; do
    env OMP_NUM_THREADS="$t" BLIS_NUM_THREADS="$t" OMP_WAIT_POLICY=PASSIVE \
        "$out/gemm_libs" --batch "$b" --threads "$t" --reps "${REPS:-50}" | tee "$out/b$b-t$t.txt"
  done
done
