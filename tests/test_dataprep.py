"""np.nan_to_num and np.lib.stride_tricks.sliding_window_view (gvmap/numpy/dataprep.py):
their options and dtypes against the loop oracle, NumPy's errors, and the refusals of what
gvmap's copy cannot mean (a write NumPy's view would see, a write into an argument)."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import check_vmap

rng = np.random.RandomState(3)
DIRTY = rng.randn(5, 6)
DIRTY[0, 1], DIRTY[1, 2], DIRTY[2, 0], DIRTY[3, 5] = np.inf, -np.inf, np.nan, -0.0
swv = np.lib.stride_tricks.sliding_window_view


check = check_vmap  # vmap(f) against the loop (tests/oracle.py)


@pytest.mark.parametrize("name,f,x", [
    ("defaults", np.nan_to_num, DIRTY),
    ("float32 defaults", np.nan_to_num, DIRTY.astype(np.float32)),
    ("float16 defaults", np.nan_to_num, DIRTY.astype(np.float16)),
    ("values", lambda x: np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0), DIRTY),
    ("overflowing fill", lambda x: np.nan_to_num(x, posinf=1e40), DIRTY.astype(np.float32)),
    ("int fill value", lambda x: np.nan_to_num(x, nan=7), DIRTY),
    ("traced fill", lambda x: np.nan_to_num(x, nan=np.nanmean(x)), DIRTY),
    ("ints unchanged", np.nan_to_num, rng.randint(-5, 5, (5, 4))),
    ("bools unchanged", np.nan_to_num, rng.rand(5, 4) > 0.5),
    ("copy=False on a local", lambda x: (lambda y: (np.nan_to_num(y, copy=False), y))(x * 2),
     DIRTY),
])
def test_nan_to_num(backend, name, f, x):
    check(f, x)


def test_nan_to_num_copy_false_on_argument_refused():
    with pytest.raises(TypeError, match=r"np\.nan_to_num\(x, copy=False\).*x = np\.nan_to_num"):
        gvmap.vmap(lambda x: np.nan_to_num(x, copy=False))(DIRTY)


@pytest.mark.parametrize("name,f,x", [
    ("1-d", lambda x: swv(x, 3), rng.randn(5, 7)),
    ("window of the whole axis", lambda x: swv(x, 7).sum(-1), rng.randn(5, 7)),
    ("2-d all axes", lambda x: swv(x, (2, 3)), rng.randn(5, 4, 5)),
    ("2-d one axis", lambda x: swv(x, 2, axis=0), rng.randn(5, 4, 3)),
    ("negative axis", lambda x: swv(x, 3, axis=-1) @ np.array([1.0, -2.0, 1.0]), rng.randn(5, 4, 5)),
    ("same axis twice", lambda x: swv(x, (2, 2), axis=(0, 0)), rng.randn(5, 6)),
    ("ints", lambda x: swv(x, 4).max(-1), rng.randint(0, 9, (5, 8))),
    ("rolling std", lambda x: swv(x, 4).std(axis=-1, ddof=1), rng.randn(5, 10)),
])
def test_sliding_window_view(backend, name, f, x):
    check(f, x)


def test_sliding_window_view_numpy_errors():
    with pytest.raises(ValueError, match="window shape cannot be larger than input array"):
        gvmap.vmap(lambda x: swv(x, 8))(rng.randn(3, 7))
    with pytest.raises(ValueError, match="Since axis is `None`"):
        gvmap.vmap(lambda x: swv(x, 2))(rng.randn(3, 4, 4))


def test_sliding_window_view_refuses_writes_it_cannot_follow():
    with pytest.raises(NotImplementedError, match="writeable=True.*read-only"):
        gvmap.vmap(lambda x: swv(x, 2, writeable=True))(rng.randn(3, 4))

    def write_after_view(x):
        y = x * 1.0
        w = swv(y, 2)
        y[0] = 0.0   # NumPy's w sees this write; a copy would not
        return w.sum()
    with pytest.raises(TypeError, match="after a view of x was taken"):
        gvmap.vmap(write_after_view)(rng.randn(3, 4))

    def write_after_view_of_a_row(x):
        y = x * 1.0
        w = swv(y[0], 2)   # windows of a row view: the row is gone, y is not
        y[0, 0] = 4.0      # NumPy's w sees this (gvmap returned the old windows)
        return w
    with pytest.raises(TypeError, match="after a view gvmap does not follow .* of one of its slices"):
        gvmap.vmap(write_after_view_of_a_row)(rng.randn(2, 3, 3))


def roc_auc(scores, labels):
    """The area under the ROC curve of thresholds at every score, by the trapezoid rule."""
    thresholds = np.sort(scores)[::-1]
    tpr = np.concatenate([[0.0], ((scores >= thresholds[:, None]) & (labels == 1)).sum(1) / labels.sum()])
    fpr = np.concatenate([[0.0], ((scores >= thresholds[:, None]) & (labels == 0)).sum(1) / (labels == 0).sum()])
    return np.trapezoid(tpr, fpr)


@pytest.mark.parametrize("name,f,args", [
    ("dx", lambda y: np.trapezoid(y, dx=0.1), (rng.randn(5, 8),)),
    ("x 1-d", lambda y, x: np.trapezoid(y, x), (rng.randn(5, 8), np.sort(rng.rand(5, 8), 1))),
    ("x 1-d along axis 0", lambda y, x: np.trapezoid(y, x, axis=0),
     (rng.randn(5, 8, 3), np.sort(rng.rand(5, 8), 1))),
    ("x same shape", lambda y, x: np.trapezoid(y, x, axis=1), (rng.randn(5, 3, 4), rng.rand(5, 3, 4))),
    ("ints", lambda y: np.trapezoid(y), (rng.randint(0, 9, (5, 6)),)),
    ("float32", lambda y: np.trapezoid(y, dx=np.float32(0.5)), (rng.randn(5, 6).astype(np.float32),)),
    ("roc auc", roc_auc, (rng.rand(5, 20), np.array([rng.permutation([0] * 9 + [1] * 11) for _ in range(5)]))),
])
def test_trapezoid(backend, name, f, args):
    check(f, *args)
