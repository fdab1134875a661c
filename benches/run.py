#!/usr/bin/env python
"""Run the gvmap benchmark suite and write benches/results/<device>-<date>.json.

    python benches/run.py                      # full suite -> benches/results/<device>-<date>.json
    python benches/run.py --plot               # ... and the PNG beside it
    python benches/run.py --smoke              # CI: tiny sizes, 2 rounds, JSON to a temp dir
    python benches/run.py --models seed --sizes 4,1e4,1e5,1e6 --plot
    python benches/run.py -- -k "seed and gvmap"   # anything after -- goes to pytest

Works from a source tree (the repository root is put on PYTHONPATH, nothing
needs installing but numpy, pytest and pytest-benchmark).  The JSON is
pytest-benchmark's, plus a "gvmap_bench" entry with device, driver,
CUDA/CuPy/NumPy/JAX/PyTorch versions, the git revision, BLAS environment
variables, the settings, and per (model, n) the medians and their ratios.
The environment is passed on unchanged (OPENBLAS_* and friends are recorded,
not altered).  Exit status: pytest's.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchenv  # noqa: E402


def _free_name(out_dir, stem):
    path = os.path.join(out_dir, stem + ".json")
    k = 2
    while os.path.exists(path):  # never overwrite a measured run
        path = os.path.join(out_dir, f"{stem}-{k}.json")
        k += 1
    return path


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true",
                   help="tiny sizes and 2 rounds (what CI runs); JSON goes to a temp dir "
                        "unless --out is given")
    p.add_argument("--out", metavar="DIR", help="folder of the results file "
                   "(default benches/results, or a temp dir with --smoke)")
    p.add_argument("--name", help="file name stem (default <device>-<date>[-smoke])")
    p.add_argument("--models", help="comma list: seed,wide,chain,mlp,pairwise,median,solve3,inv4,conv5 (default all)")
    p.add_argument("--methods", help="comma list of " + ",".join(benchenv.METHODS)
                   + " (default all; unusable ones skip)")
    p.add_argument("--sizes", help="comma list of batch sizes for every method, e.g. 4,1e4,1e5 "
                   "(default: 4,1e2..1e6 on the host, 4,1e2..1e8 on the GPU)")
    p.add_argument("--loop-max", help="largest n for the Python loop (default 1e4)")
    p.add_argument("--plot", action="store_true", help="also write the PNG (needs matplotlib)")
    p.add_argument("--keep-data", action="store_true",
                   help="keep pytest-benchmark's per-round timings in the JSON (large)")
    args = p.parse_args(argv)

    out_dir = args.out or (tempfile.mkdtemp(prefix="gvmap-bench-smoke-") if args.smoke
                           else os.path.join(HERE, "results"))
    os.makedirs(out_dir, exist_ok=True)
    stem = args.name or "{}-{}{}".format(benchenv.device_slug(), datetime.date.today().isoformat(),
                                         "-smoke" if args.smoke else "")
    path = os.path.abspath(_free_name(out_dir, stem))

    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for opt, var in [("models", "GVMAP_BENCH_MODELS"), ("methods", "GVMAP_BENCH_METHODS"),
                     ("sizes", "GVMAP_BENCH_SIZES"), ("loop_max", "GVMAP_BENCH_LOOP_MAX")]:
        if getattr(args, opt):
            env[var] = getattr(args, opt)
    if args.smoke:
        env["GVMAP_BENCH_SMOKE"] = "1"
    if args.keep_data:
        env["GVMAP_BENCH_KEEP_DATA"] = "1"

    cmd = [
        sys.executable, "-m", "pytest", os.path.join(HERE, "bench_models.py"),
        "--benchmark-json=" + path,
        "--benchmark-columns=median,min,mean,stddev,rounds,iterations",
        "--benchmark-sort=name",
        *extra,
    ]
    print("+", " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=REPO, env=env)

    if not os.path.exists(path):
        print(f"run.py: pytest exited {rc} and wrote no results file", file=sys.stderr)
        return rc or 1
    with open(path) as f:
        results = json.load(f)
    print(f"\nresults: {path}")
    rows = results.get("gvmap_bench", {}).get("summary") or benchenv.summary(results)
    print(benchenv.format_summary(rows))
    if rc != 0:
        print(f"run.py: pytest exited {rc}: some benchmarks failed; the file holds only "
              "those that ran", file=sys.stderr)

    want_plot = args.plot
    if args.smoke and not want_plot:
        try:  # keep plot.py from rotting too, where matplotlib is installed
            import matplotlib  # noqa: F401

            want_plot = True
        except ImportError:
            print("smoke: matplotlib not installed, plot step skipped")
    if want_plot:
        import plot

        png = plot.plot(path)
        print(f"plot: {png}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
