#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang) for the IDX, gzip, checkpoint, NPY and CSV readers, replay
# the kept regression inputs, then fuzz each target for a bounded time and print its
# execution count. A crash fails the run; keep the input it wrote as a regression:
#   cp <work>/crash-<target>-* tests/fuzz/regress/<target>/
# Usage: bash tests/fuzz/run.sh [seconds per target (20)] [work dir (build-fuzz)]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
work=${2:-build-fuzz}
if ! command -v clang >/dev/null; then
  echo "fuzz: clang is not installed; skipped"
  exit 0
fi
mkdir -p "$work/obj"
san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
read -r -a deps <<<"$(pkg-config --cflags zlib openblas sleef)"
cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I. -g -O1 -fno-omit-frame-pointer "${deps[@]}")
read -r -a libs <<<"$(pkg-config --libs zlib)"
libs+=(-lm -lpthread)

# The readers and what they call, instrumented for coverage; rebuilt only when changed.
objs=()
for src in core/*.c io/*.c data/*.c optim/*.c; do
  obj="$work/obj/$(echo "$src" | tr / _).o"
  if [[ ! -f "$obj" || "$src" -nt "$obj" || -n "$(find include io/*.h data/*.h core/*.h -newer "$obj" 2>/dev/null | head -1)" ]]; then
    clang "${cflags[@]}" "${san[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done

clang "${cflags[@]}" "${san[@]}" tests/fuzz/make_seeds.c "${objs[@]}" "${libs[@]}" -o "$work/make_seeds"
status=0
for t in idx gzip checkpoint npy csv; do
  clang "${cflags[@]}" "${san[@]}" -fsanitize=fuzzer "tests/fuzz/fuzz_$t.c" "${objs[@]}" \
        "${libs[@]}" -o "$work/fuzz_$t"
  rm -rf "$work/corpus/$t" && mkdir -p "$work/corpus/$t"
done
"$work/make_seeds" "$work/corpus"
opts=(-malloc_limit_mb=256 -rss_limit_mb=1024 -timeout=10 -print_final_stats=1)
for t in idx gzip checkpoint npy csv; do
  mapfile -t kept < <(find "tests/fuzz/regress/$t" -type f ! -name '.*' 2>/dev/null)
  if ((${#kept[@]})); then
    "$work/fuzz_$t" "${opts[@]}" "${kept[@]}" >"$work/regress-$t.log" 2>&1 ||
      { echo "fuzz $t: a kept regression input fails again:"; tail -30 "$work/regress-$t.log"; status=1; }
  fi
  log="$work/fuzz-$t.log"
  if "$work/fuzz_$t" "${opts[@]}" -max_total_time="$secs" -artifact_prefix="$work/crash-$t-" \
       "$work/corpus/$t" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz $t: $runs executions in ${secs}s, no crash (${#kept[@]} regression inputs replayed)"
  else
    echo "fuzz $t: CRASH; keep the input: cp $work/crash-$t-* tests/fuzz/regress/$t/"
    grep -A25 'ERROR\|==ERROR\|runtime error' "$log" | head -40
    status=1
  fi
done
exit $status
