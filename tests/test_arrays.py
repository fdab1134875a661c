"""The array utilities, signal, statistics and range functions of gvmap.numpy (arrays.py,
signal.py, the where=/initial= reductions, einsum diagonals, cummax/cummin): what the
sample rows in test_primitives.py cannot show, that is NumPy's errors, the refusals of what
a traced program cannot do, the kernels they become, and the CuPy rule of the running
extrema checked on NumPy."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import gvmap
import gvmap.numpy as gnp
from gvmap import primitives as P
from gvmap.implementations import doubling_scan
from oracle import assert_tree_close, check_vmap, library_object, oracle

rng = np.random.RandomState(12)
X = rng.randn(5, 4, 3)
V = rng.randn(5, 6)


check = functools.partial(check_vmap, quiet=True)  # vmap(f) against the loop


def same_error(f, *args):
    """f raises the error NumPy raises for one example, with NumPy's message."""
    with pytest.raises(Exception) as numpy_error:
        f(*[a[0] for a in args])
    with pytest.raises(type(numpy_error.value)) as ours:
        gvmap.vmap(f)(*args)
    assert str(ours.value) == str(numpy_error.value)


# ---------------------------------------------------------------- NumPy's errors

@pytest.mark.parametrize("name,f", [
    ("max where without initial", lambda x: np.max(x, where=x > 0)),
    ("min where without initial", lambda x: np.min(x, axis=0, where=x > 0)),
    ("maximum.reduce where without initial", lambda x: np.maximum.reduce(x, where=x > 0)),
    ("where of ints", lambda x: np.sum(x, where=np.ones(3, np.int64))),
    ("where too deep", lambda x: np.sum(x, where=np.ones((2, 4, 3), bool))),
    ("accumulate of a scalar", lambda x: np.maximum.accumulate(x[0, 0])),
    ("accumulate axis=None", lambda x: np.minimum.accumulate(x, axis=None)),
    ("split unequal", lambda x: np.split(x, 3)),
    ("vsplit 1-d", lambda x: np.vsplit(x[0], 2)),
    ("dsplit 2-d", lambda x: np.dsplit(x, 2)),
    ("fliplr 1-d", lambda x: np.fliplr(x[0])),
    ("rot90 same axes", lambda x: np.rot90(x, axes=(0, 0))),
    ("rot90 axes count", lambda x: np.rot90(x, axes=(0, 1, 2))),
    ("diag 3-d", lambda x: np.diag(x[None])),
    ("diagonal same axes", lambda x: np.diagonal(x, 0, 1, 1)),
    ("take_along_axis ranks", lambda x: np.take_along_axis(x, np.zeros(3, np.int64), axis=0)),
    ("take_along_axis out of range", lambda x: np.take_along_axis(x, np.array([[4]]), axis=0)),
    ("take_along_axis float indices", lambda x: np.take_along_axis(x, np.zeros((1, 1)), axis=0)),
    ("pad negative", lambda x: np.pad(x, -1)),
    ("pad reflect empty", lambda x: np.pad(x[:0], 1, mode="reflect")),
    ("pad unknown keyword", lambda x: np.pad(x, 1, mode="edge", constant_values=3)),
    ("convolve empty", lambda x: np.convolve(x[0], x[0, :0])),
    ("correlate 0-d", lambda x: np.correlate(x[0, 0], x[0])),
    ("correlate mode", lambda x: np.correlate(x[0], x[1], mode="middle")),
    ("gradient too short", lambda x: np.gradient(x[:1], axis=0)),
    ("gradient edge_order 3", lambda x: np.gradient(x, edge_order=3)),
    ("gradient spacing count", lambda x: np.gradient(x, 1.0, 2.0, 3.0)),
    ("cov 3-d", lambda x: np.cov(x[None])),
    ("linspace negative num", lambda x: np.linspace(x[0, 0], x[0, 1], -1)),
])
def test_numpy_errors(name, f):
    same_error(f, rng.randn(3, 2, 3))


def test_einsum_diagonal_of_unequal_dims_is_refused():
    with pytest.raises(ValueError, match="index 'i' has sizes 4 and 3"):
        gvmap.vmap(lambda x: np.einsum("ii->i", x))(X)


# ---------------------------------------------------------------- what a traced program cannot do

def test_put_along_axis_into_an_argument_is_refused():
    def f(x):
        np.put_along_axis(x, np.array([[0]]), 1.0, axis=0)
        return x
    with pytest.raises(TypeError, match=r"np.put_along_axis\(arr, \.\.\.\) writes into an argument.*"
                                        r"arr = arr.copy\(\)"):
        gvmap.vmap(f)(X)


def test_put_along_axis_into_a_numpy_array_with_traced_values_is_refused():
    # a library object is not rebound: its array is a real NumPy array while tracing
    held = library_object(a=np.zeros((4, 3)))

    def f(x):
        np.put_along_axis(held.a, np.array([[0]]), x[0, :1], axis=0)
        return held.a
    with pytest.raises(TypeError, match="y = np.zeros_like"):
        gvmap.vmap(f)(X)


def test_put_along_axis_into_an_array_of_a_closed_over_list_is_refused():
    held = [np.zeros((4, 3))]  # the user's list: its items are read rebound

    def f(x):
        np.put_along_axis(held[0], np.array([[0]]), x[0, :1], axis=0)
        return held[0]
    with pytest.raises(TypeError, match=r"closes over.*arr = arr.copy\(\)"):
        gvmap.vmap(f)(X)
    assert not held[0].any()


def test_put_along_axis_into_an_array_made_in_the_function(backend):
    def f(x, i):
        y = np.zeros((4, 3))
        np.put_along_axis(y, i, x[:1], axis=0)
        np.put_along_axis(y, np.array([[3, 3, 0]]), 2.5, axis=0)
        return y
    check(f, X, rng.randint(-4, 4, (5, 2, 3)))


def test_put_along_axis_writes_through_a_view_and_leaves_the_argument_alone(backend):
    def f(x, i):
        y = x.copy()
        row = y[1:]
        np.put_along_axis(row, i, -5.0, axis=1)
        return y, row
    x, i = X.copy(), rng.randint(-3, 3, (5, 3, 2))
    check(f, x, i)
    assert np.array_equal(x, X)


def test_put_along_axis_repeated_traced_indices_keep_the_last_write(backend):
    def f(x, i):
        y = x * 1
        np.put_along_axis(y, i, np.arange(12.0).reshape(4, 3), axis=0)
        return y
    check(f, X, np.zeros((5, 4, 3), np.int64))  # every write aims at row 0


def test_put_along_axis_traced_out_of_range_index_raises(backend):
    def f(x, i):
        y = x * 1
        np.put_along_axis(y, i, 1.0, axis=0)
        return y
    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(f)(X, np.full((5, 1, 3), 4))


def test_take_along_axis_traced_out_of_range_index_raises(backend):
    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(lambda x, i: np.take_along_axis(x, i, axis=1))(X, np.full((5, 4, 1), -4))


def test_traced_counts_and_widths_are_refused_naming_why():
    n = np.array([3, 3, 3, 3, 3])
    with pytest.raises(TypeError, match="number of samples sets the result's shape"):
        gvmap.vmap(lambda x, k: gnp.linspace(x[0], x[1], k))(V, n)
    with pytest.raises(TypeError, match="pad_width sets the result's shape"):
        gvmap.vmap(lambda x, k: np.pad(x, k))(V, n)


def test_arange_with_a_traced_start_and_a_static_length(backend):
    start = rng.randn(5)
    check(lambda s: gnp.arange(s, s + 4), start)
    check(lambda s: gnp.arange(s, s + 4.5, 0.5), start)
    istart = np.arange(5)
    check(lambda s: gnp.arange(s, s + 3), istart)
    check(lambda s: gnp.arange(s, 2.5 + s), istart)   # start converted first: still static


def test_plain_numpy_arange_is_rebound_to_the_static_length_form(backend):
    check(lambda s: np.arange(s, s + 4), rng.randn(5))


@pytest.mark.parametrize("f", [lambda s: gnp.arange(s, s * 2), lambda s: np.arange(s, 2 * s), lambda s: gnp.arange(s),
                               lambda s: gnp.arange(0, s), lambda s: gnp.arange(s, s + 4, s)])
def test_arange_with_a_data_dependent_length_is_refused(f):
    with pytest.raises(TypeError, match="static length write np.arange\\(start, start \\+ n\\)"):
        gvmap.vmap(f)(np.arange(5.0))


def test_unsupported_options_are_refused_not_ignored():
    with pytest.raises(NotImplementedError, match="function as mode"):
        gvmap.vmap(lambda x: np.pad(x, 1, mode=lambda *a: None))(V)
    with pytest.raises(ValueError, match="unsupported keyword arguments for mode 'wrap'"):
        gvmap.vmap(lambda x: np.pad(x, 1, mode="wrap", reflect_type="odd"))(V)


def test_corrcoef_has_numpys_signature():
    with pytest.raises(TypeError, match="ddof"):
        gvmap.vmap(lambda x: np.corrcoef(x, ddof=1))(X)


def test_dtype_queries_are_static_answers():
    seen = {}

    def f(x):
        seen["result_type"] = np.result_type(x, np.float32)
        seen["can_cast"] = np.can_cast(x, np.float32)
        seen["finfo"] = np.finfo(x.dtype).eps
        return x
    gvmap.vmap(f)(X.astype(np.float32))
    assert seen == {"result_type": np.float32, "can_cast": True,
                    "finfo": np.finfo(np.float32).eps}


# ---------------------------------------------------------------- kernels

def _launches(text: str) -> list[str]:
    return [line for line in text.splitlines()[1:-1] if "(view)" not in line]


def test_a_small_valid_convolution_is_one_fused_kernel():
    k = rng.randn(5).astype(np.float32)
    text = gvmap.vmap(lambda v: np.convolve(v, k, "valid")).lower(
        rng.randn(8, 256).astype(np.float32), backend="cupy").as_text()
    (launch,) = _launches(text)
    assert "fused[mul, mul, add, mul, add, mul, add, mul, add]" in launch, text


def test_a_same_convolution_pads_once_then_fuses():
    k = rng.randn(5).astype(np.float32)
    text = gvmap.vmap(lambda v: np.convolve(v, k, "same")).lower(
        rng.randn(8, 256).astype(np.float32), backend="cupy").as_text()
    pad, taps = _launches(text)
    assert "concatenate" in pad and "fused[" in taps, text


def test_long_kernels_are_one_contraction():
    k = rng.randn(20)
    graph = gvmap.make_graph(lambda v: np.convolve(v, k, "valid"))(rng.randn(40))
    assert [str(e.primitive) for e in graph.eqns].count("dot_general") == 1
    # 'same' / 'full': the windows inside v are one contraction too, the m - 1 at each end
    # that reach into the padding sum their real terms (an inf tap meets no padding)
    for mode in ("same", "full"):
        graph = gvmap.make_graph(lambda v: np.convolve(v, k, mode))(rng.randn(40))
        prims = [str(e.primitive) for e in graph.eqns]
        assert prims.count("dot_general") == 1 and prims.count("reduce_sum") == 2, prims


def test_small_running_extrema_are_a_row_kernel(monkeypatch):
    monkeypatch.setenv("GVMAP_ROW_KERNELS", "1")
    text = gvmap.vmap(lambda x: (np.maximum.accumulate(x), np.minimum.accumulate(x[::-1]))).lower(
        rng.randn(8, 6), backend="cupy").as_text()
    assert "row kernel" in text and "cummax" in text and "cummin" in text, text


def test_running_extrema_record_one_scan_each():
    graph = gvmap.make_graph(lambda x: (np.maximum.accumulate(x, axis=1),
                                        np.minimum.accumulate(x)))(X[0])
    assert [e.primitive for e in graph.eqns] == [P.cummax_p, P.cummin_p]


@pytest.mark.parametrize("fn", [np.maximum, np.minimum], ids=["max", "min"])
@pytest.mark.parametrize("axis", [0, 1])
def test_the_cupy_doubling_scan_is_numpys_accumulate(fn, axis):
    """The rule CuPy runs (CuPy's accumulate has no maximum/minimum), run with NumPy."""
    for n in range(0, 11):
        x = rng.randn(n, 5) if axis == 0 else rng.randn(5, n)
        x[x > 1.2] = np.nan
        got = doubling_scan(np, fn, axis)(x)
        np.testing.assert_array_equal(got, fn.accumulate(x, axis=axis))
    ints = rng.randint(-9, 9, (6, 7))
    np.testing.assert_array_equal(doubling_scan(np, fn, axis)(ints), fn.accumulate(ints, axis=axis))


@pytest.mark.parametrize("prim, fn", [(P.cummax_p, np.maximum), (P.cummin_p, np.minimum)],
                         ids=["cummax", "cummin"])
def test_the_cupy_running_extrema_keep_numpys_signed_zero_ties(prim, fn):
    """On CuPy the running extrema of floats combine with gvmap's max / min kernel, not
    cupy.maximum / minimum, which pick +0.0 / -0.0 whatever the order (CUDA's max): NumPy's
    acc = maximum(acc, x) gives the later of two tied zeros. A stand-in CuPy runs the scan,
    its kernel as NumPy's ufunc (what gvmap's C computes: test_codegen checks that on the
    host), its ufunc as CUDA's; the kernel source compiles in test_cupy_codegen."""
    from types import SimpleNamespace

    from gvmap.codegen.cuda import c_expression
    from gvmap.graph import AbstractArray
    from gvmap.implementations import make_impl

    def cuda_like(a, b):  # fmax / fmin: a tie of zeros gives +0.0 (max) / -0.0 (min)
        out = fn(a, b)
        zeros = (a == 0) & (b == 0)
        out[zeros] = 0.0 if fn is np.maximum else -0.0
        return out

    operations = []

    class ElementwiseKernel:
        def __init__(self, in_params, out_params, operation, name, preamble=""):
            operations.append(operation)

        def __call__(self, a, b):
            return fn(a, b)

    xp = SimpleNamespace(ElementwiseKernel=ElementwiseKernel, concatenate=np.concatenate,
                         maximum=cuda_like, minimum=cuda_like)
    x = np.array([[-0.0, 0.0, -0.0, 0.0, 1.0, -0.0], [0.0, -0.0, np.nan, 0.0, -0.0, 2.0]])
    expected = fn.accumulate(x, axis=1)
    assert np.signbit(expected).any() and not np.signbit(expected).all()  # the zeros differ
    got = make_impl(prim, xp, [AbstractArray(x.shape, x.dtype)], {"axis": 1})(x)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
    np.testing.assert_array_equal(got, expected)
    step = P.max_p if fn is np.maximum else P.min_p
    assert set(operations) == {f"out = {c_expression(step, [x.dtype] * 2, x.dtype, ['a', 'b'])};"}


def test_running_extrema_keep_the_first_signed_zero_and_propagate_nan(plan_kind):
    x = np.array([[-0.0, 0.0, -1.0], [np.nan, 1.0, 2.0], [1.0, np.nan, -3.0]])
    got = gvmap.vmap(lambda v: (np.maximum.accumulate(v), np.minimum.accumulate(v)))(x)
    expected = (np.maximum.accumulate(x, axis=1), np.minimum.accumulate(x, axis=1))
    for g, e in zip(gvmap.device_get(got), expected):
        np.testing.assert_array_equal(g, e)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(e))


# ---------------------------------------------------------------- NumPy's values, by construction

def test_pad_widths_beyond_the_axis_repeat_the_reflection(backend):
    for mode in ("reflect", "symmetric", "wrap", "edge"):
        check(lambda v, _m=mode: np.pad(v, (13, 17), mode=_m), V)
        check(lambda v, _m=mode: np.pad(v[:1], (3, 2), mode=_m), V)


def test_gradient_of_unevenly_spaced_constant_coordinates(backend):
    x = np.array([0.0, 0.5, 1.75, 2.0])
    check(lambda f: np.gradient(f, x, axis=0), X)
    check(lambda f: np.gradient(f, x, edge_order=2, axis=0), X)


def test_mean_with_where_computes_as_numpy_does_in_float32(backend):
    x = rng.randn(5, 7).astype(np.float32)
    check(lambda v: np.mean(v, where=v > -0.5), x)


def test_max_with_initial_over_an_empty_axis(backend):
    check(lambda v: (np.max(v[:0], axis=0, initial=1.5), np.min(v[:, :0], axis=1, initial=-2)), X)


def _traced_pad_values(x):
    v = x[0]
    return (np.pad(v, 1, constant_values=[v[0], v[1]]),
            np.pad(x, ((0, 1), (2, 0)), constant_values=((v[0], 1.0), (x[1, 1], x[2, 2]))),
            np.pad(x, 1, constant_values=v[:2]), np.pad(x, (1, 2), constant_values=v[3]))


def test_pad_with_traced_constant_values(plan_kind):
    """constant_values holding traced scalars (lists, pairs per axis) or a traced array
    broadcast to (ndim, 2) as NumPy does; only a traced scalar was accepted, and the
    refusal named numpy._constant_fills (gvmap's own function) as NumPy code."""
    x = np.random.RandomState(5).randn(4, 3, 4)
    assert_tree_close(gvmap.vmap(_traced_pad_values)(x), oracle(_traced_pad_values)(x))
