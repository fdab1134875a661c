"""Regression tests for what the applied corpus (tests/test_corpus_applied.py) found: each
fails on the code before its fix, and checks gvmap against the loop oracle."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import gvmap
from gvmap.errors import ExampleValueError
from oracle import assert_tree_close, oracle

rng = np.random.RandomState(20261205)

BINS = np.array([-1.0, 0.0, 1.0])
QS = np.array([10, 50, 90])
KTH = np.array([1, 3])
COUNTS = np.array([1, 2, 0, 3, 1, 1])


@pytest.mark.parametrize("name,f", [
    ("digitize", lambda x: (np.digitize(x, BINS), np.digitize(x, BINS[::-1], right=True))),
    ("histogram_edges", lambda x: np.histogram(x, bins=BINS)),
    ("histogram_range_array", lambda x: np.histogram(x, bins=4, range=BINS[[0, 2]] * 2)),
    ("percentile", lambda x: np.percentile(x, QS)),
    ("quantile", lambda x: np.quantile(x, QS / 100, method="midpoint")),
    ("partition", lambda x: np.partition(x, KTH)[KTH]),
    ("repeat_counts", lambda x: np.repeat(x, COUNTS)),
    ("tile_reps", lambda x: np.tile(x, np.array([2, 1]))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_closed_over_arrays_are_constants(backend, name, f):
    """A closed-over NumPy array is a known value while tracing: as bins, q, kth, repeats
    or reps it is the constant it is. These were refused as traced values (bins "would
    differ per example")."""
    x = np.round(rng.randn(4, 6) * 2, 1)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


def test_repeat_with_traced_counts_is_refused():
    with pytest.raises(NotImplementedError, match=r"numpy\.repeat with traced counts.*constant array"):
        gvmap.vmap(lambda v, r: np.repeat(v, r))(np.ones((2, 3)), np.ones((2, 3), int))


HIST_INPUTS = {
    "float64": rng.randn(5, 20),
    "float32": rng.randn(5, 20).astype(np.float32),
    "float16": rng.randn(4, 9).astype(np.float16),
    "int": rng.randint(-5, 9, (5, 3, 4)),
    "one_value_rows": np.concatenate([rng.randn(4, 6), np.full((1, 6), 2.5)]),
    "int_one_value": np.full((3, 5), 7),
    "bool": rng.rand(4, 6) > 0.5,
}


@pytest.mark.parametrize("kind", list(HIST_INPUTS))
@pytest.mark.parametrize("call", [
    lambda x: np.histogram(x),
    lambda x: np.histogram(x, bins=5),
    lambda x: np.histogram(x, 4, density=True),
    lambda x: np.histogram(x, 3, weights=np.ones(x.shape) * 2.0),
    lambda x: np.histogram(x, 1),
], ids=["default", "bins5", "density", "weights", "bins1"])
def test_histogram_range_from_the_data(backend, kind, call):
    """np.histogram(x, bins=n) without range: the edges are NumPy's, from each example's
    min and max (widened by 0.5 when equal), in NumPy's dtype; it was refused."""
    x = HIST_INPUTS[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's bool -> uint8 notice
        expected = oracle(call)(x)
    assert_tree_close(gvmap.vmap(call)(x), expected)


def test_histogram_range_from_the_data_raises_numpys_errors(backend):
    x = rng.randn(4, 5)
    x[2, 1] = np.nan
    with pytest.raises(ExampleValueError, match="autodetected range is not finite in example 2"):
        gvmap.vmap(lambda v: np.histogram(v, 3))(x)
    x = np.ones((3, 8))
    x[1, :3] += np.array([0, 2.3e-16, 4.5e-16])
    with pytest.raises(ValueError):
        np.histogram(x[1], 10)
    with pytest.raises(ExampleValueError, match="Cannot create 10 finite-sized bins in example 1"):
        gvmap.vmap(lambda v: np.histogram(v, 10))(x)


V = 6


def one_hot(t):
    oh = np.zeros((len(t), V))
    oh[np.arange(len(t)), t] = 1.0
    return oh


def one_hot_from_the_end(t):
    oh = np.zeros((len(t), V))
    oh[np.arange(len(t)), -1 - t] = 2.0
    return oh


def confusion(a, b):
    cm = np.zeros((3, 3), dtype=np.intp)
    np.add.at(cm, (a, b), 1)
    return cm


def confusion_weighted_max(a, b, w):
    cm = np.full((3, 3), -np.inf)
    np.maximum.at(cm, (a, b), w)
    return cm


def set_repeated_pairs(a, b, v):
    m = np.zeros((3, 4))
    m[a, b] = v  # repeated (a, b): the last write stays
    return m


def set_with_int_and_slice(i, j, v):
    m = np.zeros((2, 3, 4))
    m[i, j, :] = v
    m[1, j] += 1
    return m


@pytest.mark.parametrize("f,args", [
    (one_hot, (rng.randint(0, V, (4, 5)),)),
    (one_hot_from_the_end, (rng.randint(0, V, (4, 5)),)),
    (confusion, (rng.randint(0, 3, (4, 9)), rng.randint(0, 3, (4, 9)))),
    (confusion_weighted_max, (rng.randint(0, 3, (4, 9)), rng.randint(0, 3, (4, 9)), rng.randn(4, 9))),
    (set_repeated_pairs, (rng.randint(0, 3, (4, 7)), rng.randint(-4, 4, (4, 7)), rng.randn(4, 7))),
    (set_with_int_and_slice, (rng.randint(0, 2, (4, 2)), rng.randint(0, 3, (4, 2)), rng.randn(4, 2, 4))),
], ids=lambda v: getattr(v, "__name__", ""))
def test_traced_indices_on_several_leading_axes(plan_kind, f, args):
    """``oh[np.arange(n), tokens] = 1`` (the one-hot idiom) and ``np.add.at(cm, (i, j), 1)``:
    traced indices on the first k axes are one scatter into x with those axes merged. They
    were refused ("only for integer indices along the first axis")."""
    assert_tree_close(gvmap.vmap(f)(*args), oracle(f)(*args))


def test_traced_indices_on_several_axes_keep_numpys_index_errors():
    with pytest.raises(IndexError, match="index 6 is out of bounds for an axis of size 6"):
        gvmap.vmap(one_hot)(np.array([[0, 6, 1]]))
    with pytest.raises(IndexError, match="index -4 is out of bounds for an axis of size 3"):
        gvmap.vmap(confusion)(np.array([[0, 1]]), np.array([[1, -4]]))
    with pytest.raises(IndexError, match=r"could not be broadcast together with shapes \(3,\) \(4,\)"):
        gvmap.vmap(lambda t: set_repeated_pairs(np.arange(3), t, 1.0))(np.zeros((2, 4), int))


def test_general_eig_is_refused_naming_eigh():
    """np.linalg.eig / eigvals (complex in general) were refused with the generic "cannot
    trace"; the message now names the symmetric rewrite, which batches."""
    A = rng.randn(3, 4, 4)
    S = A + A.transpose(0, 2, 1)
    for fn, rewrite in [(np.linalg.eig, r"np\.linalg\.eigh\(a\)"), (np.linalg.eigvals, r"np\.linalg\.eigvalsh\(a\)")]:
        with pytest.raises(NotImplementedError, match=r"eigenvalues may be complex.*" + rewrite):
            gvmap.vmap(fn)(S)
    assert_tree_close(gvmap.vmap(np.linalg.eigvalsh)(S), oracle(np.linalg.eigvalsh)(S))
    CONST = np.diag([1.0, 2.0])  # on a closed-over constant NumPy answers, as before
    assert_tree_close(gvmap.vmap(lambda x: x * np.linalg.eigvals(CONST))(np.ones((2, 2))),
                      np.ones((2, 2)) * [1.0, 2.0])


def test_one_argument_where_names_a_fixed_shape_rewrite():
    def fill(t, means):
        rows, cols = np.where(np.isnan(t))
        t = t.copy()
        t[rows, cols] = means[cols]
        return t

    def fill_rewrite(t, means):
        return np.where(np.isnan(t), means, t)

    t = rng.randn(3, 4, 2)
    t[rng.rand(3, 4, 2) < 0.3] = np.nan
    means = rng.randn(3, 2)
    with pytest.raises(NotImplementedError, match=r"t = np\.where\(np\.isnan\(t\), means, t\)"):
        gvmap.vmap(fill)(t, means)
    assert_tree_close(gvmap.vmap(fill_rewrite)(t, means), oracle(fill)(t, means))


@pytest.mark.parametrize("f", [
    lambda v: np.roll(v, -np.argmax(v)),
    lambda v: np.roll(v, np.argmax(v) - 20),
    lambda v: np.roll(v.reshape(2, 4), np.argmin(v), axis=1),
    lambda v: np.roll(v.reshape(2, 4), (np.argmin(v), 1), axis=(1, 0)),
    lambda v: np.roll(v.reshape(2, 4), np.argmin(v)),
], ids=["peak_first", "negative", "axis", "two_axes", "flattened"])
def test_roll_by_a_traced_shift(plan_kind, f):
    """np.roll(x, -np.argmax(x)) (align on the peak) keeps x's shape: one gather. It was
    refused as a traced Python index."""
    x = rng.randn(5, 8)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


def test_traced_slice_bounds_name_fixed_length_rewrites():
    """x[i:i + 3] with a traced i has a data-dependent length (NumPy shortens it at the
    end): refused, naming rewrites that batch."""
    from gvmap.errors import TracerConversionError

    x = rng.randn(5, 8)
    x[0, -1] = 9.0  # the peak at the end: the slice would be shorter there
    with pytest.raises(TracerConversionError, match=r"x\[i:j\] with a traced bound.*mode='clip'"):
        gvmap.vmap(lambda v: v[np.argmax(v):np.argmax(v) + 3])(x)
    rewrites = [
        lambda v: np.take(v, np.argmax(v) + np.arange(3), mode="clip"),
        lambda v: np.lib.stride_tricks.sliding_window_view(v, 3)[np.minimum(np.argmax(v), 5)],
        lambda v: np.where((np.arange(len(v)) >= np.argmax(v)) & (np.arange(len(v)) < np.argmax(v) + 3), v, 0),
    ]
    for f in rewrites:
        assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


TOKENS = np.array([[1, 1, 2, 3], [0, 0, 0, 0], [4, 3, 2, 1]])
VALUES_TABLE = np.array([1, 2, 2])


@pytest.mark.parametrize("f,message", [
    (lambda t: len(set(t)), r"Python's set\(\) of traced values.*\(s\[1:\] != s\[:-1\]\)\.sum\(\) \+ 1"),
    (lambda t: len({v: 1 for v in t}), r"hash\(\) of a traced NumPy scalar.*np\.add\.at\(counts, x, 1\)"),
    (lambda t: __import__("collections").Counter(t).most_common(1)[0][1], r"hash\(\) of a traced NumPy scalar"),
])
def test_hashing_a_traced_scalar_is_refused(f, message):
    """A traced scalar hashed by identity made len(set(tokens)) the length of tokens and
    Counter(tokens) count every element once: silently wrong answers ([4, 4, 4] for
    [3, 1, 4]). NumPy hashes a scalar by its value, which is not known while tracing."""
    from gvmap.errors import TracerConversionError

    with pytest.raises(TracerConversionError, match=message):
        gvmap.vmap(f)(TOKENS)


def test_hashing_follows_numpy_for_arrays_and_known_values():
    with pytest.raises(TypeError, match="unhashable type: 'numpy.ndarray'"):
        gvmap.vmap(lambda t: hash(t))(TOKENS)
    f = lambda t: t * len(set(VALUES_TABLE)) + {VALUES_TABLE[0]: 5}[1]  # known: by value
    assert_tree_close(gvmap.vmap(f)(TOKENS), oracle(f)(TOKENS))
    distinct = lambda t: (lambda s: (s[1:] != s[:-1]).sum() + 1)(np.sort(t))  # the rewrite
    assert_tree_close(gvmap.vmap(distinct)(TOKENS), oracle(lambda t: len(set(t)))(TOKENS).astype(np.intp))


def _alias_then_add(make):
    def f(v):
        total = make(v)
        start = total  # a NumPy scalar: `total += 1` rebinds total; a 0-d array: both change
        total += 1
        return start, total
    return f


@pytest.mark.parametrize("name,make", [
    ("np.sum", np.sum), ("np.max", np.max), ("np.argmax", np.argmax), ("np.mean", np.mean),
    ("np.std", np.std), ("np.prod", np.prod), ("np.median", np.median),
    ("np.dot", lambda v: np.dot(v, v)), ("norm", np.linalg.norm),
    ("det", lambda v: np.linalg.det(v.reshape(2, 2))), ("np.trapezoid", np.trapezoid),
    ("np.percentile", lambda v: np.percentile(v, 50)), ("np.average", np.average),
    ("np.ptp", np.ptp), ("np.round", lambda v: np.round(v[0], 2)), ("np.take", lambda v: np.take(v, 1)),
    # NumPy's 0-d ARRAYS: += writes through every name
    ("np.where", lambda v: np.where(v[0] > 0, v[0], 0.0)), ("np.select", lambda v: np.select([v[0] > 0], [v[0]])),
    ("np.piecewise", lambda v: np.piecewise(v[0], [v[0] > 0], [1.0, -1.0])),
    ("np.asarray of a scalar", lambda v: np.asarray(v[0])), ("np.asarray of np.sum", lambda v: np.asarray(np.sum(v))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_numpy_functions_return_numpy_scalars(name, make):
    """np.sum(x), np.max(x), np.dot(v, v)... called in the traced code (the rebound np) gave
    0-d arrays, where NumPy gives scalars (and the __array_function__ path did): `start =
    total; total += 1` then changed start too, a silently wrong answer. NumPy's 0-d arrays
    (np.where, np.asarray of a scalar...) stay arrays."""
    f = _alias_then_add(make)
    x = rng.randn(3, 4)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


def test_running_total_appended_per_step():
    def running(x):
        s = np.sum(x[:1])
        out = []
        for v in x[1:]:
            s += v
            out.append(s)
        return np.array(out), np.sum(x > 0) + 0.5, np.isscalar(np.max(x))

    x = rng.randn(4, 6)
    assert_tree_close(gvmap.vmap(running)(x), oracle(running)(x))


def test_isinstance_of_a_traced_scalar_answers_as_numpys():
    """np.float64 is a Python float and a numbers.Real, np.int64 a numbers.Integral: a
    traced scalar was neither, so the traced code took the other branch."""
    import numbers

    def f(v):
        s, i = v[0], np.argmax(v)
        return (v * (2.0 if isinstance(s, float) else 3.0),
                np.int64(isinstance(s, numbers.Real)) + 2 * isinstance(i, numbers.Integral)
                + 4 * isinstance(v, float) + 8 * isinstance(s, (int, str)) + 16 * isinstance(s, np.floating))

    x = rng.randn(3, 4)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))
