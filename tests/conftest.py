"""Shared fixtures: the backend each test runs on, and the hypothesis profiles.

- ``backend``: every test that takes it runs once per backend, "numpy", "numpy-fused" (the
  fused CuPy plan executed on NumPy) and "cupy", inside ``with gvmap.backend(name):``. The cupy run skips, with the reason, where CuPy is not
  importable or no CUDA device is usable. With ``GVMAP_BACKEND=cupy`` in the environment only
  the cupy run is kept, so the whole suite runs on the GPU.
- hypothesis profiles: "ci" (the default, fast) and "nightly" (many more examples), chosen
  with ``GVMAP_HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import functools
import os

import pytest
from hypothesis import HealthCheck, settings

# The backend fixture is function-scoped but only enters a context manager, so reusing it
# across hypothesis examples is safe.
# "ci" draws the same examples on every run (derandomize): a submission's CI must not pass
# or fail by luck. "nightly" explores new random examples each run.
settings.register_profile(
    "ci", max_examples=20, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile(
    "nightly", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("GVMAP_HYPOTHESIS_PROFILE", "ci"))


@functools.lru_cache(maxsize=None)
def cupy_unusable_reason() -> str | None:
    """Why CuPy cannot run here, or None when it can (importable, a device, a launch works)."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        return f"CuPy is not importable ({type(exc).__name__}: {exc})"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no CUDA device found"
        (cupy.arange(3) + 1).get()
    except Exception as exc:
        return f"no usable CUDA device ({type(exc).__name__}: {exc})"
    return None


def backend_names() -> list[str]:
    if os.environ.get("GVMAP_BACKEND", "").lower() == "cupy":
        return ["cupy"]
    return ["numpy", "numpy-fused", "cupy"]


@pytest.fixture(params=backend_names())
def backend(request):
    import gvmap

    name = request.param
    if name == "cupy":
        reason = cupy_unusable_reason()
        if reason is not None:
            pytest.skip(f"CuPy backend unusable: {reason}")
    with gvmap.backend(name):
        yield name


@pytest.fixture(params=["batched", "row kernels"])
def plan_kind(request, backend, monkeypatch):
    """Every backend and plan kind: the batched plan, and the row-kernel plan
    (``GVMAP_ROW_KERNELS=1``: emulated on numpy-fused, launched on cupy; numpy has no
    kernels)."""
    if request.param == "row kernels":
        if backend == "numpy":
            pytest.skip("row kernels run on the fused backends only")
        monkeypatch.setenv("GVMAP_ROW_KERNELS", "1")
    return request.param


@pytest.fixture
def rng():
    import numpy as np

    return np.random.RandomState(8675309)


def stdout_across_hash_seeds(script: str, seeds: tuple[str, ...] = ("1", "2")) -> set[str]:
    """The distinct outputs of ``python -c script`` run from the repository root under
    different ``PYTHONHASHSEED``s: one element when the output is deterministic."""
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    path = os.pathsep.join([root, here, os.environ.get("PYTHONPATH", "")])  # as under pytest
    return {subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           text=True, cwd=root,
                           env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=path)).stdout
            for seed in seeds}
