"""cov weights, pad's statistic / linear_ramp / empty modes and var/std with where=: the
behaviour the sample table cannot show (every plan kind, NumPy's checks and warnings, the
refusals and what traced weights NumPy would reject give)."""

from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

RNG = np.random.RandomState(12)
X = RNG.randn(5, 3, 4)
MASK = RNG.rand(5, 3, 4) > 0.4
MASK[1, 0] = False  # an all-False lane


@pytest.mark.parametrize("f", [
    lambda x, m: np.var(x, axis=1, where=m, ddof=1),
    lambda x, m: np.nanstd(np.where(x > 1, np.nan, x), axis=0, where=m),
    lambda x, m: np.pad(x, ((1, 2), (2, 1)), "mean", stat_length=2),
    lambda x, m: np.pad(x, 2, "linear_ramp", end_values=x[0, 0]),
    lambda x, m: np.cov(x, aweights=np.abs(x[0]) + 0.5, fweights=m[0] + 1),
], ids=["var_where", "nanstd_where", "pad_mean", "pad_ramp", "cov_weights"])
def test_every_plan_kind(plan_kind, f):
    """The batched plan and the row-kernel plan (where the graph qualifies) agree with the loop."""
    with np.errstate(all="ignore"):
        expected = oracle(f)(X, MASK)
        got = gvmap.vmap(f)(X, MASK)
    assert_tree_close(got, expected)


def test_var_with_ddof_at_least_the_count_is_not_negative(backend):
    """NumPy divides by max(n - ddof, 0): inf (NaN for a zero sum), never -sum."""
    f = lambda x: (np.var(x, axis=-1, ddof=5), np.std(x, ddof=20), np.var(x * 0, axis=0, ddof=3))
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        got = gvmap.device_get(gvmap.vmap(f)(X))
    assert np.isposinf(got[0]).all() and np.isposinf(got[1]).all() and np.isnan(got[2]).all()


def test_var_where_all_false_lane_is_nan(backend):
    got = gvmap.device_get(gvmap.vmap(lambda x, m: np.var(x, axis=1, where=m))(X, MASK))
    assert np.isnan(got[1, 0]) and not np.isnan(got[0]).any()


def test_traced_weights_numpy_would_reject_raise_its_error_naming_the_example(backend):
    """NumPy raises for non-integer fweights (TypeError), negative weights (ValueError) and
    weights summing to 0 (ZeroDivisionError): so does gvmap, for the loop's first failing
    example, with the error that example fails first in NumPy's order (they gave an all-NaN
    covariance, silently, where the loop raises)."""
    f = lambda x, fw, aw: np.cov(x, fweights=fw, aweights=aw)
    fw = RNG.randint(1, 4, size=(5, 4)).astype(float)
    aw = RNG.rand(5, 4) + 0.1
    # (NumPy's cov multiplies float fweights by aweights IN PLACE: the oracle gets copies)
    assert_tree_close(gvmap.vmap(f)(X, fw, aw), oracle(f)(X, fw.copy(), aw))
    cases = [((2, 1), 1.5, None, TypeError, "fweights must be integer in example 2"),
             ((3, 0), None, -0.5, ValueError, "aweights cannot be negative in example 3"),
             ((1, 2), -1.0, -0.5, ValueError, "fweights cannot be negative in example 1"),
             ((4, 0), np.nan, None, TypeError, "fweights must be integer in example 4")]
    for (i, j), bad_f, bad_a, error, message in cases:
        f2, a2 = fw.copy(), aw.copy()
        if bad_f is not None:
            f2[i, j] = bad_f
        if bad_a is not None:
            a2[i, j] = bad_a
        with pytest.raises(error):
            oracle(f)(X, f2.copy(), a2)
        with pytest.raises(error, match=message):
            gvmap.vmap(f)(X, f2, a2)
    late, early = fw.copy(), aw.copy()
    late[4, 0], early[1, 3] = 2.5, -1.0   # a TypeError in example 4, a ValueError in 1
    with pytest.raises(ValueError, match="aweights cannot be negative in example 1"):
        gvmap.vmap(f)(X, late, early)
    zero = fw.copy()
    zero[3] = 0.0
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero.* in example 3"):
        gvmap.vmap(lambda x, w: np.cov(x, fweights=w))(X, zero)


@pytest.mark.parametrize("kwargs,error", [
    (dict(fweights=[1, 2.5, 1, 1]), TypeError), (dict(fweights=[1, -1, 1, 1]), ValueError),
    (dict(aweights=[1.0, -1.0, 1.0, 1.0]), ValueError), (dict(aweights=[1.0, 1.0]), RuntimeError),
    (dict(fweights=[[1, 1, 1, 1]]), RuntimeError), (dict(aweights=[0.0] * 4), ZeroDivisionError),
])
def test_constant_weights_are_checked_as_numpy_checks_them(kwargs, error):
    with pytest.raises(error):
        np.cov(X[0], **kwargs)
    with pytest.raises(error):
        gvmap.vmap(lambda x: np.cov(x, **kwargs))(X)


def test_traced_weight_shapes_are_checked():
    with pytest.raises(RuntimeError, match="incompatible numbers of samples and aweights"):
        gvmap.vmap(lambda x, w: np.cov(x, aweights=w))(X, np.ones((5, 3)))


def test_pad_empty_is_zeros_around_the_original(backend):
    got = gvmap.device_get(gvmap.vmap(lambda x: np.pad(x, (1, 2), "empty"))(X))
    assert got.shape == (5, 6, 7)
    np.testing.assert_array_equal(got[:, 1:-2, 1:-2], X)
    inner = np.zeros(got.shape, bool)
    inner[:, 1:-2, 1:-2] = True
    assert not got[~inner].any()


def test_pad_linear_ramp_of_ints_takes_numpy_formula_when_a_step_is_zero(backend):
    """NumPy's linspace switches the WHOLE array to ``y / num * delta`` when any step is 0
    (here an edge equal to the end value: the first example has one, the second none);
    after the floor of an integer ramp the two formulas can differ, so gvmap makes the
    same choice per example."""
    x = np.array([[[0, 7, 9], [3, 0, 11]], [[1, 7, 9], [3, 2, 11]]], np.int64)
    f = lambda v: np.pad(v, 3, "linear_ramp", end_values=0)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


@pytest.mark.parametrize("f,error,words", [
    (lambda x, k: np.pad(x, 1, "mean", stat_length=k), TypeError, "stat_length picks"),
    (lambda x, k: np.pad(x, 1, lambda *a: None), NotImplementedError, "function as mode"),
    (lambda x, k: np.pad(x, 1, "nearest"), ValueError, "not supported"),
    (lambda x, k: np.pad(x, 1, "maximum", stat_length=0), ValueError, "stat_length of 0"),
    (lambda x, k: np.pad(x, 1, "mean", foo=1), ValueError, "unsupported keyword"),
    (lambda x, k: np.pad(x, 1, "linear_ramp", end_values=x[0]), NotImplementedError, "scalar only"),
    (lambda x, k: np.var(x, ddof=k), NotImplementedError, "ddof must be a Python number"),
    (lambda x, k: np.var(x, ddof=1, correction=1), ValueError, "can't be provided"),
])
def test_refusals_name_the_argument_and_a_rewrite(f, error, words):
    with pytest.raises(error, match=words):
        gvmap.vmap(f)(X, np.arange(5))


def test_degrees_of_freedom_warnings_are_numpy_s_where_the_count_is_known():
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        gvmap.vmap(lambda x: np.cov(x, aweights=[1.0, 1.0, 1.0, 1.0], ddof=4))(X)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        gvmap.vmap(lambda x: np.var(x, where=np.array([True] + [False] * 3), axis=1, ddof=1))(X)
