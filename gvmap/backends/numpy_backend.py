"""The NumPy backends: plans run as NumPy calls on the CPU. Always available.

``numpy`` runs one NumPy call per equation (NumPy has no kernels to fuse). ``numpy-fused``
runs the plan the CuPy backend would run, fused regions and all, each region as its
equations in sequence: it checks fusion and the CuPy plan's wiring on machines without a
GPU (the test suite runs on it too); it is not faster than ``numpy``.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class NumpyBackend:
    xp = np

    def __init__(self, fuses: bool = False):
        self.fuses = fuses
        self.name = "numpy-fused" if fuses else "numpy"

    def asarray(self, x: Any) -> np.ndarray:
        """Host array for x; CuPy arrays are copied to the host (once, on entry)."""
        if type(x).__module__.startswith("cupy"):
            return x.get()
        return np.asarray(x)

    def synchronize(self) -> None:
        pass

    def is_out_of_memory(self, error: BaseException) -> bool:
        return isinstance(error, MemoryError)

    def device_id(self) -> None:
        """The device plans are built for: part of every signature (none on the host)."""
        return None

    def takes_as_is(self, args: Any) -> bool:
        """May the fast path hand ``args`` to a plan without ``asarray``?"""
        return all(type(a) is np.ndarray for a in args)

    def release_memory(self) -> None:
        """Before an out-of-memory retry: nothing is cached on the host."""


def describe_step(step: Any, backend: str = "numpy") -> str:
    """A plan step in NumPy's words: the NumPy call, or (numpy-fused) the region whose
    equations run as NumPy calls in sequence."""
    from ..implementations import check_indices_p

    if step.kernel is not None:
        return f"{backend} region {step.kernel.name}"
    prim = step.eqns[0].primitive
    if prim is check_indices_p:
        return f"{backend}: IndexError if set"
    return f"{backend}.{prim.launch}"


def describe_row(plan: Any) -> str:
    """numpy-fused runs a row plan as the batched graph with the kernel's layout."""
    return f"{plan.backend} emulation {plan.kernel.name}, one thread per example"
