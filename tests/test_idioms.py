"""NumPy idioms of per-example code (gvmap/numpy/idioms.py and mapped.py): each against the
loop oracle on every backend and plan kind, in f32/f64/int where NumPy takes them, for
batch sizes 0, 1 and 7 and several in_axes; NumPy's errors for bad static arguments; the
run-time IndexError for out-of-range traced indices; and the refusals' rewrites."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
import gvmap.numpy as gnp
from oracle import assert_tree_close, check_vmap, oracle

RNG = np.random.RandomState(11)
SIZES = [0, 1, 7]


check = check_vmap  # vmap(f) against the loop (tests/oracle.py)


def floats(n, *shape, dtype=np.float64):
    return RNG.randn(n, *shape).astype(dtype)


def ints(n, *shape, lo=-4, hi=5, dtype=np.int64):
    return RNG.randint(lo, hi, (n,) + shape).astype(dtype)


# ---------------------------------------------------------------- unravel / ravel_multi_index

UNRAVEL = [
    ("argmax of x", lambda v: np.unravel_index(np.argmax(v), v.shape)),
    ("argmin, F order", lambda v: np.unravel_index(np.argmin(v), v.shape, order="F")),
    ("an array of indices", lambda v: np.unravel_index(np.argmax(v, axis=0), (2, 1, 3))),
    ("keywords", lambda v: np.unravel_index(indices=np.argsort(v.ravel())[:4], shape=(3, 5))),
    ("int shape", lambda v: np.unravel_index(np.argmax(v), 15)),
    ("size-1 dims", lambda v: np.unravel_index(np.argmax(v), (1, 15, 1))),
    ("no dims", lambda v: np.unravel_index(np.argmax(v) * 0, ())),
    ("round trip", lambda v: np.ravel_multi_index(np.unravel_index(np.argmax(v), v.shape),
                                                  v.shape)),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", UNRAVEL, ids=[u[0] for u in UNRAVEL])
def test_unravel_index(plan_kind, name, f, n):
    check(f, floats(n, 3, 5, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, np.bool_])
def test_unravel_index_dtypes(plan_kind, dtype):
    idx = RNG.randint(0, 2 if dtype == np.bool_ else 12, (7, 4)).astype(dtype)
    check(lambda i: np.unravel_index(i, (3, 4)), idx)
    check(lambda i: np.unravel_index(i[::-1], (2, 6), order="F"), idx, in_axes=1)


RAVEL = [
    ("raise", lambda i, j: np.ravel_multi_index((i, j), (6, 7))),
    ("wrap", lambda i, j: np.ravel_multi_index((i - 9, j + 7), (6, 7), mode="wrap")),
    ("clip", lambda i, j: np.ravel_multi_index((i - 3, j + 3), (6, 7), mode="clip")),
    ("per-dim modes, F", lambda i, j: np.ravel_multi_index((i - 9, j + 9), (6, 7),
                                                           mode=("wrap", "clip"), order="F")),
    ("broadcast", lambda i, j: np.ravel_multi_index((i[:, None], j[None, :2]), (6, 7))),
    ("a 2-d array", lambda i, j: np.ravel_multi_index(np.stack([i, j]), (6, 7))),
    ("a constant component", lambda i, j: np.ravel_multi_index((i, [0, 1, 2, 6]), (6, 7))),
    ("scalars", lambda i, j: np.ravel_multi_index((i[0], 3), (6, 7))),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", RAVEL, ids=[r[0] for r in RAVEL])
def test_ravel_multi_index(plan_kind, name, f, n):
    check(f, ints(n, 4, lo=0, hi=6), ints(n, 4, lo=0, hi=7, dtype=np.int32))


def test_ravel_multi_index_in_axes(plan_kind):
    f = lambda i, j: np.ravel_multi_index((i, j), (6, 7), mode="wrap")
    check(f, ints(4, 7), ints(1, 4)[0], in_axes=(1, None))


@pytest.mark.parametrize("f,error,match", [
    (lambda v: np.unravel_index(v, (2, 3)), TypeError, "only int indices permitted"),
    (lambda v: np.unravel_index(np.argmax(v), (2, 3), order="K"), ValueError,
     "only 'C' or 'F' order is permitted"),
    (lambda v: np.unravel_index(np.argmax(v), (2.0, 3)), TypeError, "cannot be interpreted"),
    (lambda v: np.unravel_index(np.argsort(v), ()), ValueError,
     "multiple indices are not supported for 0d arrays"),
    (lambda v: np.ravel_multi_index((np.argmax(v),), (2, 3)), ValueError,
     "multi_index must be a sequence of length 2"),
    (lambda v: np.ravel_multi_index((np.argmax(v), 0), (2, 3), mode="foo"), ValueError,
     "clipmode must be one of 'clip', 'raise', or 'wrap'"),
    (lambda v: np.ravel_multi_index((np.argmax(v), 0), (2, 3), mode=("wrap",)), ValueError,
     "list of clipmodes has wrong length"),
    (lambda v: np.ravel_multi_index((v, 0), (2, 3)), TypeError, "only int indices permitted"),
    (lambda v: np.ravel_multi_index((np.argmax(v), 0), (2, 0)), ValueError, "zero entries"),
    (lambda v: np.ravel_multi_index((np.argsort(v), np.argsort(v)[:2]), (6, 6)), ValueError,
     "could not be broadcast"),
])
def test_index_arithmetic_errors_are_numpys(f, error, match):
    with pytest.raises(error, match=match):
        gvmap.vmap(f)(floats(3, 6))


@pytest.mark.parametrize("f", [
    lambda v: np.unravel_index(np.argmax(v) + 6, (2, 3)),   # past the end
    lambda v: np.unravel_index(np.argmax(v) - 6, (2, 3)),   # negative: NumPy counts none
    lambda v: np.ravel_multi_index((np.argmax(v), 3), (6, 3)),
    lambda v: np.ravel_multi_index((np.argmax(v) - 6, 0), (6, 3)),
])
def test_out_of_range_traced_indices_raise_at_run_time(plan_kind, f):
    """NumPy raises ValueError; a traced program raises gvmap's gather IndexError."""
    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(f)(floats(3, 6))


def test_unravel_index_on_numpy_values_is_numpys():
    assert gnp.unravel_index(7, (2, 4)) == np.unravel_index(7, (2, 4))
    assert gnp.ravel_multi_index((1, 3), (2, 4)) == 7


# ---------------------------------------------------------------- take's modes

TAKE = [
    ("wrap", lambda v, i: np.take(v, i, mode="wrap")),
    ("clip", lambda v, i: np.take(v, i, mode="clip")),
    ("wrap axis", lambda v, i: np.take(v, i[:2], axis=1, mode="wrap")),
    ("clip axis -1", lambda v, i: np.take(v, i, axis=-1, mode="clip")),
    ("method", lambda v, i: v.take(i[:3], axis=0, mode="wrap")),
    ("constant indices", lambda v, i: np.take(v, [-7, -1, 0, 5, 23], axis=1, mode="wrap")),
    ("constant clip", lambda v, i: np.take(v, np.array([[-7, 9], [0, 4]]), mode="clip")),
    ("raise", lambda v, i: np.take(v, np.clip(i, -5, 4), axis=1, mode="raise")),
    ("scalar index", lambda v, i: np.take(v, i[0], axis=0, mode="wrap")),
    ("bool indices", lambda v, i: np.take(v, i > 0, axis=1, mode="clip")),
    ("a list with a traced index", lambda v, i: np.take(v, [i[0], 7, -1], axis=1, mode="wrap")),
    ("0-d, axis 0", lambda v, i: np.take(v[0, 0], i, axis=0, mode="wrap")),
    ("0-d, raise", lambda v, i: np.take(v[0, 0], np.clip(i, -1, 0), axis=-1)),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", TAKE, ids=[t[0] for t in TAKE])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_take_modes(plan_kind, name, f, n, dtype):
    check(f, (floats(n, 3, 5) * 4).astype(dtype), ints(n, 6, lo=-12, hi=12))


def test_take_modes_in_axes(plan_kind):
    check(lambda v, i: np.take(v, i, mode="wrap"), floats(4, 7), ints(1, 5, lo=-9, hi=9)[0],
          in_axes=(1, None))
    check(lambda v, i: np.take(v, i, mode="clip"), floats(1, 7)[0], ints(5, 3, lo=-9, hi=9),
          in_axes=(None, -1))


def test_take_mode_errors_are_numpys():
    with pytest.raises(ValueError, match="clipmode must be one of"):
        gvmap.vmap(lambda v: np.take(v, [0], mode="nearest"))(floats(2, 3))
    with pytest.raises(TypeError, match="Cannot cast"):
        gvmap.vmap(lambda v: np.take(v, v, mode="wrap"))(floats(2, 3))
    with pytest.raises(IndexError, match="cannot do a non-empty take from an empty axes"):
        gvmap.vmap(lambda v: np.take(v, [1], mode="wrap"))(floats(2, 0))


# ---------------------------------------------------------------- vectorize, apply_along_axis


def _clip_relu(a, b):
    return np.where(a > b, a, b) * 2


VECTORIZE = [
    ("elementwise", lambda v, w: np.vectorize(lambda a, b: a * b + 1)(v, w)),
    ("broadcast", lambda v, w: np.vectorize(_clip_relu)(v, w[:1])),
    ("a shared constant", lambda v, w: np.vectorize(_clip_relu)(v, np.float32(0.5))),
    ("otypes", lambda v, w: np.vectorize(lambda a: a * 3, otypes=[np.int32])(v)),
    ("otypes string", lambda v, w: np.vectorize(lambda a: a > 0, otypes="d")(v)),
    ("two outputs", lambda v, w: np.vectorize(lambda a, b: (a + b, a * b))(v, w)),
    ("excluded position", lambda v, w: np.vectorize(lambda a, k: a ** k, excluded={1})(v, 2)),
    ("excluded keyword", lambda v, w: np.vectorize(lambda a, *, s: a * s[1],
                                                   excluded={"s"})(v, s=(1.0, 3.0))),
    ("mapped keyword", lambda v, w: np.vectorize(lambda a, b=0: a - b)(v, b=w)),
    ("signature dot", lambda v, w: np.vectorize(lambda a, b: a @ b,
                                                signature="(n),(n)->()")(v, w)),
    ("signature new dim", lambda v, w: np.vectorize(lambda a: np.stack([a.min(), a.max()]),
                                                    signature="(n)->(k)")(v)),
    ("signature outer", lambda v, w: np.vectorize(np.outer, signature="(m),(n)->(m,n)")(v, w[0])),
    ("decorator with arguments", lambda v, w: np.vectorize(otypes=[float])(abs)(v)),
    ("zero-size with otypes", lambda v, w: np.vectorize(lambda a: a, otypes=[float])(v[:0])),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", VECTORIZE, ids=[v[0] for v in VECTORIZE])
def test_vectorize(plan_kind, name, f, n):
    check(f, floats(n, 3, 4, dtype=np.float32), floats(n, 3, 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_vectorize_dtypes_and_in_axes(plan_kind, dtype):
    f = lambda v, w: np.vectorize(lambda a, b: a * 2 - b)(v, w)
    check(f, (floats(4, 5) * 3).astype(dtype), ints(1, 4)[0], in_axes=(1, None))
    check(f, (floats(5, 4) * 3).astype(dtype), ints(4, 5), in_axes=(-1, 0))


def test_vectorize_is_numpys_on_numpy_arrays():
    v = gnp.vectorize(lambda a, b: a if a > b else b)  # a Python `if`: fine per element
    assert isinstance(v, np.vectorize)
    np.testing.assert_array_equal(v([1, 5, 2], 3), [3, 5, 3])


def test_vectorize_python_if_on_a_traced_element_is_the_control_flow_refusal():
    with pytest.raises(TypeError, match=r"Python `if`.*np\.where\(cond, x, y\).*inside "
                                        r"numpy\.vectorize: gvmap traces the function once"):
        gvmap.vmap(lambda v: np.vectorize(lambda a, b: a if a > b else b)(v, 0.5))(floats(3, 4))
    with pytest.raises(TypeError, match=r"inside numpy\.apply_along_axis.*one traced 1-D slice"):
        gvmap.vmap(lambda v: np.apply_along_axis(lambda r: r if r[0] > 0 else -r, 0, v))(
            floats(3, 4, 2))


@pytest.mark.parametrize("f,error,match", [
    (lambda v: np.vectorize(lambda a: a)(v[:0]), ValueError,
     "cannot call `vectorize` on size 0 inputs unless `otypes` is set"),
    (lambda v: np.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(v, v[:2]), ValueError,
     "inconsistent size for core dimension 'n': 2 vs 4"),
    (lambda v: np.vectorize(lambda a: a, signature="(m,n)->()")(v), ValueError,
     "1-dimensional argument does not have enough dimensions"),
    (lambda v: np.vectorize(lambda a: a, signature="(n)->(),()")(v), ValueError,
     "wrong number of outputs from pyfunc: expected 2, got 1"),
    (lambda v: np.vectorize(lambda a: a, signature="(n)->()")(v), ValueError,
     "setting an array element with a sequence"),
    (lambda v: np.vectorize(lambda a: np.ones((2, 3)), signature="(n)->(m)")(v), ValueError,
     r"could not broadcast input array from shape \(2, 3\) into shape \(3,\)"),
    (lambda v: np.vectorize(lambda a: a, signature="(n)->()")(v, v), TypeError,
     "wrong number of positional arguments: expected 1, got 2"),
])
def test_vectorize_errors_are_numpys(f, error, match):
    with pytest.raises(error, match=match):
        gvmap.vmap(f)(floats(3, 4))


APPLY = [
    ("centre rows", lambda v: np.apply_along_axis(lambda r: r - r.mean(), 1, v)),
    ("reduce", lambda v: np.apply_along_axis(np.sum, 0, v)),
    ("negative axis", lambda v: np.apply_along_axis(np.sort, -1, v)),
    ("matrix result", lambda v: np.apply_along_axis(lambda r: np.outer(r, r[:2]), 0, v)),
    ("tuple result", lambda v: np.apply_along_axis(lambda r: (r.min(), r.max()), 1, v)),
    ("extra arguments", lambda v: np.apply_along_axis(np.percentile, 1, v, 30.0, method="linear")),
    ("closure", lambda v: np.apply_along_axis(lambda r: r @ v[0], 1, v)),
    ("3-d, middle axis", lambda v: np.apply_along_axis(np.cumsum, 1, v.reshape(2, 2, 5))),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", APPLY, ids=[a[0] for a in APPLY])
def test_apply_along_axis(plan_kind, name, f, n):
    check(f, floats(n, 4, 5, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_apply_along_axis_dtypes_and_in_axes(plan_kind, dtype):
    check(lambda v: np.apply_along_axis(lambda r: r[::-1] * 2, 0, v), ints(4, 3, 6, dtype=dtype),
          in_axes=1)
    check(lambda v: np.apply_along_axis(np.max, 1, v), floats(3, 4, 5).astype(dtype), in_axes=-1)


def test_apply_along_axis_errors_are_numpys():
    with pytest.raises(ValueError, match="Cannot apply_along_axis when any iteration dimensions"):
        gvmap.vmap(lambda v: np.apply_along_axis(np.sum, 1, v))(floats(2, 0, 3))
    with pytest.raises(np.exceptions.AxisError):
        gvmap.vmap(lambda v: np.apply_along_axis(np.sum, 2, v))(floats(2, 3, 4))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("f", [
    lambda v: np.apply_over_axes(np.sum, v, [0, 2]),
    lambda v: np.apply_over_axes(np.mean, v, -1),
    lambda v: np.apply_over_axes(lambda a, k: np.cumsum(a, axis=k), v, (1, 0)),
])
def test_apply_over_axes(plan_kind, f, n):
    check(f, floats(n, 2, 3, 4, dtype=np.float32))


def test_apply_over_axes_error_is_numpys():
    with pytest.raises(ValueError, match="function is not returning an array of the correct shape"):
        gvmap.vmap(lambda v: np.apply_over_axes(lambda a, k: a.sum(), v, 0))(floats(2, 3, 4))


# ---------------------------------------------------------------- lexsort, block

LEXSORT = [
    ("two keys", lambda a, b: np.lexsort((a, b))),
    ("ties: floors", lambda a, b: np.lexsort([np.floor(a * 2), np.floor(b)])),
    ("three keys, list", lambda a, b: np.lexsort([a, b > 0, np.floor(b)])),
    ("a 2-d key array", lambda a, b: np.lexsort(np.floor(np.stack([a, b]) * 2))),
    ("axis 0", lambda a, b: np.lexsort((a.reshape(2, 3), np.floor(b).reshape(2, 3)), axis=0)),
    ("constant key", lambda a, b: np.lexsort((a, np.array([1, 0, 1, 0, 1, 0])))),
    ("one key", lambda a, b: np.lexsort([b])),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", LEXSORT, ids=[x[0] for x in LEXSORT])
def test_lexsort(plan_kind, name, f, n):
    check(f, floats(n, 6, dtype=np.float32), floats(n, 6) * 2)


def test_lexsort_ints_nans_and_in_axes(plan_kind):
    b = floats(5, 6)
    b[0, 2] = b[3, 1] = np.nan
    check(lambda a, b: np.lexsort((a, b)), ints(6, 5, lo=0, hi=3), b, in_axes=(1, 0))


def test_lexsort_errors_are_numpys():
    with pytest.raises(TypeError, match="need sequence of keys with len > 0"):
        gvmap.vmap(lambda v: np.lexsort([]))(floats(2, 3))
    with pytest.raises(ValueError, match="all keys need to be the same shape"):
        gvmap.vmap(lambda v: np.lexsort([v, v[:2]]))(floats(2, 3))


BLOCK = [
    ("2x2", lambda a, b: np.block([[a, b], [b, a]])),
    ("mixed ranks", lambda a, b: np.block([[a, np.zeros((3, 1))], [b[:1], 7.0]])),
    ("1-d", lambda a, b: np.block([a[0], 1, b[1]])),
    ("3 levels", lambda a, b: np.block([[[a[None]], [b[None]]]])),
    ("one array", lambda a, b: np.block(a)),
    ("int with float", lambda a, b: np.block([(a * 3).astype(np.int32), b])),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", BLOCK, ids=[x[0] for x in BLOCK])
def test_block(plan_kind, name, f, n):
    check(f, floats(n, 3, 3, dtype=np.float32), floats(n, 3, 3, dtype=np.float32))


@pytest.mark.parametrize("f,error,match", [
    (lambda v: np.block([[v], v]), ValueError, "List depths are mismatched"),
    (lambda v: np.block([]), ValueError, "List at arrays cannot be empty"),
    (lambda v: np.block([[v], []]), ValueError, r"List at arrays\[1\] cannot be empty"),
    (lambda v: np.block((v, v)), TypeError, "arrays is a tuple"),
    (lambda v: np.block([[v, v], [v]]), ValueError, "all the input array dimensions"),
])
def test_block_errors_are_numpys(f, error, match):
    with pytest.raises(error, match=match):
        gvmap.vmap(f)(floats(2, 3, 3))


# ---------------------------------------------------------------- small functions

SMALL = [
    ("float_power", lambda v, i: np.float_power(v, 2)),
    ("float_power ints", lambda v, i: np.float_power(i, -2)),
    ("float_power mixed", lambda v, i: np.float_power(np.abs(v), i)),
    ("float_power of bools", lambda v, i: np.float_power(v > 0, 0.5)),
    ("nancumsum", lambda v, i: np.nancumsum(np.where(v > 1, np.nan, v), axis=1)),
    ("nancumsum flat", lambda v, i: np.nancumsum(np.where(v > 1, np.nan, v))),
    ("nancumsum dtype", lambda v, i: np.nancumsum(np.where(v > 1, np.nan, v), 0, np.float64)),
    ("nancumprod", lambda v, i: np.nancumprod(np.where(v < -1, np.nan, v), axis=-1)),
    ("nancumsum ints", lambda v, i: np.nancumsum(i, axis=0)),
    ("nancumprod ints", lambda v, i: np.nancumprod(i)),
    ("nancumsum 0-d", lambda v, i: np.nancumsum(np.where(v[0, 0] > 1, np.nan, v[0, 0]), axis=0)),
    ("iscomplexobj", lambda v, i: np.stack([np.iscomplexobj(v), np.isrealobj(i)]) + v[0, 0]),
    ("angle", lambda v, i: np.angle(np.where(v > 1, np.nan, np.where(v > 0.5, -0.0, v)))),
    ("angle deg", lambda v, i: np.angle(v, deg=True)),
    ("angle ints", lambda v, i: np.angle(i)),
    ("real_if_close", lambda v, i: np.real_if_close(v) + 1),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name,f", SMALL, ids=[x[0] for x in SMALL])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_functions(plan_kind, name, f, n, dtype):
    with np.errstate(divide="ignore", invalid="ignore"):
        check(f, floats(n, 3, 4, dtype=dtype), np.moveaxis(ints(n, 3, 4, dtype=np.int32), 0, -1),
              in_axes=(0, -1))


def test_static_dtype_answers_are_python_bools():
    seen = []
    gvmap.vmap(lambda v: seen.append((np.iscomplexobj(v), np.isrealobj(v))) or v)(floats(2, 3))
    assert seen == [(False, True)]


def test_float_power_dtype_argument_is_numpys():
    with pytest.raises(TypeError, match="No loop matching"):
        gvmap.vmap(lambda v: np.float_power(v, 2, dtype=np.float32))(floats(2, 3))


# ---------------------------------------------------------------- linalg

def _matrices(n, k=3, dtype=np.float64):
    m = RNG.randn(n, k, k) + 2 * np.eye(k)
    return m.astype(dtype)


COND = [None, 2, -2, "fro", "nuc", np.inf, -np.inf, 1, -1]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("p", COND, ids=[str(p) for p in COND])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cond(plan_kind, p, n, dtype):
    # (+ eye: the oracle's zero-filled stand-in example for n == 0 stays invertible)
    check(lambda m: np.linalg.cond(m + np.eye(3, dtype=dtype), p), _matrices(n, dtype=dtype))


@pytest.mark.parametrize("p", [p for p in COND if p != "nuc"], ids=str)
def test_cond_singular_nan_and_int(plan_kind, p):
    """NaN results become inf unless the matrix has a NaN ('nuc' is left out: NumPy's svd
    of the singular matrix's NaN inverse raises there, gvmap gives inf)."""
    m = _matrices(4)
    m[1] = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]]  # exactly singular
    m[2] = 0.0                                                   # 0/0
    if p not in (None, 2, -2):  # NumPy's svd refuses a NaN, its inv passes it on
        m[3, 0, 0] = np.nan
    with np.errstate(all="ignore"):
        check(lambda a: np.linalg.cond(a, p), m)
    ints = (m[:, :2, :2] * 3).round().astype(np.int32) + np.eye(2, dtype=np.int32) * 5
    check(lambda a: np.linalg.cond(a, p), ints)


def test_cond_stack_and_in_axes(plan_kind):
    check(lambda m: np.linalg.cond(m, 1), _matrices(6).reshape(2, 3, 3, 3), in_axes=1)


@pytest.mark.parametrize("f,error,match", [
    (lambda m: np.linalg.cond(m[0]), np.linalg.LinAlgError, "at least two-dimensional"),
    (lambda m: np.linalg.cond(m[:, :2], 1), np.linalg.LinAlgError, "must be square"),
    (lambda m: np.linalg.cond(m, 3), ValueError, "Invalid norm order for matrices"),
    (lambda m: np.linalg.cond(m[:0, :0]), np.linalg.LinAlgError,
     "cond is not defined on empty arrays"),
])
def test_cond_errors_are_numpys(f, error, match):
    with pytest.raises(error, match=match):
        gvmap.vmap(f)(_matrices(2))


NORMS = [
    lambda x: np.linalg.vector_norm(x),
    lambda x: np.linalg.vector_norm(x, axis=1, ord=1),
    lambda x: np.linalg.vector_norm(x, axis=(0, -1), keepdims=True),
    lambda x: np.linalg.vector_norm(x, axis=(2, 0), ord=np.inf),
    lambda x: np.linalg.vector_norm(x, keepdims=True, ord=3),
    lambda x: np.linalg.vector_norm(x, axis=-2, ord=0),
    lambda x: np.linalg.matrix_norm(x),
    lambda x: np.linalg.matrix_norm(x, ord=2, keepdims=True),
    lambda x: np.linalg.matrix_norm(x, ord=-np.inf),
    lambda x: np.linalg.matrix_norm(x, ord="nuc"),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("f", NORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_array_api_norms(plan_kind, f, n, dtype):
    check(f, (floats(n, 2, 3, 4) * 3).astype(dtype))


# ---------------------------------------------------------------- ufunc.reduceat, histograms

REDUCEAT = [
    lambda v: np.add.reduceat(v, [0, 2, 3]),
    lambda v: np.add.reduceat(v, [3, 1, 4], axis=1),          # 3 >= 1: v[3] itself
    lambda v: np.multiply.reduceat(v, [0, 0, 1], axis=-1),   # repeats: single elements
    lambda v: np.maximum.reduceat(v, [1, 3], axis=0),
    lambda v: np.minimum.reduceat(v, np.array([4, 0]), 1),
    lambda v: np.add.reduceat(v, [0, 2], axis=1, dtype=np.float64),
    lambda v: np.add.reduceat(v, np.zeros(0, int), axis=1),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("f", REDUCEAT)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.int64])
def test_reduceat(plan_kind, f, n, dtype):
    check(f, (floats(n, 4, 5) * 3).astype(dtype))


def test_reduceat_nan_and_in_axes(plan_kind):
    v = floats(4, 5)
    v[1, 2] = np.nan
    check(lambda x: np.maximum.reduceat(x, [0, 2, 3]), v, in_axes=1)


def test_reduceat_errors():
    with pytest.raises(IndexError, match=r"index 5 out-of-bounds in add.reduceat \[0, 5\)"):
        gvmap.vmap(lambda v: np.add.reduceat(v, [0, 5]))(floats(2, 5))
    with pytest.raises(IndexError, match=r"index -1 out-of-bounds"):
        gvmap.vmap(lambda v: np.maximum.reduceat(v, [0, -1]))(floats(2, 5))
    with pytest.raises(NotImplementedError, match=r"traced indices.*np\.cumsum"):
        gvmap.vmap(lambda v: np.add.reduceat(v, np.argsort(v)))(floats(2, 5))


HISTOGRAMS = [
    lambda x, y: np.histogram2d(x, y, bins=4, range=[[-2, 2], [-1, 1]]),
    lambda x, y: np.histogram2d(x, y, bins=(3, 2), range=((-1, 1), (-2, 3)), density=True),
    lambda x, y: np.histogram2d(x, y, bins=[np.array([-1.0, 0.0, 0.5, 2.0]), 2],
                                range=[None, (0, 1)], weights=np.abs(y)),
    lambda x, y: np.histogram2d(x, y, bins=np.linspace(-1, 1, 5)),
    lambda x, y: np.histogramdd(np.stack([x, y, x * y], -1), bins=2, range=[(-1, 1)] * 3),
    lambda x, y: np.histogramdd([x, y], bins=(2, 3), range=[(-1, 1), (-1, 2)],
                                weights=np.ones(8, np.float32)),
    lambda x, y: np.histogramdd(x, bins=[[-1.0, 0.0, 1.0]]),
    lambda x, y: np.histogram2d(np.round(x), np.round(y), bins=2, range=[[-1, 1], [-1, 1]]),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("f", HISTOGRAMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histograms(plan_kind, f, n, dtype):
    x, y = floats(n, 8, dtype=dtype), floats(n, 8, dtype=dtype)
    x[..., :1] = np.nan if n else x[..., :1]
    with np.errstate(invalid="ignore"):
        check(f, x, y)


def test_histogram2d_int_sample(plan_kind):
    check(lambda x, y: np.histogram2d(x, y, bins=3, range=[[0, 3], [0, 3]]),
          ints(5, 6, lo=0, hi=4), ints(6, 5, lo=0, hi=4), in_axes=(0, 1))


def test_histogram_refusals_and_errors():
    with pytest.raises(NotImplementedError, match="range"):
        gvmap.vmap(lambda x: np.histogram2d(x, x, bins=3))(floats(2, 5))
    with pytest.raises(NotImplementedError, match="traced bins"):
        gvmap.vmap(lambda x: np.histogramdd(x, bins=[x]))(floats(2, 5))
    with pytest.raises(ValueError, match="must be monotonically increasing"):
        gvmap.vmap(lambda x: np.histogramdd(x, bins=[[1.0, 0.0]]))(floats(2, 5))


# np.vectorize objects made at import, and the class imported by name: rebinding gives the
# traced code gvmap's vectorize of the same function (they were NumPy's, whose loop calls
# np.asarray on each traced element)
from numpy import vectorize as np_vectorize  # noqa: E402


@np.vectorize
def _clip01(a):
    return np.where(a < 0, 0.0, np.where(a > 1, 1.0, a))


_affine = np.vectorize(lambda a, b: a * b + 1)
_minus_one = np_vectorize(lambda a: a - 1)


def _vectorized_at_import(x):
    return _clip01(x), _affine(x, 2.0), _minus_one(x), np.vectorize(lambda a: a * 3)(x)


def test_vectorize_objects_made_at_import(plan_kind):
    x = np.random.RandomState(11).randn(3, 4)
    assert_tree_close(gvmap.vmap(_vectorized_at_import)(x), oracle(_vectorized_at_import)(x))
