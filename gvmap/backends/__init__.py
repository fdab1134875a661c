"""Backend selection: ``"numpy"``, ``"cupy"`` or ``"auto"`` (CuPy when a CUDA device is usable).

``"numpy-fused"`` is a testing aid: the CuPy backend's fused plan, run on NumPy.

A backend is an array module plus a few conversions; the primitives' implementations are
shared (``implementations.py``), so both backends run the same plan code. The default comes
from the ``GVMAP_BACKEND`` environment variable (else ``"auto"``); ``set_backend`` changes
it for the process, ``backend(name)`` for a ``with`` block in the current thread.
"""
from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Iterator

from .numpy_backend import NumpyBackend

__all__ = ["Backend", "current_backend", "get_backend", "set_backend", "backend", "resolve",
           "launch_describers", "chosen_backend"]

Backend = Any  # NumpyBackend | CupyBackend: same interface (name, xp, asarray, ...)

_NAMES = ("auto", "numpy", "cupy", "numpy-fused")
_default = os.environ.get("GVMAP_BACKEND", "auto").strip().lower() or "auto"
_local = threading.local()
_instances: dict[str, Backend] = {}
_lock = threading.Lock()


def _validate(name: str) -> str:
    if not isinstance(name, str) or name.lower() not in _NAMES:
        raise ValueError(f"unknown gvmap backend {name!r}; choose one of {', '.join(_NAMES)}")
    return name.lower()


def _cupy_backend(strict: bool) -> Backend | None:
    from .cupy_backend import CupyBackend, cupy_unusable_reason

    reason = cupy_unusable_reason()
    if reason is not None:
        if strict:
            raise RuntimeError(f"the cupy backend cannot run here: {reason}")
        return None
    return CupyBackend()


def resolve(name: str) -> Backend:
    """The backend object for a name; ``"cupy"`` raises RuntimeError saying why it cannot run."""
    name = _validate(name)
    with _lock:
        if name not in _instances:
            if name in ("numpy", "numpy-fused"):
                _instances[name] = NumpyBackend(fuses=name == "numpy-fused")
            elif name == "cupy":
                _instances[name] = _cupy_backend(strict=True)
            else:
                _instances[name] = _cupy_backend(strict=False) or NumpyBackend()
        return _instances[name]


def current_backend() -> Backend:
    name = getattr(_local, "override", None) or _default  # chosen_backend(), inlined: hot path
    backend_ = _instances.get(name)
    return backend_ if backend_ is not None else resolve(name)


def chosen_backend() -> str | None:
    """The backend a ``with gvmap.backend(name):`` in this thread names, or None (the
    process-wide default applies)."""
    return getattr(_local, "override", None)


def get_backend() -> str:
    """The name of the backend in use: ``"numpy"`` or ``"cupy"`` (``"auto"`` resolved)."""
    return current_backend().name


def set_backend(name: str) -> None:
    """Make ``name`` the process-wide default. ``"cupy"`` is checked now (RuntimeError if unusable)."""
    global _default
    name = _validate(name)
    resolve(name)
    _default = name


@contextlib.contextmanager
def backend(name: str) -> Iterator[str]:
    """``with gvmap.backend("numpy"): ...`` runs the block on that backend (this thread only)."""
    name = _validate(name)
    resolved = resolve(name).name
    previous = getattr(_local, "override", None)
    _local.override = name
    try:
        yield resolved
    finally:
        _local.override = previous


def launch_describers(name: str) -> tuple:
    """How backend ``name`` describes the launches of its plans (for ``Lowered.as_text``):
    a step describer and a row-plan describer. Importing them needs no CuPy."""
    import functools

    if name == "cupy":
        from . import cupy_backend as module
    else:
        from . import numpy_backend as module
    return functools.partial(module.describe_step, backend=name), module.describe_row
