#!/usr/bin/env python
"""Verify gvmap on a GPU machine in one command, offline, from the source tree.

    PYTHONPATH=. python benches/gpu_check.py --out DIR --quick    # all four phases in 330 s
    PYTHONPATH=. python benches/gpu_check.py --out DIR            # tests on CuPy + the seed
    PYTHONPATH=. python benches/gpu_check.py --out DIR --bench    # ... and the full benchmarks

Uses what the machine already has (CuPy, NumPy, pytest, pytest-xdist, hypothesis; no pip
install). Phases, in order:

  env    device, driver, CUDA and library versions, git revision (a CuPy launch must work)
  tests  the whole suite with ``GVMAP_BACKEND=cupy``, on pytest-xdist workers where installed,
         the files reaching CuPy-only code first (``FIRST_TEST_FILES``)
  seed   ``python -m gvmap`` (the walkthrough) on CuPy
  bench  ``benches/run.py --out DIR`` (with --bench or --quick; its JSON lands in DIR)

``DIR/gpu_check.json`` is rewritten when each phase starts and ends, so a run cut short keeps
every phase before the cut; each phase's whole output streams to ``DIR/<phase>.log``. A phase
that runs past its time limit is interrupted as Ctrl-C would (pytest still prints its summary
and writes what it has), then killed. With a budget (``--budget``, 330 s under --quick) each
phase gets the time left minus a reserve for the phases after it. One line is printed per
phase. Exit status: 0 only when every phase passed (a failed benchmark fails the check).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from typing import Callable

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHASES = ("env", "tests", "seed", "bench")
QUICK_BUDGET_S = 330  # under the 6 minutes --quick promises, with room to start and copy back
# Longest a phase may run when the budget leaves more (tests: --test-timeout).
CAP_S = {"env": 60, "tests": 420, "seed": 120, "bench": 3600}
# Kept back from the phases before these, when there is a budget: a cold seed compiles one
# kernel; one bench size per model (--quick) takes about 1-2 minutes with JAX and PyTorch.
RESERVE_S = {"seed": 30, "bench": 100}
MIN_PHASE_S = 30  # the least a phase squeezed by slow predecessors gets, budget permitting
GRACE_S = 15  # after the interrupt, for pytest to write its summary and junit
FULL_BENCH_ARGS = "--sizes 4,1e4,1e6,1e7,1e8"
# One size for every model and method; pytest-benchmark stops each after a quarter second.
QUICK_BENCH_ARGS = "--sizes 1e6 -- --benchmark-max-time=0.25"
TAIL = 6000
# The suite's files that reach CuPy-only code first (launchers, generated kernels, row
# kernels, scatters, sorting networks, checks, the primitive table), the rest after them in
# name order: a tests phase cut by its budget has then run what a first GPU run most needs.
FIRST_TEST_FILES = (
    "test_cupy_launcher", "test_backend_semantics", "test_fusion", "test_rowkernel",
    "test_rowkernel_linalg", "test_scatter", "test_sortnet", "test_sorting", "test_linalg",
    "test_bits_and_checks", "test_assertions", "test_pybuiltins", "test_output_aliasing",
    "test_memory", "test_cache_and_threads", "test_nesting", "test_edge_values",
    "test_random_programs", "test_primitives")
LIBRARIES = ("numpy", "jax", "jaxlib", "torch", "pytest", "pytest-xdist", "pytest-benchmark",
             "hypothesis")

# Run in a child, so that a hung driver is only a phase timing out and the checker itself
# holds no CUDA context while the tests and benchmarks run.
DEVICE_PROBE = r"""
import json
info = {}
try:
    import cupy
    info["cupy"] = cupy.__version__
    rt = cupy.cuda.runtime
    props = rt.getDeviceProperties(0)
    name = props["name"]
    info["device"] = name.decode() if isinstance(name, bytes) else name
    info["compute_capability"] = f"{props['major']}.{props['minor']}"
    info["device_memory_gib"] = round(props["totalGlobalMem"] / 2**30, 1)
    info["device_count"] = rt.getDeviceCount()
    info["driver"] = rt.driverGetVersion()
    info["cuda_runtime"] = rt.runtimeGetVersion()
    (cupy.arange(3) + 1).get()
except Exception as e:
    info["no_device"] = f"{type(e).__name__}: {e}"
print(json.dumps(info))
"""


class Terminated(BaseException):
    """SIGTERM arrived: stop the running phase, record it, exit (like KeyboardInterrupt)."""


def _raise_terminated(signum, frame):
    raise Terminated()


@dataclasses.dataclass
class Result:
    rc: int  # negative: killed by that signal
    output: str
    timed_out: bool


def _interruptible() -> None:
    """In the child, before exec: SIGINT at its default, so Python turns it into
    KeyboardInterrupt. A shell without job control starts a background command (``cmd &``,
    as a remote runner may) with SIGINT ignored, and an ignored signal stays ignored across
    exec: the interrupt below would go unanswered and the phase be killed mute."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run(cmd: list[str], env: dict, timeout: float, log_path: str) -> Result:
    """Run cmd in its own process group, its output streaming to log_path.

    Past ``timeout - grace`` the group gets SIGINT (pytest and its xdist workers stop and
    report, as on Ctrl-C), past ``timeout`` SIGKILL. The group is only signalled while its
    leader is unreaped, so its id cannot belong to anyone else.
    """
    grace = min(GRACE_S, timeout / 4)
    timed_out = False
    with open(log_path, "wb") as log:
        p = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, preexec_fn=_interruptible)
        try:
            try:
                p.wait(timeout=timeout - grace)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(p.pid, signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=grace)
        finally:
            if p.returncode is None:  # unanswered interrupt, or we were interrupted ourselves
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    with open(log_path, encoding="utf-8", errors="replace") as f:
        output = f.read()
    return Result(p.returncode, output, timed_out)


# ---------------------------------------------------------------------------------------
# reading what a phase printed
# ---------------------------------------------------------------------------------------
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")
COUNT_ORDER = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed", "deselected")


def pytest_counts(output: str) -> tuple[dict, str]:
    """(counts, line) from pytest's last summary line (``= 3 failed, 60 passed in 2.1s =``)."""
    for line in reversed(output.splitlines()):
        if re.search(r" in \d+(\.\d+)?s\b", line) and _COUNT.search(line):
            counts = {("errors" if kind.startswith("error") else kind): int(n)
                      for n, kind in _COUNT.findall(line)}
            return counts, line.strip(" =")
    return {}, ""


def format_counts(counts: dict) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in COUNT_ORDER if counts.get(k))


def junit_failures(path: str) -> list[str] | None:
    """Failing test ids from a junit file, or None when it is missing or cut off."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    return [f"{c.get('classname')}::{c.get('name')}" for c in root.iter("testcase")
            if c.find("failure") is not None or c.find("error") is not None]


def output_failures(output: str) -> list[str]:
    """Failing test ids from pytest's short summary (``FAILED tests/x.py::t - ...``)."""
    return re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)


def _library_versions() -> dict:
    versions = {}
    for dist in LIBRARIES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def _git_revision() -> str:
    try:
        p = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                           text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return p.stdout.strip() if p.returncode == 0 else "unknown (no git history here)"


# ---------------------------------------------------------------------------------------
# per-phase fields: status, the printed line, what the JSON keeps
# ---------------------------------------------------------------------------------------
def _status(res: Result, ok: bool = True) -> str:
    if res.timed_out:
        return "timed out"
    return "passed" if res.rc == 0 and ok else "failed"


def env_fields(res: Result, seconds: float) -> dict:
    try:
        device = json.loads(res.output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        device = {"no_device": f"the device probe printed no JSON: {res.output[-500:]!r}"}
    fields = {"python": sys.version.split()[0], "cpu_count": os.cpu_count(),
              **_library_versions(), **device, "git_revision": _git_revision(),
              "status": _status(res, ok="no_device" not in device)}
    if "no_device" in device:
        line = f"FAILED: no usable CUDA device ({device['no_device']})"
    else:
        line = (f"{device['device']} (cc {device['compute_capability']}, "
                f"{device['device_memory_gib']} GiB), driver {device['driver']}, "
                f"CUDA runtime {device['cuda_runtime']}, cupy {device['cupy']}")
    fields["summary"] = (f"env: {line}, numpy {fields['numpy']}, jax {fields['jax']}, "
                         f"torch {fields['torch']} ({seconds:.0f} s)")
    return fields


def tests_fields(res: Result, seconds: float, junit: str, workers: int) -> dict:
    counts, line = pytest_counts(res.output)
    failed = junit_failures(junit)
    fields = {**counts, "pytest_summary": line, "workers": workers,
              "failed_tests": failed if failed is not None else output_failures(res.output),
              "junit": os.path.basename(junit) if failed is not None else None,
              "status": _status(res)}
    told = format_counts(counts) or "no pytest summary (see tests.log)"
    where = f"{seconds:.0f} s ({workers} worker{'s' if workers > 1 else ''})"
    if res.timed_out:
        fields["summary"] = f"tests: TIMED OUT after {where}: {told} before the cut"
    elif res.rc == 0:
        fields["summary"] = f"tests: {told} in {where}"
    else:
        fields["summary"] = f"tests: FAILED (exit {res.rc}): {told} in {where}"
    return fields


def seed_fields(res: Result, seconds: float) -> dict:
    ran = re.search(r"^backend: (\S+)", res.output, re.MULTILINE)
    fields = {"status": _status(res), "backend": ran.group(1) if ran else None}
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    if fields["status"] == "passed":
        fields["summary"] = f"seed: passed in {seconds:.0f} s on {fields['backend']}"
    else:
        how = "TIMED OUT" if res.timed_out else f"FAILED (exit {res.rc})"
        fields["summary"] = f"seed: {how} in {seconds:.0f} s: {lines[-1] if lines else ''}"
    return fields


def bench_fields(res: Result, seconds: float) -> dict:
    counts, line = pytest_counts(res.output)
    written = re.findall(r"^results: (\S+\.json)$", res.output, re.MULTILINE)
    fields = {**counts, "pytest_summary": line, "status": _status(res),
              "results_file": os.path.basename(written[-1]) if written else None,
              "failed_benchmarks": output_failures(res.output)}
    told = format_counts(counts) or "no pytest summary (see bench.log)"
    to = f" -> {fields['results_file']}" if written else " (no results file)"
    how = {"passed": "", "timed out": "TIMED OUT: "}.get(fields["status"],
                                                         f"FAILED (exit {res.rc}): ")
    fields["summary"] = f"bench: {how}{told} in {seconds:.0f} s{to}"
    return fields


# ---------------------------------------------------------------------------------------
# the check: phases in order, the JSON rewritten around each
# ---------------------------------------------------------------------------------------
class Check:
    """The report of one run: phases run in order, and the JSON on disk always up to date.

    Writing before a phase starts as well as after it ends means a run killed from outside
    (the device session's wall limit) still leaves a report naming the phase it was in.
    """

    def __init__(self, out: str, budget: float | None, argv: list[str], phases: list[str]):
        self.out = out
        self.path = os.path.join(out, "gpu_check.json")
        self.budget = budget
        self.phases = phases
        self.started = time.monotonic()
        self.report: dict = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                             "argv": argv, "budget_s": budget, "phases_planned": phases,
                             "status": "running", "phases": {}}

    def write(self) -> None:
        self.report["elapsed_s"] = round(time.monotonic() - self.started, 1)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.report, f, indent=1)
        os.replace(tmp, self.path)  # never a half-written file, whenever the run is cut

    def timeout_for(self, name: str, cap: float) -> float:
        """cap, or less: what the budget leaves after keeping the later phases' reserves."""
        if self.budget is None:
            return cap
        later = self.phases[self.phases.index(name) + 1:]
        left = self.budget - (time.monotonic() - self.started)
        share = min(cap, left - sum(RESERVE_S.get(p, 0) for p in later))
        # a phase squeezed by a slow predecessor still gets a useful minimum, if it is left
        return max(0.0, share if share >= MIN_PHASE_S else min(cap, MIN_PHASE_S, left))

    def phase(self, name: str, cmd: list[str], env: dict, cap: float,
              fields: Callable[[Result, float], dict]) -> dict:
        """Run one phase within its share of the budget; fields(result, seconds) reads it."""
        timeout = self.timeout_for(name, cap)
        rec: dict = {"status": "running", "command": cmd, "timeout_s": round(timeout),
                     "log": f"{name}.log"}
        self.report["phases"][name] = rec
        self.write()
        if timeout < 1:
            rec.update(status="skipped", summary=f"{name}: SKIPPED: the {self.budget:.0f} s "
                       "budget was spent before it could start")
        else:
            t0 = time.monotonic()
            try:
                res = _run(cmd, env, timeout, os.path.join(self.out, rec["log"]))
            except (KeyboardInterrupt, Terminated):
                seconds = time.monotonic() - t0
                rec.update(status="interrupted", duration_s=round(seconds, 1),
                           summary=f"{name}: INTERRUPTED after {seconds:.0f} s")
                print(rec["summary"], flush=True)
                self.finish()
                raise
            seconds = time.monotonic() - t0
            rec.update(exit_code=res.rc, timed_out=res.timed_out, duration_s=round(seconds, 1),
                       output_tail=res.output[-TAIL:])
            rec.update(fields(res, seconds))
        self.write()
        print(rec["summary"], flush=True)
        return rec

    def finish(self) -> int:
        bad = [n for n, r in self.report["phases"].items() if r["status"] != "passed"]
        self.report["failed_phases"] = bad
        self.report["status"] = "failed" if bad else "passed"
        self.write()
        return 1 if bad else 0


def _default_workers() -> int:
    """12 of 16 cores: the rest compile kernels, feed the GPU and run the checker."""
    return max(1, min(12, (os.cpu_count() or 1) - 4))


def test_paths(spec: str) -> list[str]:
    """What pytest runs for ``--tests``: the whole suite (``tests``) as its files in
    ``FIRST_TEST_FILES`` order (pytest-xdist hands tests out in collection order), else
    the given paths and options as they are."""
    if spec.strip() not in ("tests", "tests/"):
        return shlex.split(spec)
    folder = os.path.join(REPO, "tests")
    names = sorted(n[:-3] for n in os.listdir(folder)
                   if n.startswith("test_") and n.endswith(".py"))
    ordered = [n for n in FIRST_TEST_FILES if n in names] + \
        [n for n in names if n not in FIRST_TEST_FILES]
    return [os.path.join("tests", n + ".py") for n in ordered]


def _xdist_installed() -> bool:
    return importlib.util.find_spec("xdist") is not None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder for gpu_check.json, the logs, bench JSON")
    p.add_argument("--quick", action="store_true",
                   help=f"tests + seed + one bench size per model ({QUICK_BENCH_ARGS!r}) "
                        f"within --budget (default {QUICK_BUDGET_S} s)")
    p.add_argument("--bench", action="store_true", help="also run the benchmark suite")
    p.add_argument("--budget", type=float,
                   help="seconds for all phases together; each phase gets what is left minus "
                        f"the later phases' reserves {RESERVE_S} (default: {QUICK_BUDGET_S} "
                        "with --quick, else none)")
    p.add_argument("--test-timeout", type=float, default=CAP_S["tests"],
                   help="longest the tests phase may run (seconds)")
    p.add_argument("--workers", type=int, default=_default_workers(),
                   help="pytest-xdist workers where xdist is installed (kernel compiles "
                        "dominate a cold GPU run; they parallelise across processes)")
    p.add_argument("--tests", default="tests",
                   help="what pytest runs (paths and options, one string; default: tests); "
                        "write --tests='-k seed tests' when it starts with a dash")
    p.add_argument("--bench-args",
                   help="arguments for benches/run.py, as --bench-args='...' (default "
                        f"{QUICK_BENCH_ARGS!r} with --quick, else {FULL_BENCH_ARGS!r})")
    args = p.parse_args(argv)
    if args.budget is None and args.quick:
        args.budget = QUICK_BUDGET_S
    if args.bench_args is None:
        args.bench_args = QUICK_BENCH_ARGS if args.quick else FULL_BENCH_ARGS
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               GVMAP_BACKEND="cupy", PYTHONUNBUFFERED="1")
    phases = [p for p in PHASES if p != "bench" or args.bench or args.quick]
    check = Check(args.out, args.budget, sys.argv[1:] if argv is None else list(argv), phases)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        check.phase("env", [sys.executable, "-c", DEVICE_PROBE], env, CAP_S["env"], env_fields)

        junit = os.path.join(args.out, "junit.xml")
        if os.path.exists(junit):
            os.remove(junit)  # a junit left by an earlier run must not pass for this one's
        workers = args.workers if args.workers > 1 and _xdist_installed() else 1
        parallel = ["-n", str(workers)] if workers > 1 else []
        check.phase("tests", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              *parallel, f"--junitxml={junit}", *test_paths(args.tests)],
                    env, args.test_timeout,
                    lambda res, s: tests_fields(res, s, junit, workers))

        check.phase("seed", [sys.executable, "-m", "gvmap"], env, CAP_S["seed"], seed_fields)

        if "bench" in phases:
            check.phase("bench", [sys.executable, os.path.join("benches", "run.py"),
                                  "--out", args.out, *shlex.split(args.bench_args)],
                        dict(env, GVMAP_BACKEND="auto"), CAP_S["bench"], bench_fields)
    finally:
        signal.signal(signal.SIGTERM, previous)
    rc = check.finish()
    bad = check.report["failed_phases"]
    verdict = f"FAILED ({', '.join(bad)})" if bad else f"all {len(phases)} phases passed"
    print(f"gpu_check: {verdict} in {check.report['elapsed_s']:.0f} s -> {check.path}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
