"""Small NumPy habits of per-example code (gvmap/numpy/habits.py, extras.diff, the ndarray
methods in gvmap/tracing.py's ``# --- small NumPy habits ---`` block): keyword cases and
errors, each against the per-example loop."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

RNG = np.random.RandomState(7)
X35 = RNG.randn(3, 5)
X344 = RNG.randn(3, 4, 4)


def check(f, *args, in_axes=0):
    assert_tree_close(gvmap.vmap(f, in_axes=in_axes)(*args), oracle(f, in_axes=in_axes)(*args))


@pytest.mark.parametrize("f", [
    lambda v: np.diff(v, prepend=0),                        # an int64 edge: float32 becomes float64
    lambda v: np.diff(v, append=v[:1], n=2),                # a traced array edge
    lambda v: np.diff(v, prepend=v[0], append=-1.5),        # a traced 0-d edge, broadcast
    lambda v: np.diff(v > 0, prepend=True, append=False),   # bool: != as NumPy
    lambda v: np.diff(v, n=0, prepend=1),                   # n=0: a itself, edges unused
    lambda v: np.diff(v.reshape(5, 1), axis=0, prepend=[[1.0]], append=np.float32(2)),
    lambda v: np.diff(v.astype(np.int32), prepend=np.int8(3)),
])
def test_diff_prepend_append(backend, f):
    check(f, X35.astype(np.float32))


def test_diff_errors_are_numpys():
    with pytest.raises(ValueError, match="non-negative"):
        gvmap.vmap(lambda v: np.diff(v, n=-1))(X35)
    with pytest.raises(ValueError, match="at least one dimensional"):
        gvmap.vmap(lambda v: np.diff(v, prepend=0))(X35[:, 0])
    with pytest.raises(ValueError):  # a non-scalar edge is not broadcast: shapes must match
        gvmap.vmap(lambda v: np.diff(v, prepend=np.zeros(2)))(X344)


def _fill(v):
    y = v * 2
    y.fill(v[0, 0])
    z = v.astype(np.int32)
    z.fill(2.7)  # cast to int32 as NumPy's fill does
    return y, z


@pytest.mark.parametrize("f", [
    lambda v: v.diagonal(), lambda v: v.diagonal(1), lambda v: v.diagonal(-1, 0, 1),
    lambda v: v.trace(), lambda v: v.trace(1, dtype=np.float32), lambda v: v.trace(0, 1, 0),
    lambda v: v.repeat(2, axis=0), lambda v: v.repeat(3),
    lambda v: np.array([[1, 0], [0, 2]]).nonzero()[1] + v[0, 0],  # a known value's nonzero
    lambda v: np.arange(6).reshape(2, 3).sum(axis=0).nonzero()[0] * v[0, 0],
    _fill,
])
def test_array_methods(backend, f):
    check(f, X344)


def test_methods_refuse_what_numpy_would_see_differently():
    def fill_argument(v):
        v.fill(0)
        return v

    with pytest.raises(TypeError, match=r"np\.full_like"):
        gvmap.vmap(fill_argument)(X35)

    def write_after_diagonal(v):
        y = v.copy()
        d = y.diagonal()  # NumPy's view would see the write below
        y[0, 0] = 5
        return d

    with pytest.raises(TypeError, match="view"):
        gvmap.vmap(write_after_diagonal)(X344)
    with pytest.raises(NotImplementedError, match="nonzero"):  # traced: a data-dependent shape
        gvmap.vmap(lambda v: v.nonzero())(X35)
