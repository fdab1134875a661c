"""Python's ``max`` / ``min`` / ``any`` / ``all`` of traced values (``gvmap.pybuiltins``),
against the loop oracle on every backend and plan kind: Python's rule, not NumPy's (the
first item is kept unless a later one compares strictly greater, so a NaN counts only
where it comes first and of ``-0.0`` / ``0.0`` the first wins), ``key=`` and ``default=``,
items that are Python numbers, NumPy scalars, or arrays picked whole, and the result's
type; the loop's errors where the builtin has no answer."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gvmap
from oracle import assert_tree_close, check_vmap, oracle, tree_leaves

RNG = np.random.RandomState(5)
NAN, INF = np.nan, np.inf
# rows with NaN first / later / everywhere, signed-zero ties, infinities and plain ties
EDGES = np.array([
    [NAN, 1.0, 2.0, -1.0],
    [1.0, NAN, 2.0, -1.0],
    [-0.0, 0.0, -0.0, 0.0],
    [0.0, -0.0, 0.0, -0.0],
    [NAN, NAN, NAN, NAN],
    [-INF, INF, 3.0, INF],
    [2.0, 5.0, 5.0, -7.0],
    [1.0, 2.0, 3.0, NAN],
    [-1.0, -1.0, -2.0, -2.0],
])


# vmap(f) against the loop: the first of -0.0 / 0.0, and NaN where the loop has it
check = functools.partial(check_vmap, quiet=True, signs=True)


def _pairs(v):
    return (max(v[0], v[1]), min(v[0], v[1]), max(v[1], v[0]), min(v[2], v[3], v[0]),
            max(v[0], v[1], v[2], v[3]), max(0.0, v[1]), min(v[3], 0.0))


def _of_array(v):
    return max(v), min(v), max(v[1:]), min(v[::-1])


def _keys(v):
    best = max(range(len(v)), key=lambda j: v[j])     # argmax, Python's first-wins rule
    low = min(range(4), key=v.__getitem__)
    return best, low, max(v, key=abs), min(v[0], v[1], key=lambda s: -s), max(v, default=7.0)


@pytest.mark.parametrize("f", [_pairs, _of_array, _keys], ids=lambda f: f.__name__)
def test_max_and_min_follow_python_on_edge_values(plan_kind, f):
    check(f, EDGES)
    check(f, EDGES.astype(np.float32))
    check(f, RNG.randn(7, 4))
    check(f, np.round(RNG.randn(4, 7) * 3), in_axes=1)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_batch_sizes(plan_kind, n):
    check(_pairs, RNG.randn(n, 4))
    check(_of_array, RNG.randint(-5, 5, (n, 6)))


def test_integers_bools_and_python_numbers(plan_kind):
    ints = RNG.randint(-4, 4, (7, 5))
    check(lambda v: (max(v), min(v), max(v[0], v[1], 0), min(v[2], 3),
                     max(range(5), key=lambda j: v[j])), ints)
    check(lambda v: (max(v > 0), min(v > 0), max(v[0] > 0, v[1] > 0)), ints)
    # Python numbers stay Python numbers: math.sqrt gives floats, and max keeps the type
    got = gvmap.vmap(lambda v: (max(math.sqrt(v[0]), 0.5), isinstance(max(math.sqrt(v[0]), 0.5),
                                                                       float)))(RNG.rand(5, 2))
    assert np.asarray(got[1]).all()
    check(lambda v: max(math.sqrt(v[0]), math.sqrt(v[1]), 0.5) * v.astype(np.float32), RNG.rand(5, 2))


def test_arrays_picked_whole_by_key(plan_kind):
    x = RNG.randn(6, 3, 4)
    check(lambda m: (min(m, key=lambda r: r.sum()), max(list(m), key=lambda r: r[0] * r[1])), x)
    check(lambda m, w: max(m[0], m[1], key=lambda r: r @ w), x, RNG.randn(4), in_axes=(0, None))


def test_dynamic_program_with_builtin_max(plan_kind):
    """Needleman–Wunsch as people write it: F[i, j] = max(match, delete, insert)."""
    subst = np.array([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]])

    def align(a, b):
        F = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
        F[:, 0] = -2 * np.arange(len(a) + 1)
        F[0, :] = -2 * np.arange(len(b) + 1)
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                F[i, j] = max(F[i - 1, j - 1] + subst[a[i - 1], b[j - 1]],
                              F[i - 1, j] - 2, F[i, j - 1] - 2)
        return F[-1, -1], F

    check(align, RNG.randint(0, 3, (7, 5)), RNG.randint(0, 3, (7, 4)))


def _truths(v):
    return (any(v > 1), all(v > -1), any(v), all(v), any(e > 0.5 for e in v),
            all([v[0] != 0, True]), any([False, v[1] < 0]), any([False, False]),
            all(x > -INF for x in v))


def test_any_and_all(plan_kind):
    for x in (EDGES, RNG.randn(7, 4), np.zeros((3, 4)), RNG.randint(0, 2, (5, 4)),
              RNG.randn(0, 4)):
        check(_truths, x)
    got = gvmap.vmap(lambda v: isinstance(any(v > 0), bool) and isinstance(all(v > 0), bool))(EDGES)
    assert np.asarray(got).all()  # Python bools, as the builtins return
    check(lambda v: (any(v > 0), all(v != 0)), RNG.randn(5, 4, 1))  # one-element items


def test_nested_vmap(plan_kind):
    x = RNG.randn(3, 5, 4)
    expected = np.stack([[max(r[0], r[1], r[3]) + min(r) for r in m] for m in x])
    got = gvmap.vmap(gvmap.vmap(lambda r: max(r[0], r[1], r[3]) + min(r)))(x)
    assert_tree_close(gvmap.device_get(got), expected)


def test_errors_are_the_loops():
    x = RNG.randn(5, 3, 4)
    # rows of several elements have no truth value in the loop either: the refusal names NumPy's
    for fn in (lambda m: max(m), lambda m: any(m > 0), lambda m: min(m[0], m[1])):
        with pytest.raises(ValueError, match="ambiguous.*Use NumPy.s elementwise form"):
            gvmap.vmap(fn)(x)
    with pytest.raises(ValueError, match="empty"):  # Python's words differ by version
        gvmap.vmap(lambda m: max(m[0, :0]))(x)
    with pytest.raises(TypeError, match="default"):
        gvmap.vmap(lambda m: max(m[0, 0], m[0, 1], default=0.0))(x)
    with pytest.raises(TypeError, match="differ in shape"):
        gvmap.vmap(lambda m: max(m[0], m[1, 0], key=lambda r: np.sum(r)))(x)
    with pytest.raises(TypeError, match=r"pick an index instead, j = np.argmax"):
        gvmap.vmap(lambda m: max(["a", "b"], key=lambda s: m[0, 0] if s == "a" else m[0, 1]))(x)
    # no traced item: the builtin itself, values and errors
    assert gvmap.vmap(lambda m: m * max([], default=2.0) + min(3, 1, 2))(x).shape == x.shape
    with pytest.raises(ValueError, match="empty"):
        gvmap.vmap(lambda m: m * max([]))(x)


def _conversions(v):
    as_floats = [float(a) for a in v]                  # Python floats, as in the loop
    i = int(np.argmax(v))                              # an index to compute with
    k = int(v[0] * 10)                                 # truncated toward zero
    return (np.array(as_floats), v[i], k, int(v[1] > 0) + 1, float(v[2]) * v.astype(np.float32),
            int(k) // 3, type(float(v[0])) is float, isinstance(int(v[0]), int),
            float(3), int("7", 8), float("inf") > v[0], np.zeros(2, dtype=float).dtype == np.float64,
            np.ones(2, int), {float: 1, int: 2}[type(float(v[1]))])


def test_float_and_int_of_traced_values(plan_kind):
    """float(x[0]) / int(np.argmax(x)): traced Python numbers (weak promotion downstream,
    int a usable index), as in the loop; float and int stay the builtins everywhere else."""
    for x in (RNG.randn(7, 4) * 3, RNG.randn(5, 4).astype(np.float32), RNG.randint(-9, 9, (5, 4)),
              RNG.randn(0, 4)):
        check(_conversions, x)
    check(lambda v: (int(v[0]), float(v[1]), int(v[0] > 0)), EDGES[[2, 3, 6, 8]])  # -0.0


def _items(v):
    M = v.reshape(2, -1)
    first = v[0].item()                                # a Python number, as float(v[0])
    return (v * first, v.max().item() + 1, M.item(1, 0), M.item(3), M.item((0, 1)) * 2,
            sum(v.tolist()), max(v.tolist()), min(M.tolist()[1]), type(first) is float,
            [type(a) for a in v.tolist()] == [type(v[0].item())] * len(v))


def test_item_and_tolist_of_traced_values(plan_kind):
    """x.item() / x.tolist(): traced Python numbers as float() / int() give (were refused
    as concrete-value requests): sum(x.tolist()) and max(x.tolist()) batch as the loop's."""
    for x in (RNG.randn(7, 4) * 3, RNG.randn(5, 4).astype(np.float32), RNG.randint(-9, 9, (5, 4)),
              RNG.randint(0, 255, (5, 4)).astype(np.uint8), RNG.randn(5, 4) > 0):
        check(_items, x)
    with pytest.raises(ValueError, match="can only convert an array of size 1"):
        gvmap.vmap(lambda v: v.item())(EDGES)
    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(lambda v: v.reshape(2, 2).item(4))(EDGES[:, :4])
    with pytest.raises(TypeError, match=r"\.item\(\)"):      # a uint64's Python int may pass int64
        gvmap.vmap(lambda v: v.astype(np.uint64)[0].item())(EDGES)


def test_float_and_int_errors_are_the_loops():
    with pytest.raises(ValueError, match="cannot convert float NaN to integer"):
        gvmap.vmap(lambda v: int(v[0]))(EDGES)
    with pytest.raises(OverflowError, match="cannot convert float infinity to integer"):
        gvmap.vmap(lambda v: int(v[1]))(EDGES[5:])
    with pytest.raises(TypeError, match="only 0-dimensional arrays can be converted"):
        gvmap.vmap(lambda v: float(v))(EDGES)
    with pytest.raises(TypeError, match="only 0-dimensional arrays can be converted"):
        gvmap.vmap(lambda v: int(v[:2]))(EDGES)


def test_an_integer_beyond_int64_raises_naming_the_example():
    """The loop's Python int holds int(1e30); gvmap's traced ones are int64, so it raises
    rather than wrap (math.floor / round made such ints too, silently wrapped before)."""
    from gvmap.errors import BeyondInt64Error

    x = np.array([[3.0, 1.0], [-1e30, 2.0], [1e30, 0.0]])
    for f, name in ((lambda v: int(v[0]), "builtins.int"), (lambda v: math.floor(v[0]), "math.floor"),
                    (lambda v: round(v[0]), "builtins.round")):
        with pytest.raises(BeyondInt64Error, match=rf"{name}: .*int64.* in example 1; keep it a float"):
            gvmap.vmap(f)(x)
        assert issubclass(BeyondInt64Error, OverflowError)
    check(lambda v: int(v[0]), np.array([[-2.0 ** 63], [2.0 ** 62]]))  # the edges that fit


_SPECIAL = [np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 2.0, 5e-324, -5e-324,
            1.7976931348623157e308]


@given(rows=st.lists(st.lists(st.sampled_from(_SPECIAL), min_size=4, max_size=4),
                     min_size=1, max_size=6),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_folds_follow_python_on_random_special_values(rows, dtype):
    """Python's fold over NaNs, signed zeros, subnormals and extremes, every order."""
    x = np.array(rows, dtype=dtype)
    f = lambda v: (max(v), min(v), max(v[0], v[1], v[2]), min(v[3], v[1]), max(v, key=abs),
                   min(range(4), key=lambda j: v[j]), any(v), all(v))
    with np.errstate(all="ignore"):
        got = gvmap.device_get(gvmap.vmap(f)(x))
        expected = oracle(f)(x)
    for g, e in zip(got, expected):
        g, e = np.asarray(g), np.asarray(e)
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)   # NaN where NaN
        if g.dtype.kind == "f":
            np.testing.assert_array_equal(np.signbit(g), np.signbit(e))


# --- sorted() -----------------------------------------------------------------------------
# rows without NaN: signed-zero ties in both orders, infinities, extremes, subnormals, ties
ORDERED = np.array([
    [-0.0, 0.0, -0.0, 0.0, 1.0],
    [0.0, -0.0, 0.0, -0.0, -1.0],
    [-INF, INF, 3.0, INF, -INF],
    [2.0, 5.0, 5.0, -7.0, 2.0],
    [5e-324, -5e-324, 0.0, 1.7976931348623157e308, -1.7976931348623157e308],
    [1.0, 2.0, 3.0, 4.0, 5.0],
    [5.0, 4.0, 3.0, 2.0, 1.0],
])


def _orders(v):
    s = sorted(v)
    return (np.array(s), s[len(s) // 2], sorted(v, reverse=True),
            sorted(v[::-1]), sorted([v[1], v[4], v[0]]), sorted(v, key=abs),
            sorted(v, key=abs, reverse=True), sorted(v, key=lambda a: -a))


def _keyed(v):
    idx = sorted(range(len(v)), key=lambda j: v[j])           # argsort, stable
    top = sorted(range(len(v)), key=lambda j: v[j], reverse=True)[:2]
    pairs = [b for _, b in sorted(zip(v, range(len(v))))]     # tuples: value, then index
    by_two = sorted(range(4), key=lambda j: (v[j] > 0, -v[j]))
    return idx, top, pairs, by_two, sorted(v, key=lambda a: (a * a, a))


@pytest.mark.parametrize("f", [_orders, _keyed], ids=lambda f: f.__name__)
def test_sorted_follows_python_without_nans(plan_kind, f):
    """Stable, with Python's reverse (ties keep their order: the first of -0.0 / 0.0 stays
    first in both directions) and tuple keys compared component by component."""
    check(f, ORDERED)
    with np.errstate(over="ignore"):  # the extremes become infinities
        check(f, ORDERED.astype(np.float32))
    check(f, RNG.randn(7, 5))
    check(f, RNG.randint(-3, 3, (7, 5)))                      # many ties
    check(f, np.round(RNG.randn(5, 6) * 2), in_axes=1)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sorted_batch_sizes(plan_kind, n):
    check(_orders, RNG.randn(n, 5))
    check(lambda v: sorted(v > 0), RNG.randn(n, 5))          # bools: False < True


def test_sorted_picks_items_whole(plan_kind):
    """Rows sorted by a key, items that are tuples (zip), Python numbers kept Python's."""
    m = RNG.randn(6, 4, 3)
    check(lambda r: np.stack(sorted(r, key=lambda row: row.sum())), m)
    check(lambda r: sorted(zip(r[:, 0], r[:, 1]), key=lambda p: p[1]), m)
    check(lambda r: [t * np.float32(2) for t in sorted([float(r[0, 0]), float(r[1, 1])])],
          m.astype(np.float32))                               # Python floats: weak
    check(lambda r: sorted([r[0, 0], 2.0, r[1, 1], -1.0])[1], m)
    check(lambda r: sorted(r[:, 0], key=lambda a: 1.0)[0], m)     # constant keys: as given
    check(lambda r: [v for _, v in sorted({"b": r[0, 0], "a": r[1, 1], "c": r[2, 0]}.items())], m)


def test_sorted_nested_and_in_a_program(plan_kind):
    x = RNG.randn(3, 4, 5)
    expected = np.stack([[sorted(r)[1] - sorted(r)[-2] for r in m] for m in x])
    got = gvmap.vmap(gvmap.vmap(lambda r: sorted(r)[1] - sorted(r)[-2]))(x)
    assert_tree_close(gvmap.device_get(got), expected)

    def trimmed_mean(v, k=1):                                 # a robust mean, as written
        s = sorted(v)
        return sum(s[k:len(s) - k]) / (len(s) - 2 * k)
    check(trimmed_mean, RNG.randn(7, 9))


def test_sorted_of_a_nan_key_raises_naming_the_example():
    """Where a NaN lands in Python's sort depends on its comparisons: gvmap raises for the
    first example holding one (its order equals Python's for every other example)."""
    from gvmap.errors import ExampleOrderError

    x = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 2.0], [3.0, NAN, 1.0], [NAN, 1.0, 2.0]])
    for f in (lambda v: sorted(v), lambda v: sorted(range(3), key=lambda j: v[j]),
              lambda v: sorted(v, key=lambda a: (0, a)), lambda v: sorted(v, reverse=True)):
        with pytest.raises(ExampleOrderError, match=r"builtins\.sorted: a key is NaN .* in "
                           r"example 2, where the loop's order depends .*np\.sort\(x\)"):
            gvmap.vmap(f)(x)
    assert issubclass(ExampleOrderError, NotImplementedError)
    check(lambda v: sorted(v[:1]) + sorted([v[0], v[1]], key=np.isnan), x)  # nothing NaN compared
    check(lambda v: np.array(sorted(v))[:0], x[:2])


def test_sorted_errors_are_the_loops():
    x = RNG.randn(5, 3, 4)
    with pytest.raises(ValueError, match="ambiguous.*np.sort"):  # rows compare elementwise
        gvmap.vmap(lambda m: sorted(m))(x)
    with pytest.raises(TypeError, match="tuple of one length"):
        gvmap.vmap(lambda m: sorted(range(2), key=lambda j: (m[0, j],) * (j + 1)))(x)
    with pytest.raises(TypeError, match="differ in shape"):
        gvmap.vmap(lambda m: sorted([m[0], m[1, 0]], key=lambda r: np.sum(r)))(x)
    with pytest.raises(TypeError, match="sort an index instead"):
        gvmap.vmap(lambda m: sorted(["a", "b"], key=lambda s: m[0, 0] if s == "a" else m[0, 1]))(x)
    with pytest.raises(TypeError, match="sort an index instead"):  # ties on "b": traced order
        gvmap.vmap(lambda m: sorted(zip("bab", m[0, :3])))(x)
    # no traced key: Python's own sort (items may be traced), errors included
    check(lambda m: sorted([m[1], m[0]], key=lambda r: r is m[0]), x)
    with pytest.raises(TypeError, match="not supported between"):
        gvmap.vmap(lambda m: m * len(sorted(["a", 1])))(x)


def test_list_sort_is_refused_naming_sorted():
    """values.sort() sorts in place with concrete comparisons; sorted(values) batches."""
    def f(v):
        vals = [v[0], v[1], v[2]]
        vals.sort()
        return vals[1]

    with pytest.raises(TypeError, match=r"list\.sort\(\) of traced values.*values = sorted"):
        gvmap.vmap(f)(ORDERED)


_ORDERED_SPECIAL = [s for s in _SPECIAL if s == s]


@given(rows=st.lists(st.lists(st.sampled_from(_ORDERED_SPECIAL), min_size=5, max_size=5),
                     min_size=1, max_size=6),
       dtype=st.sampled_from([np.float64, np.float32]), reverse=st.booleans())
def test_sorted_follows_python_on_random_special_values(rows, dtype, reverse):
    """Python's stable sort over signed zeros, subnormals, infinities and extremes: values
    and sign bits, every order, both directions, by value and by a key."""
    with np.errstate(over="ignore"):
        x = np.array(rows, dtype=dtype)
    f = lambda v: (sorted(v, reverse=reverse), sorted(v, key=abs, reverse=reverse),
                   sorted(range(5), key=lambda j: (v[j] > 0, v[j]), reverse=reverse))
    got = gvmap.device_get(gvmap.vmap(f)(x))
    expected = oracle(f)(x)
    for g, e in zip(tree_leaves(got), tree_leaves(expected)):
        g, e = np.asarray(g), np.asarray(e)
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)
        if g.dtype.kind == "f":
            np.testing.assert_array_equal(np.signbit(g), np.signbit(e))
