#!/usr/bin/env python
"""Plot a results file: time per example vs batch size, log-log, one line per method.

    python benches/plot.py benches/results/cpu-2025-01-01.json   # -> cpu-2025-01-01.png beside it
    python benches/plot.py RESULTS.json -o OUT.png
    python benches/plot.py RESULTS.json --table                  # print medians and ratios only

One panel per model.  Only measured points are drawn (each point is the median
of one benchmark in the file); a method that was skipped at some size simply
has no point there.  Needs matplotlib (`pip install gvmap[bench]`), imported
only when plotting.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchenv  # noqa: E402

STYLE = {  # method -> (colour, marker, line style)
    "loop": ("tab:gray", "x", ":"),
    "hand-numpy": ("tab:blue", "o", "--"),
    "gvmap-numpy": ("tab:blue", "s", "-"),
    "hand-cupy": ("tab:green", "o", "--"),
    "gvmap-cupy": ("tab:green", "s", "-"),
    "gvmap-cupy-rows": ("tab:purple", "D", "-"),
    "jax": ("tab:orange", "^", "-."),
    "torch": ("tab:red", "v", "-."),
}


def plot(path, out=None):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise SystemExit(f"plot.py needs matplotlib ({e}); pip install 'gvmap[bench]' "
                         "or pip install matplotlib") from None

    with open(path) as f:
        results = json.load(f)
    meds = benchenv.medians(results)
    if not meds:
        raise SystemExit(f"{path}: no gvmap benchmarks in this file")
    models = []
    for model, _ in sorted(meds, key=lambda k: k[1]):
        if model not in models:
            models.append(model)
    order = {m: i for i, m in enumerate(["seed", "wide", "chain", "mlp", "pairwise", "solve3", "inv4"])}
    models.sort(key=lambda m: order.get(m, 99))

    descr = {}
    for b in results.get("benchmarks", []):
        info = b.get("extra_info", {})
        if "model" in info:
            descr.setdefault(info["model"], info.get("model_description", ""))

    ncols = min(3, len(models))
    nrows = math.ceil(len(models) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(7.0, 5.2 * ncols), 4.2 * nrows + 0.6), squeeze=False)
    for ax in axes.flat[len(models):]:
        ax.set_visible(False)
    for ax, model in zip(axes.flat, models):
        methods = sorted({m for (mo, _), d in meds.items() if mo == model for m in d},
                         key=lambda m: list(benchenv.METHODS).index(m)
                         if m in benchenv.METHODS else 99)
        for method in methods:
            pts = sorted((n, d[method] / n) for (mo, n), d in meds.items()
                         if mo == model and method in d)
            if not pts:
                continue
            colour, marker, ls = STYLE.get(method, (None, "o", "-"))
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, linestyle=ls,
                    color=colour, label=method)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch size n")
        ax.set_ylabel("median time per example (s)")
        ax.set_title(f"{model}\n{descr.get(model, '')}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)

    meta = results.get("gvmap_bench", {})
    gpu = (meta.get("gpu") or {}).get("name")
    cpu = (meta.get("cpu") or {}).get("model")
    rev = ((meta.get("git") or {}).get("revision") or "")[:10]
    smoke = " SMOKE RUN (tiny sizes, 2 rounds)" if (meta.get("settings") or {}).get("smoke") else ""
    busy = benchenv.contention(results)
    busy_txt = (f"\nother processes kept up to {max(busy.values()):.2f} cores busy"
                if busy else "")
    fig.suptitle(f"gvmap benches: {gpu or cpu or meta.get('device', '?')}, "
                 f"{meta.get('date', '')}, git {rev}{smoke}{busy_txt}", fontsize=10)
    fig.tight_layout()
    out = out or os.path.splitext(path)[0] + ".png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="a results JSON written by benches/run.py")
    p.add_argument("-o", "--out", help="PNG path (default: beside the JSON, same name)")
    p.add_argument("--table", action="store_true", help="print medians and ratios, no plot")
    args = p.parse_args(argv)
    if args.table:
        with open(args.results) as f:
            results = json.load(f)
        print(benchenv.format_summary(benchenv.summary(results)))
        return 0
    print(plot(args.results, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
