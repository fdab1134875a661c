"""Small NumPy habits of per-example code (gvmap/numpy/habits.py, extras.diff, the ndarray
methods in gvmap/tracing.py's ``# --- small NumPy habits ---`` block, np.signbit, x.flat,
round() and the refusals of Python's sorted, and of max / min / any / all where they are
not rebound): keyword cases and errors, each against the per-example loop."""
from __future__ import annotations


import numpy as np
import pytest

import gvmap
from gvmap.errors import TracerConversionError
from oracle import assert_tree_close, check_vmap, library_object, oracle

RNG = np.random.RandomState(7)
X35 = RNG.randn(3, 5)
X344 = RNG.randn(3, 4, 4)


check = check_vmap  # vmap(f) against the loop (tests/oracle.py)


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

    with pytest.raises(TypeError, match=r"argument.*x\.copy\(\)"):
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


XN = RNG.randn(3, 3, 5)  # per example (3, 5), NaNs in two examples
XN[0, 1, 2] = XN[2, 0, 4] = np.nan


@pytest.mark.parametrize("f", [
    lambda v: np.allclose(v, v + 1e-9), lambda v: np.allclose(v, v, equal_nan=True),
    lambda v: np.allclose(v, 0.1, rtol=0.5, atol=1.0),
    lambda v: np.array_equal(v, v), lambda v: np.array_equal(v, v, equal_nan=True),
    lambda v: np.array_equal(v, v[:2]),  # static shapes differ: a constant False
    lambda v: np.array_equal(v > 0, v > 0, equal_nan=True),
    lambda v: np.array_equiv(v, v[:1]), lambda v: np.array_equiv(v[:2], v[:3]),
    lambda v: np.isin(v, [0.5, v[0, 0]]), lambda v: np.isin(v, v[:2], invert=True),
    lambda v: np.isin((v * 3).astype(int), [0, 1, 2], kind="table"), lambda v: np.isin(v, []),
    lambda v: np.ediff1d(v), lambda v: np.ediff1d(v, to_begin=0, to_end=[1, 2]),
    lambda v: np.ediff1d(v, to_begin=v[:2]),
    lambda v: np.fix(v * 3), lambda v: np.fix((v * 3).astype(int)), lambda v: np.fix(v > 0),
    lambda v: np.unwrap(v * 5), lambda v: np.unwrap(v * 5, period=4),
    lambda v: np.unwrap((v * 5).astype(int), period=4), lambda v: np.unwrap((v * 5).astype(int), period=5),
    lambda v: np.unwrap(v * 5, discont=4.0), lambda v: np.unwrap(v * 5, discont=v[0, 0]),
    lambda v: np.unwrap((v * 5).reshape(15, 1), axis=0),
    lambda v: np.broadcast_arrays(v, v[:1], 2.0), lambda v: np.broadcast_arrays(v),
    lambda v: v.reshape((5, 3), order="F"), lambda v: np.ravel(v, order="F"),
])
def test_habit_functions(backend, f):
    check(f, XN.astype(np.float32))


def test_habit_errors_name_the_argument_and_a_rewrite():
    with pytest.raises(TypeError, match="to_begin.*same_kind"):
        gvmap.vmap(lambda v: np.ediff1d(v.astype(int), to_begin=0.5))(X35)
    with pytest.raises(ValueError, match="Invalid kind"):
        gvmap.vmap(lambda v: np.isin(v, [1.0], kind="hash"))(X35)
    with pytest.raises(ValueError, match="table"):
        gvmap.vmap(lambda v: np.isin(v, [1.0], kind="table"))(X35)
    with pytest.raises(NotImplementedError, match="traced period.*np.mod"):
        gvmap.vmap(lambda v: np.unwrap(v, period=v[0] + 4))(X35)
    with pytest.raises(NotImplementedError, match="order='A'.*order='F'"):
        gvmap.vmap(lambda v: v.reshape(-1, order="A"))(X35)


@pytest.mark.parametrize("f,rewrite", [
    (lambda v: np.logaddexp.reduce(v), r"m = x\.max\(\); m \+ np\.log\(np\.exp\(x - m\)\.sum\(\)\)"),
    (lambda v: np.logaddexp2.reduce(v), r"np\.log2"),
])
def test_out_of_scope_refusals_name_a_rewrite(f, rewrite):
    with pytest.raises(NotImplementedError, match=rewrite):
        gvmap.vmap(f)(X35)


@pytest.mark.parametrize("f", [
    lambda v: np.argmax(np.where(np.isnan(v), -np.inf, v)),
    lambda v: (lambda m: m + np.log(np.exp(v - m).sum()))(v.max()),
])
def test_the_named_rewrites_work(backend, f):
    check(f, XN)


SIGNED = np.array([[0.0, -0.0, np.nan, -np.nan, 1.5, -2.0, np.inf, -np.inf]] * 3)


@pytest.mark.parametrize("f", [
    np.signbit, lambda v: np.signbit(-v), lambda v: np.signbit(v.astype(np.float32)),
    lambda v: np.signbit(np.copysign(np.nan, v)),
    lambda v: np.where(np.signbit(v), 0.0, v) * 2 + 1,  # fused with its neighbours
    lambda v: np.signbit(v[4:6].astype(np.int32)), lambda v: np.signbit(v > 0),
])
def test_signbit_reads_the_sign_bit_of_zeros_and_nans(backend, f):
    check(f, SIGNED)
    got = gvmap.vmap(np.signbit)(SIGNED)
    assert got[0].tolist() == [False, True, False, True, False, True, False, True]


@pytest.mark.parametrize("f", [
    lambda v: np.cross(v, v[::-1], axis=0), lambda v: np.cross(v, v[0], axisa=0, axisc=0),
    lambda v: np.cross(v.T, v, axisa=0, axisb=-1, axisc=1), lambda v: np.cross(v[0], v[1]),
])
def test_cross_along_any_axes(backend, f):
    check(f, X344[:, :3, :3])


def test_cross_errors():
    with pytest.raises(np.exceptions.AxisError):
        gvmap.vmap(lambda v: np.cross(v, v, axis=2))(X344[:, :3, :3])
    with pytest.raises(ValueError, match=r"incompatible dimensions for cross product"):
        gvmap.vmap(lambda v: np.cross(v, v))(X344)  # 4-vectors: NumPy's ValueError
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors are deprecated"):
        gvmap.vmap(lambda v: np.cross(v[:, :2], v[:, :2]))(X344)  # computed, as NumPy 2 does


@pytest.mark.parametrize("f", [
    lambda v: np.compress([1, 0, 1], v, axis=1), lambda v: np.compress([True, False], v),
    lambda v: np.compress(np.arange(3) > 0, v, axis=-1),  # a known condition made inside
    lambda v: v.compress([0, 1], axis=0), lambda v: v.compress([1, 0, 1, 1]),
    lambda v: np.resize(v, (4, 4)), lambda v: np.resize(v, 3), lambda v: np.resize(v, (0,)),
    lambda v: np.resize(v[:, :0], (2,)),  # an empty array: NumPy 2's zeros
])
def test_compress_and_resize(backend, f):
    check(f, X344[:, :2, :3])


def test_compress_and_resize_errors():
    x = X344[:, :2, :3]
    with pytest.raises(NotImplementedError, match=r"traced condition.*np\.where\(condition, a, 0\)"):
        gvmap.vmap(lambda v: np.compress(v[0] > 0, v, axis=1))(x)
    with pytest.raises(NotImplementedError, match="traced condition"):
        gvmap.vmap(lambda v: v.compress(v[0] > 0, axis=1))(x)
    with pytest.raises(IndexError):  # NumPy's: a condition longer than the axis
        gvmap.vmap(lambda v: np.compress([1, 1, 1, 1], v, axis=1))(x)
    with pytest.raises(ValueError, match="non-negative"):
        gvmap.vmap(lambda v: np.resize(v, (-1,)))(x)


# --- Python builtins on traced values, x.flat, x.nbytes / x.itemsize ---------------------
def _flat_and_round(v):
    s = v.sum()
    y = v.copy()
    y.flat[2] = 7.0                      # a write through x.flat reaches y
    y.flat[[0, 5]] = -1.0
    y.flat[-2:] += 1.0
    picks = [w * 2 for w in v[0].flat]   # iteration in C order
    return (round(s, 2), round(v[0, 1], 1), v.flat[4], v.flat[1:4], v.flat[[0, -1]], y,
            np.stack(picks), v * v.nbytes + v.itemsize, len(v.flat))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_flat_round_and_static_byte_counts(plan_kind, dtype):
    """x.flat reads copies and writes into x; round(scalar, n) is np.round; x.nbytes and
    x.itemsize are static (they raised AttributeError for unknown tracers)."""
    check(_flat_and_round, X344.astype(dtype))


def test_flat_read_does_not_see_later_writes(backend):
    def f(v):
        y = v.copy()
        first = y.flat[0]          # a scalar copy: the write below does not change it
        part = y.flat[:2]          # a copy too (NumPy's flatiter slices copy)
        y.flat[0] = 5.0
        return first, part, y
    check(f, X35)


def _largest(v):
    return max(v[0], v[1])


def _smallest(v):
    return min([v[0], v[1], v[2]])


def _some(v):
    return any(v > 0)


def _ordered(v):
    return sorted(v)


def _every(v):
    return all(v > 0)


# Functions kept in a library object are not rebound (rebinding's docstring): the builtins
# there are Python's own, which refuse traced values, naming NumPy's form.
_HELPERS = library_object(largest=_largest, smallest=_smallest, some=_some, ordered=_ordered,
                          every=_every)


@pytest.mark.parametrize("f,error,message", [
    (lambda v: _HELPERS.largest(v), TracerConversionError, r"np\.maximum\(a, b\)"),
    (lambda v: _HELPERS.smallest(v), TracerConversionError, r"np\.minimum\(a, b\)"),
    (lambda v: _HELPERS.ordered(v), TracerConversionError, r"np\.sort\(x\)"),
    (lambda v: _HELPERS.some(v), TracerConversionError, r"np\.any\(x\)"),
    (lambda v: _HELPERS.every(v), TracerConversionError, r"np\.all\(x\)"),
    (lambda v: round(v, 1), TypeError, r"numpy\.ndarray doesn't define __round__.*np\.round"),
    (lambda v: v.flat.__setitem__(0, 1.0), TypeError, "writes into an argument"),
])
def test_builtins_of_traced_values_name_the_numpy_rewrite(f, error, message):
    with pytest.raises(error, match=message):
        gvmap.vmap(f)(X35)


@pytest.mark.parametrize("f,rewrite", [
    (lambda v: max(v[0], v[1]), lambda v: np.maximum(v[0], v[1])),
    (lambda v: min([v[0], v[1], v[2]]), lambda v: np.min(np.stack([v[0], v[1], v[2]]))),
    (lambda v: sorted(v), lambda v: list(np.sort(v))),
    (lambda v: any(v > 0), lambda v: np.any(v > 0)),
    (lambda v: round(v.sum()), lambda v: np.round(v.sum()).astype(int)),
])
def test_the_builtin_rewrites_batch(backend, f, rewrite):
    assert_tree_close(gvmap.vmap(rewrite)(X35), oracle(f)(X35))


# --- np.r_ / np.c_ (gvmap/numpy/concatenators.py) -----------------------------------------
from numpy import c_ as np_c_, r_ as np_r_  # noqa: E402  (imported by name: rebound too)


@pytest.mark.parametrize("f", [
    lambda v: np.r_[v, 0.0],                        # a Python float promotes weakly
    lambda v: np.r_[v, v[0], 1:4, [7, 8]],          # a slice is arange; ints to float64
    lambda v: np.r_[-1:1:5j, v],                    # a complex step is linspace
    lambda v: np.r_[np.float64(2.0), v],            # a NumPy scalar promotes by its type
    lambda v: np.r_[v, np.r_[1, 2]],                # all constants: NumPy's own, known
    lambda v: np.r_["0,2", v, v],                   # directives: axis, ndmin, trans1d
    lambda v: np.r_["0,2,0", v, v],
    lambda v: np.r_["1,2,0", v, v],
    lambda v: np.r_["-1", v.reshape(3, 1), v.reshape(3, 1)],
    lambda v: np.c_[v, v * 2],                      # 1-d arrays become columns
    lambda v: np.c_[v.reshape(3, 1), v],
    lambda v: np_r_[v, v.sum()],
    lambda v: np_c_[np.zeros(3), v],
    lambda v: np.r_[v.astype(np.int32), 2],         # an int array and an int scalar: int32
    lambda v: np.r_[v > 0, True],
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_r_and_c_concatenate_as_numpy(plan_kind, f, dtype):
    check(f, X35[:, :3].astype(dtype))


@pytest.mark.parametrize("f,error,message", [
    (lambda v: np.r_["r", v, v], NotImplementedError, r"np\.matrix.*np\.concatenate"),
    (lambda v: np.r_[v, "0", v], ValueError, "special directives must be the first entry"),
    (lambda v: np.r_["x", v], ValueError, "unknown special directive"),
])
def test_r_errors(f, error, message):
    with pytest.raises(error, match=message):
        gvmap.vmap(f)(X35)


# --- iterating: np.fromiter, np.ndenumerate, np.nditer, the statistics module ---

def _iterating(m):
    doubled = np.fromiter((a * 2 for a in m[0]), dtype=float)
    first3 = np.fromiter(iter(m[1]), np.int64, count=3)         # truncates, as NumPy's cast
    weighted = sum(a * (i + 2 * j) for (i, j), a in np.ndenumerate(m))
    known = np.fromiter(range(4), dtype=np.float32)             # no traced item: NumPy's own
    return doubled, first3, weighted, known * m[0, :4], np.fromiter((), dtype=float)


def test_fromiter_and_ndenumerate_of_traced_values(plan_kind):
    check(_iterating, X344 * 3)
    check(_iterating, (X344 * 3).astype(np.float32))


def test_iterating_refusals_name_a_rewrite():
    with pytest.raises(ValueError, match="iterator too short: Expected 9"):
        gvmap.vmap(lambda v: np.fromiter(iter(v), float, count=9))(X35)
    with pytest.raises(ValueError, match="one scalar per item"):
        gvmap.vmap(lambda m: np.fromiter(iter(m), float))(X344)
    with pytest.raises(NotImplementedError, match=r"numpy\.nditer.*for a in x\.ravel\(\)"):
        gvmap.vmap(lambda v: sum(a for a in np.nditer(v)))(X35)
    table = np.arange(3.0)
    got = gvmap.vmap(lambda v: v[:3] * sum(float(a) for a in np.nditer(table)))(X35)  # NumPy's
    np.testing.assert_allclose(got, X35[:, :3] * 3.0)
    import statistics
    with pytest.raises(TracerConversionError, match=r"as_integer_ratio.*np\.std\(x, ddof=1\)"):
        gvmap.vmap(lambda v: statistics.mean(v))(X35)


@pytest.mark.parametrize("f,error,message", [
    (lambda v: v[np.ix_(v[:, 0] > 0, [1])], NotImplementedError,
     r"np\.ix_ of a traced bool mask.*np\.nonzero.*np\.where\(rows\[:, None\] & cols\[None, :\], a, 0\)"),
    (lambda v: np.ix_(v), ValueError, r"Cross index must be 1 dimensional"),
    (lambda v: v[np.ix_(v[0])], IndexError, r"arrays used as indices must be of integer"),
    (lambda v: np.triu_indices_from(v[0]), ValueError, r"input array must be 2-d"),
    (lambda v: np.diag_indices_from(v), ValueError, r"All dimensions of input must be of equal length"),
    (lambda v: np.cumulative_sum(v), ValueError, r"``axis`` argument is required"),
], ids=["ix_traced_mask", "ix_2d", "ix_float", "triu_from_1d", "diag_from_nonsquare", "cumulative_sum_no_axis"])
def test_index_helpers_and_cumulative_errors_are_numpys(f, error, message):
    with pytest.raises(error, match=message):
        gvmap.vmap(f)(np.ones((2, 3, 4)))


def _round_into_copy(x):
    y = x.copy()
    np.round(y, 2, out=y)
    return y


def _round_into_f32(x):
    y = np.empty(x.shape, np.float32)
    np.round(x, 1, out=y)   # NumPy's steps in out's dtype after the first multiply
    return y


def _around_negative_decimals(x):
    y = np.zeros_like(x)
    return y, np.around(x * 100, -1, out=y)


def _round_method_into_self(x):
    y = x.copy()
    y.round(1, out=y)
    return y


def _round_ints_into(x):
    y = (x * 10).astype(int)
    z = np.zeros_like(y)
    np.round(y, 0, out=z)
    return z


@pytest.mark.parametrize("f", [_round_into_copy, _round_into_f32, _around_negative_decimals,
                               _round_method_into_self, _round_ints_into])
def test_round_with_out_a_local_array(plan_kind, f):
    check(f, RNG.randn(3, 5) * 10)


def test_round_with_out_of_an_int_dtype_is_numpys_casting_error():
    def f(x):
        z = np.zeros(x.shape, int)
        np.round(x, 1, out=z)
        return z
    with pytest.raises(TypeError, match=r"Cannot cast ufunc 'multiply' output from dtype\('float64'\) "
                                        r"to dtype\('int64'\) with casting rule 'same_kind'"):
        gvmap.vmap(f)(X35)
