"""Markdown table of benchmarks/quality.sh results: vtape beside torch_vae.py."""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "out/quality"


def wall(name):
    with open(os.path.join(out, name + ".wall")) as f:
        return int(f.read()) / 1000.0


print("| model | impl | test NELBO | IS −log p(x), K=1000 (±SE) | train s | img/s | wall s |")
print("|---|---|---:|---:|---:|---:|---:|")
for model in ["vae", "cvae", "beta-vae"]:
    t = json.load(open(os.path.join(out, f"torch-{model}.json")))
    f = t["final"]
    ips = sum(e["images_per_s"] for e in t["epochs"]) / len(t["epochs"])
    print(f"| {model} | PyTorch | {f['test_nelbo_10k']:.2f} | {f['iw_nll']:.2f} ± {f['iw_nll_sem']:.2f}"
          f" | {f['train_time_s']:.1f} | {ips:.0f} | {wall('torch-' + model):.1f} |")
    v = json.load(open(os.path.join(out, f"vtape-{model}", "final.json")))
    print(f"| {model} | vtape | {v['test_nelbo']:.2f} | {v['iw_nll']:.2f} ± {v['iw_nll_sem']:.2f}"
          f" | {v['train_seconds']:.1f} | {v['images_per_s']:.0f} | {wall('vtape-' + model):.1f} |")
