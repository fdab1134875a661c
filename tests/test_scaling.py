"""Tracing and lowering stay near-linear in the number of primitives.

An unrolled RK4 step or a 100-step loop is thousands of primitives; quadratic passes made a
10,000-primitive chain take 25 s to lower for CuPy (1 s on the NumPy backend). Each test
times one program at two sizes, ``k`` times apart: linear work takes about ``k`` times as
long, quadratic work ``k**2`` times. The bound, ``2 * k``, leaves room for a loaded machine;
CPU time (not wall time) keeps other processes out of the measurement, and the garbage
collector is paused while timing (``cpu_seconds``). Each test takes a second or two.
"""
from __future__ import annotations

import gc
import time
from typing import Callable

import numpy as np

import gvmap


def chain(steps: int) -> Callable:
    """One fused kernel of 2 * steps equations (fusion's merges, the kernel renderer)."""
    def f(v):
        for _ in range(steps):
            v = np.tanh(v) * 1.01
        return v
    return f


def boundaries(steps: int) -> Callable:
    """Elementwise runs with transposes and keepdims reductions between them (region
    boundaries: the regions form a long chain) and ``acc += v`` (regions that merge)."""
    def f(v):
        acc = v * 1.0
        for k in range(steps):
            v = np.sin(v)
            if k % 8 == 0:
                v = v.T
            if k % 16 == 0:
                v = v + v.sum(axis=0, keepdims=True) * 1e-3
            acc += v
        return acc
    return f


def in_place(steps: int) -> Callable:
    """``acc += v`` again and again (tracing checks each for views of ``acc``)."""
    def f(v):
        acc = v * 1.0
        for _ in range(steps):
            acc += v
        return acc
    return f


def cpu_seconds(run: Callable[[], object]) -> float:
    """CPU time of ``run()`` with the cyclic garbage collector paused: a full collection
    costs the size of the whole heap (late in the suite, everything earlier tests left
    alive), not of the pass being timed, and made these tests fail at random."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        run()
        return time.process_time() - start
    finally:
        gc.enable()


def assert_linear(name: str, run: Callable[[int], object], small: int, k: int,
                  prepare: Callable[[int], object] = lambda n: n) -> object:
    """``run(prepare(k * small))`` takes less than ``2 * k`` times ``run(prepare(small))``
    (``prepare`` is not timed); returns its result."""
    run(prepare(10))  # imports and first-use caches
    inputs = prepare(small)
    t_small = min(cpu_seconds(lambda: run(inputs)) for _ in range(2))
    inputs, result = prepare(k * small), []
    t_large = min(cpu_seconds(lambda: result.append(run(inputs))) for _ in range(2))
    assert t_large < 2 * k * max(t_small, 0.01), (
        f"{name}: {k}x the primitives took {t_large / t_small:.1f}x the time "
        f"({t_small:.2f}s -> {t_large:.2f}s): a pass is superlinear")
    return result[0]


X = np.ones((4, 3, 3))


def test_lowering_a_long_kernel_is_linear():
    plan = assert_linear("CuPy plan of a chain",
                         lambda n: gvmap.vmap(chain(n)).lower(X, backend="cupy"), 300, 8)
    first = plan.as_text().splitlines()[0]
    assert first == "plan for cupy: 1 launch", first  # 4,800 equations, still one kernel


def test_rendering_a_long_kernel_is_linear():
    from gvmap.codegen.render import render_region
    from gvmap.fusion import fuse

    assert_linear("rendering a kernel", render_region, 400, 8,
                  prepare=lambda n: fuse(gvmap.make_graph(gvmap.vmap(chain(n)))(X))[0])


def test_lowering_many_regions_is_linear():
    assert_linear("CuPy plan across region boundaries",
                  lambda n: gvmap.vmap(boundaries(n)).lower(X, backend="cupy"), 300, 4)


def test_tracing_in_place_updates_is_linear():
    assert_linear("tracing x += v", lambda n: gvmap.make_graph(gvmap.vmap(in_place(n)))(X), 700, 8)
