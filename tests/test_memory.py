"""Out-of-memory handling: with chunk_size=None a batch that does not fit is retried in
halves, reusing compiled plans; only a single example that does not fit is an error.

Device memory cannot be exhausted on purpose in CI, so the executor is made to raise the
backend's out-of-memory error (MemoryError on NumPy; CuPy's OutOfMemoryError is recognised
the same way through ``backend.is_out_of_memory``) above a chosen batch size.
"""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from gvmap.backends import executor
from oracle import assert_tree_close, oracle


@pytest.fixture
def memory_limit(monkeypatch):
    """Make every plan run raise MemoryError when its first input's batch exceeds ``limit[0]``."""
    limit = [None]
    seen: list[int] = []
    real_call = executor.Executable.__call__

    def limited(self, args):
        n = len(args[0]) if args and getattr(args[0], "ndim", 0) else 0
        seen.append(n)
        if limit[0] is not None and n > limit[0]:
            raise MemoryError(f"pretend out of memory at batch {n}")
        return real_call(self, args)

    monkeypatch.setattr(executor.Executable, "__call__", limited)
    return limit, seen


def f(v):
    return np.tanh(v * 2.0).sum(), v - v.mean()


@pytest.mark.parametrize("backend_name", ["numpy", "numpy-fused"])
def test_batch_too_large_is_run_in_halves(memory_limit, backend_name):
    limit, seen = memory_limit
    x = np.random.RandomState(0).randn(11, 4).astype(np.float32)
    limit[0] = 3
    with gvmap.backend(backend_name):
        got = gvmap.vmap(f)(x)
    assert_tree_close(got, oracle(f)(x), backend=backend_name)
    assert max(n for n in seen if n <= 3) <= 3 and sum(n for n in seen if n <= 3) == 11


def test_single_example_too_large_is_a_clear_memory_error(memory_limit):
    limit, _ = memory_limit
    limit[0] = 0
    with pytest.raises(MemoryError, match="single example"):
        gvmap.vmap(f)(np.ones((4, 3), np.float32))


def test_explicit_chunk_size_does_not_retry(memory_limit):
    limit, _ = memory_limit
    limit[0] = 1
    with pytest.raises(MemoryError, match="pretend"):
        gvmap.vmap(f, chunk_size=2)(np.ones((4, 3), np.float32))


def test_failed_attempt_is_released_before_the_halves_run(monkeypatch):
    """The retry used to run inside the ``except`` block: the traceback kept the failed
    attempt's frames, and every intermediate they held, alive while the halves ran (on a
    GPU that memory made the halves fail too). Each too-large attempt here leaves a buffer
    in its frame; while any smaller call runs, every such buffer must already be gone."""
    import weakref

    real_call = executor.Executable.__call__
    failed: list = []
    alive_during_halves: list[int] = []

    def limited(self, args):
        n = len(args[0])
        intermediate = np.empty((n, 1024))  # what the failed attempt had computed
        if n > 2:
            failed.append(weakref.ref(intermediate))
            raise MemoryError(f"pretend out of memory at batch {n}")
        alive_during_halves.append(sum(r() is not None for r in failed))
        return real_call(self, args)

    monkeypatch.setattr(executor.Executable, "__call__", limited)
    x = np.random.RandomState(1).randn(9, 4).astype(np.float32)
    for name in ("numpy", "numpy-fused"):
        failed.clear()
        alive_during_halves.clear()
        with gvmap.backend(name):
            got = gvmap.vmap(f)(x)
        assert_tree_close(got, oracle(f)(x), backend=name)
        assert failed and alive_during_halves and set(alive_during_halves) == {0}, (
            alive_during_halves)


def test_fast_path_reraises_errors_that_are_not_out_of_memory(monkeypatch):
    """The cached-call path used to swallow every exception and run the call again on the
    full path; only out-of-memory errors are retried now."""
    runs = []
    real_call = executor.Executable.__call__

    def failing(self, args):
        runs.append(1)
        if len(runs) > 1:
            raise ZeroDivisionError("from the plan")
        return real_call(self, args)

    monkeypatch.setattr(executor.Executable, "__call__", failing)
    g = gvmap.vmap(lambda v: v * 2.0)
    x = np.ones((3, 2))
    g(x)
    with pytest.raises(ZeroDivisionError, match="from the plan"):
        g(x)
    assert len(runs) == 2
