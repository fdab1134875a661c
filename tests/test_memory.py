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
    assert_tree_close(got, oracle(f)(x))
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
