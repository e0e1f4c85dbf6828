"""The Markdown table of benchmarks/compare_speed.sh, from the JSON files of its runs.

Usage: compare_table.py OUTDIR ROUNDS "BATCHES" SETTING...   (as compare_speed.sh calls it)
"""
import json
import os
import re
import sys


def load(out, impl, tag):
    base = f"{out}/{impl}-{tag}"
    if not os.path.exists(base + ".json"):
        return None
    with open(base + ".json") as f:
        j = json.load(f)
    j.setdefault("bench", j)   # vtape's bench_step writes its figures at the top level
    with open(base + ".cpu") as f:
        j["foreign"], j["tries"] = (float(x) for x in f.read().split())
    return j


def ips(j):
    return j["bench"]["images_per_s_median"] if j else None


def mid(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def cell(v, fmt="{:.0f}"):
    v = [x for x in v if x is not None]
    if not v:
        return "–"
    s = fmt.format(mid(v))
    return s + (f" ({fmt.format(min(v))}–{fmt.format(max(v))})" if len(v) > 1 else "")


def peak_gflops(path):
    txt = open(path).read()
    m = re.search(r"avx512 fma peak.*?: (\d+)", txt) or re.search(r"avx2 +fma peak.*?: (\d+)", txt)
    return float(m.group(1))


def main():
    out, rounds, batches, settings = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
    peak = {i: peak_gflops(f"{out}/fma-s{i}.log") for i in range(len(settings))}
    print("| batch | setting | vtape img/s | PyTorch img/s | LibTorch img/s | kann img/s "
          "| vtape / PyTorch | vtape / LibTorch | vtape / kann | vtape ms/step | GEMM share "
          "| FMA peak GFLOP/s | vtape % of peak | heap calls/step |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    allruns = []
    for b in batches:
        for i, s in enumerate(settings):
            label = s.split("|")[0]
            rows = []
            for r in range(1, rounds + 1):
                tag = f"b{b}-r{r}-s{i}"
                v, t, lt = (load(out, x, tag) for x in ("vtape", "torch", "libtorch"))
                k1, k2 = load(out, "kann", tag), load(out, "kanncblas", tag)
                ks = [x for x in (ips(k1), ips(k2)) if x]
                rows.append((v, ips(v), ips(t), ips(lt), max(ks) if ks else None))
                allruns += [x for x in (v, t, lt, k1, k2) if x]
            col = lambda k: [row[k] for row in rows]
            ratio = lambda k: [row[1] / row[k] if row[k] else None for row in rows]
            vt = [row[0] for row in rows]
            # The step's FLOPs are its GEMMs' (element-wise work adds well under 1 %).
            fl = [j["gemm_flop_per_step"] * j["images_per_s_median"] / int(b) / 1e9 for j in vt]
            print(f"| {b} | {label} | {cell(col(1))} | {cell(col(2))} | {cell(col(3))} "
                  f"| {cell(col(4))} | {cell(ratio(2), '{:.2f}')} | {cell(ratio(3), '{:.2f}')} "
                  f"| {cell(ratio(4), '{:.2f}')} | {mid([j['ms_per_step_median'] for j in vt]):.2f} "
                  f"| {100 * mid([j['gemm_share'] for j in vt]):.0f} % | {peak[i]:.0f} "
                  f"| {cell([100 * f / peak[i] for f in fl])} % "
                  f"| {max(j['heap_calls_per_step'] for j in vt):g} |")
    print(f"\nOther processes used at most {max(j['foreign'] for j in allruns):.2f} cores during a "
          f"counted run; {sum(j['tries'] > 1 for j in allruns)} of {len(allruns)} runs were "
          "repeated because others were busy.")
    print(f"images/s: median over {rounds} rounds (range); each run's figure is the median of "
          "its timed blocks. Ratios: median of the per-round ratios. kann: the faster of its "
          "own GEMM with kann_mt threads and its CBLAS build on OpenBLAS threads. % of peak: "
          "the step's GEMM FLOPs per second over benchmarks/fma_peak's figure for the same "
          "thread count.")


if __name__ == "__main__":
    main()
