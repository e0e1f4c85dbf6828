#!/usr/bin/env bash
# Speed side by side, one job at a time, same model (784-512-256, latent 32, relu, Adam
# 1e-3, Bernoulli decoder, dynamic binarization), same batch size, each program with
# W warm-up steps and then R blocks of N timed steps; images/s is the median block:
#   vtape     benchmarks/bench_step.c
#   PyTorch   ../shared/bench/torch_vae.py --bench-steps ... --flush-denormal
#   LibTorch  benchmarks/peers/libtorch_vae.cpp (built here with g++ when Debian's
#             libtorch-dev is installed; skipped otherwise)
#   kann      benchmarks/peers/kann_vae.c built here against a kann checkout in KANN_DIR
#             (git clone https://github.com/attractivechaos/kann; r557 measured), twice:
#             kann's own GEMM with kann_mt threads, and kann with -DHAVE_CBLAS (OpenBLAS
#             threads); the faster of the two counts. Skipped when KANN_DIR is unset.
# plus benchmarks/fma_peak.c once per thread count, for the share of the FMA peak.
# Prints a Markdown table.
#
# Usage: bash benchmarks/compare_speed.sh [STEPS] [WARMUP] [REPEATS] [OUTDIR]
#   defaults 100 30 5 out/speed. Environment: VT_BUILD (build directory, default
#   build), BATCHES (default "32 128 512"), ROUNDS (times the whole sweep runs, default
#   3; the table gives the median over rounds and the range), SETTINGS ("2": two cores
#   only, the default; "all": also one core), KANN_DIR, KANN_MODES (default "kann
#   kanncblas"; one of them halves kann's time), PEERS (peer build directory, default
#   OUTDIR/peers), QUIET_LIMIT (see measure; a large value runs without waiting). Variables such as OPENBLAS_CORETYPE reach every program.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100}
warmup=${2:-30}
repeats=${3:-5}
out=${4:-out/speed}
build=${VT_BUILD:-build}
batches=${BATCHES:-32 128 512}
rounds=${ROUNDS:-3}
peers=${PEERS:-$out/peers}
torch=../shared/bench/torch_vae.py
py=/usr/bin/python3
mkdir -p "$out" "$peers"
if [[ ! -x "$build/bench_step" || ! -x "$build/fma_peak" ]]; then
  cmake -S . -B "$build" >/dev/null
  cmake --build "$build" --target bench_step fma_peak >/dev/null
fi

# Peers, built outside vtape's CMake build (CI needs neither libtorch nor kann).
have_libtorch=0
if [[ -f /usr/include/torch/csrc/api/include/torch/torch.h ]]; then
  if [[ ! -x "$peers/libtorch_vae" || benchmarks/peers/libtorch_vae.cpp -nt "$peers/libtorch_vae" ]]; then
    echo "building $peers/libtorch_vae (about a minute)" >&2
    g++ -O2 -std=c++17 -o "$peers/libtorch_vae" benchmarks/peers/libtorch_vae.cpp \
        -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10 -lz
  fi
  have_libtorch=1
else
  echo "LibTorch skipped: apt-get install libtorch-dev" >&2
fi
have_kann=0
if [[ -n "${KANN_DIR:-}" && -f "${KANN_DIR}/kann.c" ]]; then
  k=$KANN_DIR
  kflags=(-O2 -fno-math-errno -fvect-cost-model=dynamic -DHAVE_PTHREAD -I"$k")
  gcc "${kflags[@]}" -o "$peers/kann_vae" benchmarks/peers/kann_vae.c "$k/kann.c" \
      "$k/kautodiff.c" -lpthread -lz -lm
  gcc "${kflags[@]}" -DHAVE_CBLAS $(pkg-config --cflags openblas) -o "$peers/kann_vae_cblas" \
      benchmarks/peers/kann_vae.c "$k/kann.c" "$k/kautodiff.c" $(pkg-config --libs openblas) \
      -lpthread -lz -lm
  have_kann=1
else
  echo "kann skipped: git clone https://github.com/attractivechaos/kann and set KANN_DIR" >&2
fi

# Run a command, keep its output in $1.log, its peak RSS (KiB) in $1.rss and in
# $1.cpu the CPU that other processes used meanwhile (cores, from /proc/stat minus the
# command's own time). The machine may be shared: each job waits until the CPUs are
# idle, and a job during which others used more than QUIET_LIMIT cores (default 0.1)
# on average is run again, up to 5 times; the last try counts.
measure() {
  "$py" - "$@" <<'PY' || { echo "failed: ${*:2} (see $1.log)" >&2; exit 1; }
import os, resource, subprocess, sys, time
base, cmd = sys.argv[1], sys.argv[2:]
limit = float(os.environ.get("QUIET_LIMIT", "0.1"))
hz = os.sysconf("SC_CLK_TCK")
def busy():   # jiffies not idle or iowait, all CPUs
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / hz
def cpu(r):
    return r.ru_utime + r.ru_stime
for attempt in range(1, 6):
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:   # wait for idle CPUs
        b = busy(); time.sleep(1)
        if busy() - b < limit: break
    b0, c0, t0 = busy(), cpu(resource.getrusage(resource.RUSAGE_CHILDREN)), time.monotonic()
    with open(base + ".log", "w") as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    wall = time.monotonic() - t0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    foreign = max(0.0, (busy() - b0 - (cpu(r) - c0)) / wall)
    if rc != 0: sys.exit(rc)
    if foreign <= limit: break
    print(f"{base}: others used {foreign:.2f} cores during try {attempt}; again", file=sys.stderr)
with open(base + ".rss", "w") as f: f.write(f"{r.ru_maxrss}\n")
with open(base + ".cpu", "w") as f: f.write(f"{foreign:.3f} {attempt}\n")
PY
}

# setting: label, vtape --threads, vtape --blas-threads, peers' threads
if [[ "${SETTINGS:-2}" == all ]]; then
  settings=("1 core|1|1|1" "2 cores|2|2|2")
else
  settings=("2 cores|2|2|2")
fi

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
       "(family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')," \
       "model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ');" \
       "$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f' | tr '\n' ' '))"
  echo "openblas: $(dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' 'libopenblas0*' 2>/dev/null | awk '$1 == "ii" {printf "%s %s  ", $2, $3}')"
  echo "OpenBLAS environment: $(env | grep '^OPENBLAS_' | sort | tr '\n' ' ')"
  echo "vtape build: $build, $(grep -E '^CMAKE_(BUILD_TYPE|C_FLAGS):' "$build/CMakeCache.txt" | tr '\n' ' ')"
  echo "torch: $("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null); libtorch: $have_libtorch; kann: ${KANN_DIR:-none}"
  echo "steps $steps, warmup $warmup, repeats $repeats, batches $batches, rounds $rounds"
} | tee "$out/machine.txt"

for i in "${!settings[@]}"; do
  IFS='|' read -r label vt bl tt <<< "${settings[$i]}"
  measure "$out/fma-s$i" "$build/fma_peak" --threads "$vt"
done

for ((r = 1; r <= rounds; r++)); do
  for batch in $batches; do
    for i in "${!settings[@]}"; do
      IFS='|' read -r label vt bl tt <<< "${settings[$i]}"
      tag="b$batch-r$r-s$i"
      bench=(--bench-steps "$steps" --bench-warmup "$warmup" --bench-repeats "$repeats" --batch "$batch")
      jobs=(vtape torch)
      if ((have_libtorch)); then jobs+=(libtorch); fi
      if ((have_kann)); then jobs+=(${KANN_MODES:-kann kanncblas}); fi
      if ((r % 2 == 0)); then jobs=($(printf '%s\n' "${jobs[@]}" | tac)); fi   # alternate order
      for j in "${jobs[@]}"; do
        case $j in
          vtape) measure "$out/vtape-$tag" "$build/bench_step" --steps "$steps" --warmup "$warmup" \
                     --repeats "$repeats" --batch "$batch" --threads "$vt" --blas-threads "$bl" \
                     --json "$out/vtape-$tag.json" ;;
          torch) measure "$out/torch-$tag" "$py" "$torch" "${bench[@]}" --threads "$tt" \
                     --flush-denormal --json "$out/torch-$tag.json" ;;
          libtorch) measure "$out/libtorch-$tag" env OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$tt" \
                     OPENBLAS_NUM_THREADS="$tt" "$peers/libtorch_vae" "${bench[@]}" \
                     --threads "$tt" --flush-denormal --json "$out/libtorch-$tag.json" ;;
          kann) measure "$out/kann-$tag" env OPENBLAS_NUM_THREADS=1 "$peers/kann_vae" \
                     "${bench[@]}" --threads "$tt" --json "$out/kann-$tag.json" ;;
          kanncblas) measure "$out/kanncblas-$tag" env OPENBLAS_NUM_THREADS="$tt" \
                     "$peers/kann_vae_cblas" "${bench[@]}" --threads 1 \
                     --json "$out/kanncblas-$tag.json" ;;
        esac
      done
      echo "done: round $r, batch $batch, $label" >&2
    done
  done
done

"$py" benchmarks/compare_table.py "$out" "$rounds" "$batches" "${settings[@]}" | tee "$out/table.md"
