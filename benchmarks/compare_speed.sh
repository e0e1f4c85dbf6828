#!/usr/bin/env bash
# Speed side by side: benchmarks/bench_step.c and ../shared/bench/torch_vae.py
# --bench-steps time training steps of the same model (784-512-256, latent 32, relu,
# Adam 1e-3, Bernoulli decoder, dynamic binarization) at the same batch size, each
# with W warm-up steps and then R blocks of N timed steps; images/s is the median
# block. One job at a time, for each thread setting below. Prints a Markdown table.
#
# Usage: bash benchmarks/compare_speed.sh [STEPS] [WARMUP] [REPEATS] [OUTDIR]
#   defaults 100 30 5 out/speed. Environment: VT_BUILD (build directory, default
#   build), BATCH (default 128), ROUNDS (times the whole sweep runs, default 3; the
#   table gives the median over rounds and the range). Variables such as
#   OPENBLAS_CORETYPE reach both programs, which use the same OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100}
warmup=${2:-30}
repeats=${3:-5}
out=${4:-out/speed}
build=${VT_BUILD:-build}
batch=${BATCH:-128}
rounds=${ROUNDS:-3}
torch=../shared/bench/torch_vae.py
py=/usr/bin/python3
mkdir -p "$out"
if [[ ! -x "$build/bench_step" ]]; then
  cmake -S . -B "$build" >/dev/null
  cmake --build "$build" --target bench_step >/dev/null
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

# setting: label, vtape --threads, vtape --blas-threads, torch --threads
settings=(
  "1 core|1|1|1"
  "2 cores|1|2|2"
  "2 cores, vtape pool 2|2|2|2"
)

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
       "(family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')," \
       "model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ');" \
       "$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f' | tr '\n' ' '))"
  echo "openblas: $(dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' 'libopenblas0*' 2>/dev/null | awk '$1 == "ii" {printf "%s %s  ", $2, $3}')"
  echo "OpenBLAS environment: $(env | grep '^OPENBLAS_' | sort | tr '\n' ' ')"
  echo "vtape build: $build, $(grep -E '^CMAKE_(BUILD_TYPE|C_FLAGS):' "$build/CMakeCache.txt" | tr '\n' ' ')"
  echo "torch: $("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
  echo "steps $steps, warmup $warmup, repeats $repeats, batch $batch, rounds $rounds"
} | tee "$out/machine.txt"

for ((r = 1; r <= rounds; r++)); do
  for i in "${!settings[@]}"; do
    IFS='|' read -r label vt bl tt <<< "${settings[$i]}"
    tag="r$r-s$i"
    run_vtape() {
      measure "$out/vtape-$tag" "$build/bench_step" --steps "$steps" --warmup "$warmup" \
          --repeats "$repeats" --batch "$batch" --threads "$vt" --blas-threads "$bl" \
          --json "$out/vtape-$tag.json"
    }
    run_torch() {
      measure "$out/torch-$tag" "$py" "$torch" --bench-steps "$steps" --bench-warmup "$warmup" \
          --bench-repeats "$repeats" --batch "$batch" --threads "$tt" --json "$out/torch-$tag.json"
    }
    if ((r % 2)); then run_vtape; run_torch; else run_torch; run_vtape; fi   # alternate order
    echo "done: round $r, $label" >&2
  done
done

"$py" - "$out" "$rounds" "${settings[@]}" <<'EOF'
import json, statistics, sys
out, rounds, settings = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def load(impl, r, i):
    base = f"{out}/{impl}-r{r}-s{i}"
    with open(base + ".json") as f:
        j = json.load(f)
    with open(base + ".rss") as f:
        j["rss_mib"] = int(f.read()) / 1024
    with open(base + ".cpu") as f:
        j["foreign"], j["tries"] = (float(x) for x in f.read().split())
    return j
def mid(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
def rng(v):
    return f" ({min(v):.0f}–{max(v):.0f})" if len(v) > 1 else ""
print("| setting | vtape threads / BLAS | torch threads | vtape img/s | PyTorch img/s "
      "| vtape / PyTorch | vtape ms/step | vtape GEMM share | vtape heap calls/step "
      "| peak RSS vtape / torch (MiB) |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
for i, s in enumerate(settings):
    label, vt, bl, tt = s.split("|")
    runs = [(load("vtape", r, i), load("torch", r, i)) for r in range(1, rounds + 1)]
    vi = [v["images_per_s_median"] for v, t in runs]
    ti = [t["bench"]["images_per_s_median"] for v, t in runs]
    ratio = [a / b for a, b in zip(vi, ti)]
    ms = mid([v["ms_per_step_median"] for v, t in runs])
    share = mid([v["gemm_share"] for v, t in runs])
    heap = max(v["heap_calls_per_step"] for v, t in runs)
    rss_v = max(v["rss_mib"] for v, t in runs)
    rss_t = max(t["rss_mib"] for v, t in runs)
    print(f"| {label} | {vt} / {bl} | {tt} | {mid(vi):.0f}{rng(vi)} | {mid(ti):.0f}{rng(ti)} "
          f"| {mid(ratio):.2f}{'' if rounds == 1 else f' ({min(ratio):.2f}–{max(ratio):.2f})'} "
          f"| {ms:.2f} | {100 * share:.1f} % | {heap:g} | {rss_v:.0f} / {rss_t:.0f} |")
allruns = [load(m, r, i) for m in ("vtape", "torch") for r in range(1, rounds + 1)
           for i in range(len(settings))]
print(f"\nOther processes used at most {max(j['foreign'] for j in allruns):.2f} cores during a "
      f"counted run; {sum(j['tries'] > 1 for j in allruns)} of {len(allruns)} runs were repeated "
      "because others were busy.")
if rounds > 1:
    print(f"images/s: median over {rounds} rounds (range); each run's figure is the median "
          "of its timed blocks. Ratio: median of the per-round ratios.")
EOF
