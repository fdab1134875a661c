"""pytest configuration of the gvmap benchmark suite.

Settings (a pytest option wins over the environment variable):

  --bench-smoke        GVMAP_BENCH_SMOKE=1        tiny sizes, 2 rounds: CI keeps the benches alive
  --bench-models=a,b   GVMAP_BENCH_MODELS          subset of seed,wide,chain,mlp,pairwise,median,solve3,inv4,conv5
  --bench-methods=a,b  GVMAP_BENCH_METHODS         subset of benchenv.METHODS
  --bench-sizes=4,1e4  GVMAP_BENCH_SIZES           batch sizes for every method
  --bench-loop-max=N   GVMAP_BENCH_LOOP_MAX        largest n the Python loop runs at (1e4)
                       GVMAP_BENCH_HOST_WORK_MAX   flop cap per call for host methods (5e10)

By default host methods (loop, hand-numpy, gvmap-numpy) run at n = 4, 1e2 ... 1e6
and GPU methods at n = 4, 1e2 ... 1e8; sizes beyond memory or the host work cap
are skipped with the reason.

The hook at the bottom adds device, driver, versions, git revision, the
settings and a summary of medians and ratios to pytest-benchmark's JSON.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchenv  # noqa: E402

# JAX would otherwise grab 75% of the GPU's memory at first use, starving CuPy.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def pytest_addoption(parser):
    g = parser.getgroup("gvmap benches")
    g.addoption("--bench-smoke", action="store_true", default=None,
                help="smoke mode: tiny sizes, 2 rounds (env GVMAP_BENCH_SMOKE=1)")
    g.addoption("--bench-models", default=None, help="comma list of models (env GVMAP_BENCH_MODELS)")
    g.addoption("--bench-methods", default=None, help="comma list of methods (env GVMAP_BENCH_METHODS)")
    g.addoption("--bench-sizes", default=None, help="comma list of batch sizes, e.g. 4,1e4,1e5 "
                "(env GVMAP_BENCH_SIZES)")
    g.addoption("--bench-loop-max", default=None, help="largest n for the Python loop "
                "(env GVMAP_BENCH_LOOP_MAX, default 1e4)")


class Settings:
    def __init__(self, config):
        from models import MODELS

        def opt(name, env):
            v = config.getoption(name, default=None)
            return v if v is not None else os.environ.get(env)

        smoke = config.getoption("--bench-smoke", default=None)
        self.smoke = bool(smoke) or benchenv.env_flag("GVMAP_BENCH_SMOKE")

        models = benchenv.parse_list(opt("--bench-models", "GVMAP_BENCH_MODELS")) or list(MODELS)
        bad = [m for m in models if m not in MODELS]
        if bad:
            raise pytest.UsageError(f"unknown bench model(s) {bad}; known: {list(MODELS)}")
        self.models = models

        methods = (benchenv.parse_list(opt("--bench-methods", "GVMAP_BENCH_METHODS"))
                   or list(benchenv.METHODS))
        bad = [m for m in methods if m not in benchenv.METHODS]
        if bad:
            raise pytest.UsageError(
                f"unknown bench method(s) {bad}; known: {list(benchenv.METHODS)}")
        self.methods = methods

        sizes = benchenv.parse_list(opt("--bench-sizes", "GVMAP_BENCH_SIZES"))
        try:
            self.sizes = sorted({benchenv.parse_size(s) for s in sizes}) if sizes else None
        except ValueError as e:
            raise pytest.UsageError(f"bad bench size: {e}")

        loop_max = opt("--bench-loop-max", "GVMAP_BENCH_LOOP_MAX")
        self.loop_max = (benchenv.parse_size(loop_max) if loop_max
                         else (100 if self.smoke else benchenv.DEFAULT_LOOP_MAX))
        self.host_work_max = float(os.environ.get("GVMAP_BENCH_HOST_WORK_MAX")
                                   or benchenv.DEFAULT_HOST_WORK_MAX)

    def sizes_for(self, method: str):
        if self.sizes is not None:
            return self.sizes
        if self.smoke:
            return benchenv.SMOKE_SIZES
        if benchenv.METHODS[method][0] == "host":
            return benchenv.DEFAULT_SIZES_HOST
        return benchenv.DEFAULT_SIZES_GPU

    def as_dict(self):
        return {
            "smoke": self.smoke,
            "models": self.models,
            "methods": self.methods,
            "sizes": {m: self.sizes_for(m) for m in self.methods},
            "loop_max": self.loop_max,
            "host_work_max_flops": self.host_work_max,
            "memory_fraction": benchenv.MEMORY_FRACTION,
        }


def pytest_configure(config):
    config.gvmap_bench = Settings(config)
    config.gvmap_bench_loadavg_at_start = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None)


def pytest_report_header(config):
    s = config.gvmap_bench
    lines = [f"gvmap benches: device={benchenv.device_slug()} smoke={s.smoke} "
             f"models={','.join(s.models)} loop_max={benchenv.fmt_size(s.loop_max)}"]
    for m in s.methods:
        ok, why = benchenv.method_status(m)
        lines.append(f"  {m:12s} {'usable' if ok else 'SKIPPED: ' + why}")
    return lines


@pytest.fixture
def bench_settings(request):
    return request.config.gvmap_bench


def pytest_benchmark_update_json(config, benchmarks, output_json):
    settings = getattr(config, "gvmap_bench", None)
    meta = benchenv.metadata(settings.as_dict() if settings else None)
    meta["loadavg_at_start"] = getattr(config, "gvmap_bench_loadavg_at_start", None)
    meta["summary"] = benchenv.summary(output_json)
    output_json["gvmap_bench"] = meta
    if not benchenv.env_flag("GVMAP_BENCH_KEEP_DATA"):
        benchenv.drop_raw_data(output_json)
