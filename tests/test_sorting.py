"""Sorting's rules beyond the sample table: the tie rule (stable on every backend), NaN
order (NaNs last, whatever their sign bit), in-place ``x.sort()``, and the refusals of
functions whose output shape or parameters would depend on the data."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle


def test_argsort_ties_follow_the_stable_order(backend):
    """gvmap's argsort is stable whatever kind= says: equal values keep their order, which
    is np.argsort(kind="stable")'s answer (NumPy's default may order ties otherwise)."""
    x = np.tile(np.array([2, 0, 1, 0, 2, 1, 0, 2, 1, 1, 0, 2, 0, 1, 2, 0, 2, 1, 0, 1] * 2,
                         np.float64), (3, 1))
    got = gvmap.device_get(gvmap.vmap(np.argsort)(x))
    np.testing.assert_array_equal(got, np.argsort(x, axis=-1, kind="stable"))
    got = gvmap.device_get(gvmap.vmap(lambda v: np.argsort(v, kind="quicksort"), in_axes=1)(x.T))
    np.testing.assert_array_equal(got, np.argsort(x, axis=-1, kind="stable"))


def test_nans_sort_last_whatever_their_sign(backend):
    """NumPy sorts every NaN last, a NaN with its sign bit set (x86's 0.0 / 0.0) too, and
    argsort keeps the NaNs in their order."""
    neg_nan = -np.abs(np.float64(np.nan))
    assert np.signbit(neg_nan)
    x = np.array([[1.0, neg_nan, -np.inf, np.nan, 0.5, neg_nan, -2.0]] * 2)
    f = lambda v: (np.sort(v), np.argsort(v), np.median(v), np.nanmedian(v), np.sort(v[None], axis=1))
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))
    one_d = gvmap.device_get(gvmap.jit(np.sort)(x[0]))  # unbatched: a 1-D sort
    np.testing.assert_array_equal(np.isnan(one_d), [False] * 4 + [True] * 3)


def test_sort_method_sorts_a_computed_value_in_place(backend):
    def f(v):
        y = v * 2
        z = y[1:]         # a view of y sees the sort, as in NumPy
        y.sort()
        return y, z

    x = np.random.RandomState(0).randn(4, 5)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


def test_sort_method_on_an_argument_is_refused_with_the_rewrite(backend):
    x = np.random.RandomState(0).randn(4, 5)
    with pytest.raises(TypeError, match=r"x\.sort\(\).*argument.*x = np\.sort\(x\)"):
        gvmap.vmap(lambda v: v.sort())(x)
    assert_tree_close(gvmap.vmap(lambda v: np.sort(v))(x), np.sort(x, axis=1))


@pytest.mark.parametrize("name,fn", [
    ("unique", lambda v: np.unique(v)),
    ("nonzero", lambda v: np.nonzero(v)),
    ("nonzero", lambda v: v.nonzero()),
    ("argwhere", lambda v: np.argwhere(v > 0)),
    ("flatnonzero", lambda v: np.flatnonzero(v)),
    ("unique_values", lambda v: np.unique_values(v)),
])
def test_data_dependent_shapes_are_refused_naming_why(name, fn):
    with pytest.raises(NotImplementedError, match=rf"numpy\.{name}.*shape depends on the values"):
        gvmap.vmap(fn)(np.ones((3, 4)))


def test_a_traced_boolean_mask_is_refused_naming_why():
    with pytest.raises(NotImplementedError, match="data-dependent shape.*np.where"):
        gvmap.vmap(lambda v: v[v > 0])(np.ones((3, 4)))


def test_bincount_of_traced_integers_without_minlength_is_refused_and_the_rewrite_works(backend):
    x = np.array([[0, 3, 1, 1], [2, 2, 0, 3]])
    with pytest.raises(NotImplementedError, match=r"without minlength.*max\(x\) \+ 1.*depends "
                                                  r"on the data.*minlength=m"):
        gvmap.vmap(lambda v: np.bincount(v))(x)
    got = gvmap.vmap(lambda v: (v[:, None] == np.arange(4)).sum(axis=0))(x)
    assert_tree_close(got, np.stack([np.bincount(r, minlength=4) for r in x]))
    # a bound the dtype guarantees: uint8 values are below 256
    u = x.astype(np.uint8)
    f = lambda v: np.bincount(v, minlength=256)
    assert_tree_close(gvmap.vmap(f)(u), oracle(f)(u))


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint16])
def test_bincount_with_minlength_counts_that_many_bins_checked_when_it_runs(plan_kind, dtype):
    """np.bincount(x, minlength=m) of traced ints: m bins, NumPy's result wherever its values
    lie in [0, m) (HOG orientations, class labels); a negative value is NumPy's ValueError and
    a value >= m, where NumPy's result would be longer, an ExampleShapeError, each naming
    the first failing example."""
    from gvmap.errors import ExampleShapeError, ExampleValueError

    x = np.array([[0, 3, 1, 1], [2, 2, 0, 3], [3, 3, 3, 3]]).astype(dtype)
    for f in (lambda v: np.bincount(v, minlength=4),
              lambda v: np.bincount(v, weights=v * 0.5 + 1, minlength=5)):
        assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))
    f = lambda v: np.bincount(v, minlength=3)
    with pytest.raises(ExampleShapeError, match=r"numpy\.bincount: a value >= minlength=3 "
                       r"\(NumPy's result would have max\(x\) \+ 1 bins.* in example 0.*another "
                       r"shape.*np\.clip\(x, 0, 2\)"):
        gvmap.vmap(f)(x)
    assert issubclass(ExampleShapeError, NotImplementedError)
    if dtype != np.uint16:
        y = x.copy()
        y[2, 1] = -1
        with pytest.raises(ExampleValueError, match=r"'list' argument must have no negative "
                                                    r"elements in example 2"):
            gvmap.vmap(lambda v: np.bincount(v, minlength=4))(y)


def test_bincount_of_traced_floats_is_numpys_type_error():
    with pytest.raises(TypeError, match=r"Cannot cast array data from dtype\('float64'\)"):
        gvmap.vmap(lambda v: np.bincount(v, minlength=3))(np.ones((2, 3)))


def test_bincount_of_an_array_made_from_constants_with_traced_weights(plan_kind):
    """np.bincount(np.array([0, 1, 1]), weights=w): x is known (made from constants), so
    the length is too; it was refused as a traced x."""
    f = lambda v: (np.bincount(np.array([0, 1, 1, 3]), weights=v, minlength=5),
                   np.bincount(np.arange(4) % 2, weights=v * 2))
    x = np.random.RandomState(3).randn(3, 4)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


@pytest.mark.parametrize("fn,match", [
    (lambda v, q: np.quantile(v, q), "traced q"),
    (lambda v, q: np.histogram(v, bins=3, range=(q, 1.0)), "traced bins or range"),
    (lambda v, q: np.histogram(v, bins="auto", range=(0, 1)), "chooses the bins"),
    (lambda v, q: np.digitize(v, np.sort(v)), "traced bins"),
    (lambda v, q: np.partition(v, q.astype(int)), "traced kth"),
])
def test_parameters_gvmap_needs_when_tracing_are_refused(fn, match):
    x, q = np.random.RandomState(0).randn(3, 5), np.full(3, 0.5)
    with pytest.raises(NotImplementedError, match=match):
        gvmap.vmap(fn)(x, q)


def test_numpy_validation_errors_are_numpys():
    x = np.ones((3, 5))
    with pytest.raises(ValueError, match=r"'cubic' is not a valid method.*'inverted_cdf'"):
        gvmap.vmap(lambda v: np.quantile(v, 0.5, method="cubic"))(x)
    with pytest.raises(ValueError, match=r"range \[0, 1\]"):
        gvmap.vmap(lambda v: np.quantile(v, 1.5))(x)
    with pytest.raises(ValueError, match=r"kth\(=7\) out of bounds"):
        gvmap.vmap(lambda v: np.partition(v, 7))(x)
    with pytest.raises(ValueError, match="monotonically"):
        gvmap.vmap(lambda v: np.digitize(v, [0.0, 2.0, 1.0]))(x)
    with pytest.raises(ValueError, match="side must be"):
        gvmap.vmap(lambda v: np.searchsorted(v, 0.5, side="middle"))(x)


def test_sort_is_one_batched_call():
    """The batch axis is one more axis of one sort, never a loop over examples."""
    graph = gvmap.make_graph(gvmap.vmap(lambda v: (np.sort(v), np.median(v))))(np.ones((7, 5)))
    text = str(graph)
    assert text.count("sort[") == 2, text  # np.sort and the median's: one equation each
