#!/usr/bin/env python
"""Verify gvmap on a GPU machine in one command, offline, from the source tree.

    PYTHONPATH=. python benches/gpu_check.py --out DIR            # tests on CuPy + the seed
    PYTHONPATH=. python benches/gpu_check.py --out DIR --bench    # ... and the benchmarks

Uses what the machine already has (CuPy, NumPy, pytest, hypothesis; no pip install):
runs the whole test suite with ``GVMAP_BACKEND=cupy``, runs ``python -m gvmap``, and writes
``DIR/gpu_check.json``: device, driver and CUDA versions, library versions, date, git
revision, pass/fail/skip counts, the failing tests, and the raw output. With ``--bench`` it
also runs ``benches/run.py --out DIR`` (the JSON of the benchmark suite lands in DIR).
Exit status: non-zero when any test failed or the seed example did not run.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(cmd: list[str], env: dict, timeout: int) -> tuple[int, str]:
    try:
        p = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out + f"\n[timed out after {timeout} s]"


def _versions() -> dict:
    info: dict = {"python": sys.version.split()[0]}
    for mod in ("numpy", "cupy", "jax", "torch", "pytest", "hypothesis"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception as e:  # not installed, or broken: say which
            info[mod] = f"unavailable ({type(e).__name__})"
    try:
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        info["device"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        info["driver"] = cupy.cuda.runtime.driverGetVersion()
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    except Exception as e:
        info["device"] = f"none ({type(e).__name__}: {e})"
    try:
        info["git_revision"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO,
                                              capture_output=True, text=True).stdout.strip()
    except OSError:
        info["git_revision"] = "unknown"
    return info


def _junit_counts(path: str) -> dict:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    counts = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
    counts["failed_tests"] = [f"{c.get('classname')}::{c.get('name')}"
                              for s in suites for c in s.iter("testcase")
                              if c.find("failure") is not None or c.find("error") is not None]
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for gpu_check.json (and bench JSON)")
    parser.add_argument("--bench", action="store_true", help="also run the benchmark suite")
    parser.add_argument("--test-timeout", type=int, default=420)
    parser.add_argument("--workers", type=int, default=8,
                        help="pytest-xdist workers where xdist is installed (kernel compiles "
                             "dominate a cold GPU run; they parallelise across processes)")
    parser.add_argument("--bench-args", default="--sizes 4,1e4,1e6,1e7,1e8",
                        help="arguments for benches/run.py (default: five sizes, so a device "
                             "session's few minutes cover every model and method)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               GVMAP_BACKEND="cupy", PYTHONUNBUFFERED="1")
    summary: dict = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                     **_versions()}

    junit = os.path.join(args.out, "junit.xml")
    parallel = []
    if args.workers > 1:
        try:
            import xdist  # noqa: F401
            parallel = ["-n", str(args.workers)]
        except ImportError:
            pass
    rc, out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *parallel,
                    f"--junitxml={junit}", "tests"], env, args.test_timeout)
    summary["tests"] = {"exit_code": rc, "workers": int(parallel[1]) if parallel else 1,
                        "output_tail": out[-6000:]}
    if os.path.exists(junit):
        summary["tests"].update(_junit_counts(junit))
    final = [line for line in out.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    summary["tests"]["summary_line"] = final[-1] if final else ""

    rc_seed, out_seed = _run([sys.executable, "-m", "gvmap"], env, 120)
    summary["seed"] = {"exit_code": rc_seed, "output": out_seed[-4000:]}

    if args.bench:
        bench_cmd = [sys.executable, os.path.join("benches", "run.py"), "--out", args.out]
        bench_cmd += args.bench_args.split()
        rc_bench, out_bench = _run(bench_cmd, dict(env, GVMAP_BACKEND="auto"), 3600)
        summary["bench"] = {"exit_code": rc_bench, "output_tail": out_bench[-6000:]}

    path = os.path.join(args.out, "gpu_check.json")
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)
    print(summary["tests"].get("summary_line", ""), "| seed exit", rc_seed, "| wrote", path)
    return 0 if rc == 0 and rc_seed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
