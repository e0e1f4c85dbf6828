"""Markdown tables of benchmarks/latent_quality.sh results over seeds.

    /usr/bin/python3 benchmarks/latent_table.py OUT_SEED0 [OUT_SEED1 ...]

Each OUT is one latent_quality.sh output directory (one seed). Prints, per model, the
test NELBO and IS -log p(x) of every seed, their means, and the difference of the
means from the plain VAE's; then seed 0's wall times."""
import json
import os
import sys

ORDER = ["vae", "hvae", "hvae-td", "vamp", "iaf", "gumbel"]
NAMES = {
    "vae": "VAE (baseline)",
    "hvae": "2-level HVAE, bottom-up (z1 32, z2 16)",
    "hvae-td": "2-level HVAE, top-down (z1 32, z2 16)",
    "vamp": "VAE + VampPrior (K = 50)",
    "iaf": "VAE + IAF (L = 4, context 32; base-kl)",
    "gumbel": "Gumbel-softmax VAE (30 x 10; discrete ELBO)",
}


def load(out, model):
    path = os.path.join(out, model, "final.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        d = json.load(f)
    wall = os.path.join(out, model + ".wall")
    if os.path.exists(wall):
        with open(wall) as f:
            d["wall_ms"] = int(f.read().split()[0])
    return d


def mean(v):
    return sum(v) / len(v)


outs = sys.argv[1:] or ["out/latent"]
runs = {m: [load(o, m) for o in outs] for m in ORDER}
runs = {m: [r for r in rs if r] for m, rs in runs.items()}
base = runs.get("vae") or []
base_n = mean([r["test_nelbo"] for r in base]) if base else None
base_i = mean([r["iw_nll"] for r in base]) if base else None

seeds = " | ".join(f"seed {i}" for i in range(len(outs)))
print(f"| model | test NELBO: {seeds} | mean | Δ vs VAE | IS −log p(x): {seeds} | mean | Δ vs VAE |")
print("|---|" + "---:|" * (2 * len(outs) + 4))
for m in ORDER:
    rs = runs[m]
    if not rs:
        continue
    n = [r["test_nelbo"] for r in rs]
    i = [r["iw_nll"] for r in rs]
    pad = ["–"] * (len(outs) - len(rs))
    dn = f"{mean(n) - base_n:+.2f}" if base_n is not None and m != "vae" else ""
    di = f"{mean(i) - base_i:+.2f}" if base_i is not None and m != "vae" else ""
    cells_n = " | ".join([f"{x:.2f}" for x in n] + pad)
    cells_i = " | ".join([f"{x:.2f}" for x in i] + pad)
    print(f"| {NAMES[m]} | {cells_n} | {mean(n):.2f} | {dn} | {cells_i} | {mean(i):.2f} | {di} |")

print()
print("| model (seed 0) | KL | ±SE of IS | training s | IS s | wall s |")
print("|---|---:|---:|---:|---:|---:|")
for m in ORDER:
    rs = runs[m]
    if not rs:
        continue
    r = rs[0]
    wall = r.get("wall_ms", 0) / 1000.0
    print(f"| {NAMES[m]} | {r['test_kl']:.2f} | {r['iw_nll_sem']:.2f} | {r['train_seconds']:.1f} "
          f"| {r['iw_seconds']:.1f} | {wall:.1f} |")
