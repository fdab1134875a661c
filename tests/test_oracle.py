"""The oracle itself, against hand-batched NumPy: if it were wrong, every test would be."""

import numpy as np
import pytest

from oracle import assert_leaf_close, oracle


def test_in_axes_and_out_axes():
    rng = np.random.RandomState(0)
    x = rng.randn(3, 4, 5)  # batched at axis 1 (size 4)
    y = rng.randn(3)
    got = oracle(lambda a, b: a.sum(-1) * b, in_axes=(1, None), out_axes=-1)(x, y)
    assert_leaf_close(got, x.sum(-1) * y[:, None])


def test_pytrees_axis_size_and_kwargs():
    x = np.arange(6.0).reshape(2, 3)
    got = oracle(lambda d, s=1.0: ({"u": d["a"] * s}, d["b"]), in_axes=({"a": 0, "b": None},),
                 out_axes=({"u": 1}, None))({"a": x, "b": np.ones(2)}, s=2.0)
    assert_leaf_close(got[0]["u"], (x * 2.0).T)
    assert_leaf_close(got[1], np.ones(2))
    assert_leaf_close(oracle(lambda: np.zeros(2), axis_size=4)(), np.zeros((4, 2)))


def test_disagreeing_sizes():
    with pytest.raises(ValueError):
        oracle(lambda a, b: a + b)(np.ones(2), np.ones(3))


def test_empty_batch():
    got = oracle(lambda a, b: (a @ b, a.sum()), in_axes=(1, None), out_axes=(-1, 0))(
        np.ones((3, 0, 4)), np.ones(4))
    assert got[0].shape == (3, 0) and got[1].shape == (0,) and got[0].dtype == np.float64
