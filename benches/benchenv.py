"""Shared helpers of the gvmap benchmark suite: settings, device detection,
synchronisation, skip rules, run metadata and the summary of a results file.

Imported by conftest.py, bench_models.py, run.py and plot.py.  Importing it is
cheap: NumPy only; CuPy, JAX, PyTorch and gvmap are imported on demand.
"""
from __future__ import annotations

import datetime
import functools
import importlib
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# --------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------
# name -> (where it runs: "host" | "cupy" | "jax" | "torch", description)
METHODS = {
    "loop": ("host", "Python loop: per-example NumPy function + np.stack"),
    "hand-numpy": ("host", "hand-batched NumPy"),
    "gvmap-numpy": ("host", "gvmap.vmap on the NumPy backend"),
    "hand-cupy": ("cupy", "hand-batched CuPy (the NumPy code with xp=cupy)"),
    "gvmap-cupy": ("cupy", "gvmap.vmap on the CuPy backend"),
    "gvmap-cupy-rows": ("cupy", "gvmap.vmap on CuPy with row kernels (GVMAP_ROW_KERNELS=1)"),
    "jax": ("jax", "jax.jit(jax.vmap(f)) on JAX's default device"),
    "torch": ("torch", "torch.func.vmap(f) on cuda when available, else cpu"),
}

# --------------------------------------------------------------------------
# settings (pytest option > environment variable > default)
# --------------------------------------------------------------------------
DEFAULT_SIZES_HOST = [4, 10**2, 10**3, 10**4, 10**5, 10**6]
DEFAULT_SIZES_GPU = [4, 10**2, 10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
SMOKE_SIZES = [4, 100]
DEFAULT_LOOP_MAX = 10**4
# Work cap for methods that run on the host CPU, in floating-point operations
# per call: keeps the full CPU suite within minutes on a small machine.
DEFAULT_HOST_WORK_MAX = 5e10
# Fraction of the memory (host RAM or device memory) a single benchmark's
# estimated working set may take.
MEMORY_FRACTION = 0.4


def parse_size(s) -> int:
    s = str(s).strip().lower().replace("_", "")
    if not s:
        raise ValueError("empty size")
    v = float(s)
    if v != int(v) or v < 1:
        raise ValueError(f"batch size must be a positive integer, got {s!r}")
    return int(v)


def fmt_size(n: int) -> str:
    """4 -> '4', 100 -> '1e2', 100000 -> '1e5', 250 -> '250'."""
    if n >= 100:
        e = len(str(n)) - 1
        if n == 10**e:
            return f"1e{e}"
    return str(n)


def parse_list(s):
    if s is None:
        return None
    if isinstance(s, (list, tuple)):
        return list(s)
    items = [x.strip() for x in str(s).split(",")]
    return [x for x in items if x] or None


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------
# devices
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def cupy_status():
    """(usable: bool, reason: str).  Usable = CuPy imports and sees a CUDA device."""
    try:
        import cupy  # noqa: F401
    except Exception as e:  # ImportError, or a broken CUDA install
        return False, f"CuPy not importable ({type(e).__name__}: {e})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return False, f"CuPy sees no CUDA device ({type(e).__name__}: {e})"
    if count < 1:
        return False, "CuPy sees no CUDA device"
    try:  # a real allocation + launch: catches driver/runtime mismatches
        (cupy.arange(4, dtype=cupy.float32) * 2).sum().item()
    except Exception as e:
        return False, f"CuPy cannot run a kernel ({type(e).__name__}: {e})"
    return True, ""


def cupy_usable() -> bool:
    return cupy_status()[0]


@functools.lru_cache(maxsize=None)
def jax_status():
    try:
        import jax  # noqa: F401
        import jax.numpy  # noqa: F401
    except Exception as e:
        return False, f"JAX not installed ({type(e).__name__}: {e})"
    return True, ""


@functools.lru_cache(maxsize=None)
def torch_status():
    try:
        import torch  # noqa: F401
        import torch.func  # noqa: F401
    except Exception as e:
        return False, f"PyTorch (with torch.func) not installed ({type(e).__name__}: {e})"
    return True, ""


def method_status(method: str):
    """(usable, reason) for a method on this machine."""
    where = METHODS[method][0]
    if where == "host":
        return True, ""
    if where == "cupy":
        return cupy_status()
    if where == "jax":
        return jax_status()
    if where == "torch":
        return torch_status()
    raise KeyError(method)


def jax_on_gpu() -> bool:
    import jax

    return jax.default_backend() != "cpu"


def torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def method_on_gpu(method: str) -> bool:
    where = METHODS[method][0]
    if where == "cupy":
        return True
    if where == "jax":
        return jax_on_gpu()
    if where == "torch":
        return torch_device() == "cuda"
    return False


def sync(method: str) -> None:
    """Wait for all work queued by `method` to finish (no-op on the host)."""
    where = METHODS[method][0]
    if where == "cupy":
        import cupy

        cupy.cuda.get_current_stream().synchronize()
    elif where == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    # jax: the caller uses block_until_ready on the result (see bench_models).


def gpu_name() -> str | None:
    if not cupy_usable():
        return None
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def device_slug() -> str:
    """'cpu', or the GPU name as a file-name slug ('nvidia-h200')."""
    name = gpu_name()
    if not name:
        return "cpu"
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "gpu"


def memory_bytes(on_gpu: bool) -> int:
    """Total memory available to one benchmark's arrays (device or host)."""
    if on_gpu:
        import cupy

        free, total = cupy.cuda.runtime.memGetInfo()
        return int(total)
    try:
        with open("/proc/meminfo") as f:
            info = dict(
                (line.split(":")[0], int(line.split()[1]) * 1024) for line in f if ":" in line
            )
        return int(info.get("MemAvailable", info.get("MemTotal")))
    except Exception:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


# --------------------------------------------------------------------------
# contention: CPU time other processes used while a benchmark ran
# --------------------------------------------------------------------------
def _busy_cpu_seconds():
    """(machine-wide busy CPU seconds, this process's CPU seconds) or None."""
    try:
        import resource

        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        hz = os.sysconf("SC_CLK_TCK")
        user, nice, system, idle, iowait, irq, softirq = fields[:7]
        steal = fields[7] if len(fields) > 7 else 0
        busy = (user + nice + system + irq + softirq + steal) / hz
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return busy, ru.ru_utime + ru.ru_stime
    except Exception:
        return None


class Contention:
    """Measures, over a `with` block, the CPU seconds used by OTHER processes
    (machine-wide busy time minus this process's own), a sign of disturbed timings."""

    def __enter__(self):
        import time

        self._t0, self._c0 = time.perf_counter(), _busy_cpu_seconds()
        return self

    def __exit__(self, *exc):
        import time

        self.wall_s = time.perf_counter() - self._t0
        c1 = _busy_cpu_seconds()
        self.other_cpu_s = (max(0.0, (c1[0] - self._c0[0]) - (c1[1] - self._c0[1]))
                            if c1 and self._c0 else None)
        return False


# --------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------
def _version(mod: str):
    try:
        m = importlib.import_module(mod)
    except Exception:
        return None
    return getattr(m, "__version__", "installed (no __version__)")


def _dist_version(dist: str):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


def _run(cmd, cwd=REPO):
    try:
        out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=20)
    except Exception:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except Exception:
        pass
    return platform.processor() or None


def _numpy_blas():
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}
    except Exception:
        return None


def gpu_info():
    if not cupy_usable():
        return None
    import cupy

    rt = cupy.cuda.runtime
    dev = cupy.cuda.Device()
    props = rt.getDeviceProperties(dev.id)
    name = props["name"]
    info = {
        "name": name.decode() if isinstance(name, bytes) else str(name),
        "device_id": dev.id,
        "compute_capability": dev.compute_capability,
        "total_memory_bytes": int(props.get("totalGlobalMem", 0)),
        "cuda_runtime_version": rt.runtimeGetVersion(),
        "cuda_driver_api_version": rt.driverGetVersion(),
        "nvidia_driver": _run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader", "-i", str(dev.id)]
        ),
    }
    return info


ENV_VARS_RECORDED = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "GVMAP_BACKEND",
    "CUDA_VISIBLE_DEVICES",
    "XLA_PYTHON_CLIENT_PREALLOCATE",
    "CI",
)


def metadata(settings: dict | None = None) -> dict:
    """Machine, versions and git state recorded next to pytest-benchmark's JSON."""
    import numpy as np

    gv = None
    try:
        import gvmap

        gv = getattr(gvmap, "__version__", None) or _dist_version("gvmap") or "source tree"
        gv_file = getattr(gvmap, "__file__", None)
    except Exception as e:  # recorded, not fatal: the gvmap benches fail on their own
        gv = f"not importable: {type(e).__name__}: {e}"
        gv_file = None
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"])
    meta = {
        "device": device_slug(),
        "date": datetime.date.today().isoformat(),
        "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "gpu": gpu_info(),
        "cpu": {"model": _cpu_model(), "count": os.cpu_count(),
                "memory_available_bytes": memory_bytes(False)},
        "git": {
            "revision": _run(["git", "rev-parse", "HEAD"]),
            "describe": _run(["git", "describe", "--always", "--dirty"]),
            "dirty_tracked_files": status.splitlines() if status else [],
            "untracked_in_gvmap": (_run(["git", "status", "--porcelain", "--", "gvmap"]) or
                                   "").splitlines(),
        },
        "versions": {
            "python": sys.version.split()[0],
            "gvmap": gv,
            "gvmap_file": gv_file,
            "numpy": np.__version__,
            "numpy_blas": _numpy_blas(),
            "cupy": _version("cupy") if cupy_status()[0] or _dist_version("cupy") else None,
            "cupy_status": cupy_status()[1] or "usable",
            "jax": _version("jax") if jax_status()[0] else None,
            "jaxlib": _version("jaxlib") if jax_status()[0] else None,
            "torch": _version("torch") if torch_status()[0] else None,
            "pytest_benchmark": _dist_version("pytest-benchmark"),
        },
        "env": {k: os.environ.get(k) for k in ENV_VARS_RECORDED},
        # other processes on the machine disturb timings: the 1/5/15-min load averages
        # when the JSON was written (compare with cpu.count)
        "loadavg_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    if settings is not None:
        meta["settings"] = settings
    return meta


# --------------------------------------------------------------------------
# summary of a results file
# --------------------------------------------------------------------------
def medians(results: dict):
    """{(model, n): {method: median seconds}} from pytest-benchmark's JSON."""
    out = {}
    for b in results.get("benchmarks", []):
        info = b.get("extra_info", {})
        if "model" not in info:
            continue
        key = (info["model"], int(info["n"]))
        out.setdefault(key, {})[info["method"]] = b["stats"]["median"]
    return out


def contention(results: dict):
    """{(model, n): largest average number of cores other processes kept busy
    during any benchmark of the group} (0 = quiet machine)."""
    out = {}
    for b in results.get("benchmarks", []):
        info = b.get("extra_info", {})
        if "model" not in info or not info.get("wall_s") or info.get(
                "other_processes_cpu_s") is None:
            continue
        key = (info["model"], int(info["n"]))
        out[key] = max(out.get(key, 0.0), info["other_processes_cpu_s"] / info["wall_s"])
    return out


def drop_raw_data(results: dict) -> dict:
    """Remove the per-round timings pytest-benchmark puts in stats["data"] (megabytes
    per run); every statistic (min, median, quartiles, mean, stddev, rounds) stays."""
    dropped = 0
    for b in results.get("benchmarks", []):
        if b.get("stats", {}).pop("data", None) is not None:
            dropped += 1
    results.setdefault("gvmap_bench", {})["raw_round_timings"] = (
        f"dropped from {dropped} benchmarks to keep the file small "
        "(keep them with run.py --keep-data / GVMAP_BENCH_KEEP_DATA=1)" if dropped else "kept")
    return results


def summary(results: dict) -> list:
    """Per (model, n): medians and the ratios the issues ask about.

    Ratios are quotients of medians measured side by side in the same run:
      gvmap-numpy/hand-numpy, gvmap-cupy/hand-cupy (<= 1 means gvmap is no slower),
      loop/gvmap-numpy, loop/gvmap-cupy (speed-up over the Python loop),
      jax/gvmap-cupy, torch/gvmap-cupy (> 1 means gvmap is faster).
    """
    rows = []
    pairs = [
        ("gvmap-numpy", "hand-numpy"),
        ("gvmap-cupy", "hand-cupy"),
        ("gvmap-cupy-rows", "gvmap-cupy"),
        ("gvmap-cupy-rows", "hand-cupy"),
        ("loop", "gvmap-numpy"),
        ("loop", "gvmap-cupy"),
        ("jax", "gvmap-cupy"),
        ("torch", "gvmap-cupy"),
        ("jax", "gvmap-numpy"),
        ("torch", "gvmap-numpy"),
    ]
    busy = contention(results)
    for (model, n), meds in sorted(medians(results).items()):
        ratios = {}
        for a, b in pairs:
            if a in meds and b in meds and meds[b] > 0:
                ratios[f"{a}/{b}"] = meds[a] / meds[b]
        rows.append({"model": model, "n": n, "median_s": dict(sorted(meds.items())),
                     "ratios": ratios,
                     "other_processes_cores_busy_max": (
                         round(busy[(model, n)], 2) if (model, n) in busy else None)})
    return rows


def format_summary(rows: list) -> str:
    lines = []
    for r in rows:
        meds = "  ".join(f"{m}={v * 1e3:.4g}ms" for m, v in r["median_s"].items())
        rat = "  ".join(f"{k}={v:.3g}" for k, v in r["ratios"].items())
        lines.append(f"{r['model']:>9} n={fmt_size(r['n']):>4}  {meds}")
        busy = r.get("other_processes_cores_busy_max")
        if busy is not None:
            rat += f"  [other processes busy: {busy:.2f} cores]"
        if rat:
            lines.append(f"{'':>9}         ratios: {rat}")
    return "\n".join(lines)
