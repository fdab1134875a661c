"""x.view(dtype) (the bitcast_convert_type primitive, gvmap/numpy/bits.py) and the run-time
checks (the check primitive, gvmap/numpy/checks.py): np.nanargmax / np.nanargmin and
np.geomspace of traced endpoints raise NumPy's ValueError naming the first failing example.
Every case against the per-example loop, on every backend and plan kind."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from gvmap.errors import ExampleError, ExampleValueError
from oracle import check_vmap, oracle

RNG = np.random.RandomState(11)


check = check_vmap  # vmap(f) against the loop (tests/oracle.py)


def same_bits(got, expected):
    got, expected = np.asarray(gvmap.device_get(got)), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    u = f"u{got.itemsize}"
    np.testing.assert_array_equal(got.view(u), expected.view(u))


# ---------------------------------------------------------------- x.view(dtype)

def q_rsqrt(number):
    """Quake III's fast inverse square root, as written in NumPy."""
    x2 = number * 0.5
    y = np.float32(number)
    i = y.view(np.int32)
    i = 0x5f3759df - (i >> 1)
    y = i.view(np.float32)
    return y * (1.5 - (x2 * y * y))


def test_fast_inverse_square_root(plan_kind):
    x = np.abs(RNG.randn(7, 5)).astype(np.float32) + 0.1
    got = check(q_rsqrt, x)
    np.testing.assert_allclose(gvmap.device_get(got), 1 / np.sqrt(x), rtol=2e-3)
    check(lambda v: q_rsqrt(v[0]), x)  # on a scalar: the NumPy scalar's view


def _nan_with_payload(dtype, payload, negative=False):
    bits = np.dtype(f"u{np.dtype(dtype).itemsize}").type
    info = np.finfo(dtype)
    exponent = ((1 << info.nexp) - 1) << info.nmant
    sign = 1 << (8 * np.dtype(dtype).itemsize - 1) if negative else 0
    return np.array(bits(exponent | payload | sign)).view(dtype)[()]


def _edge_floats(dtype):
    info = np.finfo(dtype)
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.5, info.max, -info.max,
              info.tiny, info.smallest_subnormal, -info.smallest_subnormal, info.eps]
    nans = [_nan_with_payload(dtype, 1), _nan_with_payload(dtype, 5, negative=True),
            _nan_with_payload(dtype, 1 << (info.nmant - 1), negative=True)]
    return np.array(values + nans, dtype)


PAIRS = [(np.float32, np.int32), (np.float32, np.uint32), (np.float64, np.int64),
         (np.float64, np.uint64), (np.float16, np.int16), (np.float16, np.uint16)]


@pytest.mark.parametrize("fdt,idt", PAIRS, ids=lambda d: np.dtype(d).name)
def test_view_keeps_every_bit(plan_kind, fdt, idt):
    """NaN payloads and signs, -0.0, infinities and subnormals, both ways, fused with the
    arithmetic around them (integers <-> floats through the same bits)."""
    x = np.tile(_edge_floats(fdt), (3, 1))
    got = gvmap.vmap(lambda v: v.view(idt))(x)
    same_bits(got, x.view(idt))
    bits = x.view(idt)
    same_bits(gvmap.vmap(lambda b: b.view(fdt))(bits), x)
    f = lambda b: (b ^ 1).view(fdt), lambda b: (b + 0).view(fdt).view(idt) - 1
    for fn in f:
        same_bits(gvmap.vmap(fn)(bits), oracle(fn)(bits))


def test_sign_bit_tricks_and_ordering_floats_as_integers(plan_kind):
    x = np.concatenate([RNG.randn(4, 6), np.array([[0.0, -0.0, np.inf, -np.inf, 1e-310, -1e-310]] * 4)],
                       axis=1).astype(np.float64)

    def tricks(v):
        u = v.view(np.uint64)
        magnitude = (u & np.uint64(0x7FFFFFFFFFFFFFFF)).view(np.float64)   # np.abs
        negated = (u ^ np.uint64(1 << 63)).view(np.float64)                # -v
        negative = (u >> np.uint64(63)).astype(bool)                       # np.signbit
        i = v.view(np.int64)
        key = np.where(i < 0, np.int64(-0x7FFFFFFFFFFFFFFF - 1) - i, i)    # sorts as v does
        return magnitude, negated, negative, key, np.argsort(key, kind="stable")

    check(tricks, x)
    key = gvmap.device_get(gvmap.vmap(tricks)(x))[3]
    order = np.argsort(key, axis=1, kind="stable")
    assert np.all(np.diff(np.take_along_axis(x, order, axis=1), axis=1) >= 0)


def test_view_fuses_with_its_neighbours():
    lowered = gvmap.vmap(q_rsqrt).lower(np.ones((7, 5), np.float32), backend="cupy")
    assert len(lowered.kernels) == 1, lowered.as_text()
    (source,) = lowered.kernels.values()
    assert "gvmap_bitcast<int, float>" in source and "gvmap_bitcast<float, int>" in source


def test_view_of_the_same_dtype_is_x_itself(backend):
    def f(v):
        y = v * 2
        z = y.view()
        z[0] = -1.0  # NumPy: a write into the view is a write into y
        w = y.view(np.float64)
        w += 1
        return y, z, w, v.view(np.ndarray)

    check(f, RNG.randn(3, 4))


def test_view_integers_among_themselves_and_bools(backend):
    x = RNG.randint(-128, 128, size=(5, 6)).astype(np.int8)
    check(lambda v: (v.view(np.uint8), v.view("u1") >> 4, (v > 0).view(np.uint8),
                     (v > 0).view(np.int8) * 3), x)
    check(lambda v: v.view(np.uint32).view(np.int32) + 1, RNG.randint(-9, 9, (4, 3)).astype(np.int32))


@pytest.mark.parametrize("f,exc,match", [
    (lambda v: v.view(np.uint8), NotImplementedError, r"itemsize.*last axis.*np\.uint64"),
    (lambda v: v.astype(np.float32).view(np.float64), NotImplementedError, r"itemsize"),
    (lambda v: v.view(np.int64).view(bool), NotImplementedError, r"bool.*x != 0"),
    (lambda v: v.view(">i8"), NotImplementedError, r"byte order"),
    (lambda v: v.view(np.int64, type=np.matrix), NotImplementedError, r"type=matrix"),
    (lambda v: v.view("no such dtype"), TypeError, r"not a dtype"),
])
def test_views_gvmap_does_not_trace_are_refused_with_a_rewrite(f, exc, match):
    with pytest.raises(exc, match=match):
        gvmap.vmap(f)(RNG.randn(3, 4))


def test_writes_through_a_bit_view_are_refused_not_lost():
    """NumPy's view shares memory: writing into it changes x, and writing into x changes
    it. gvmap refuses both (as for x.reshape), never silently giving another answer."""
    def write_view(v):
        y = v * 1
        i = y.view(np.int64)
        i[0] = 0
        return y

    def write_source(v):
        y = v * 1
        i = y.view(np.int64)
        y[0] = 1.0
        return i

    for f in (write_view, write_source):
        with pytest.raises(TypeError, match="view"):
            gvmap.vmap(f)(RNG.randn(3, 4))

    def temporary(v):  # a view of a temporary may be written: nothing else sees it
        i = (v * 1).view(np.int64)
        i[0] = 0
        return i

    check(temporary, RNG.randn(3, 4))


def test_view_eagerly_and_of_known_values(backend):
    x = np.array([1.5, -0.0, np.nan], np.float32)
    same_bits(gvmap.jit(lambda v: v.view(np.uint32))(x), x.view(np.uint32))
    table = np.array([0.25, -2.0], np.float32)
    check(lambda v: v + table.view(np.int32).astype(np.float64), RNG.randn(3, 2))


# ---------------------------------------------------------------- np.nanargmax / nanargmin

NANS = RNG.randn(7, 4, 5)
NANS[RNG.rand(7, 4, 5) < 0.4] = np.nan
NANS[:, 1, 2] = -np.inf  # a NaN and -inf: NumPy's composition gives the first of them
NANS[:, 1, 3] = np.nan


@pytest.mark.parametrize("f", [
    lambda v: np.nanargmax(v[:, :2]), lambda v: np.nanargmin(v[:, :2]),
    lambda v: (np.nanargmax(v, axis=1), np.nanargmin(v, axis=-1)),
    lambda v: np.nanargmax(np.where(np.isnan(v), 0.5, v), axis=0, keepdims=True),
    lambda v: np.nanargmin((np.nan_to_num(v, posinf=9, neginf=-9) * 3).astype(np.int32), axis=1),  # integers: argmin
    lambda v: np.nanargmax(v > 0, axis=0),
    lambda v: np.nanargmin(v.astype(np.float32), axis=1, keepdims=True) * 2,
])
def test_nanargmax_nanargmin_as_numpy(plan_kind, f):
    x = NANS.copy()
    for i, j in ((0, 0), (1, 1), (2, 2), (3, 3), (0, 4)):  # no row or column all NaN
        x[:, i, j] = RNG.randn(7)
    check(f, x)


def test_an_all_nan_slice_raises_naming_the_first_example(plan_kind):
    x = RNG.randn(9, 3, 4)
    x[5, 1] = np.nan
    x[7] = np.nan
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        oracle(lambda v: np.nanargmax(v, axis=1))(x)
    for f, name in ((lambda v: np.nanargmax(v, axis=1), "nanargmax"),
                    (lambda v: np.nanargmin(v, axis=1) + 1, "nanargmin")):
        with pytest.raises(ExampleValueError, match=rf"numpy\.{name}: All-NaN slice encountered "
                           rf"in example 5\b.*np\.arg(max|min)\(np\.where") as info:
            gvmap.vmap(f)(x)
        assert info.value.example == (5,) and isinstance(info.value, ValueError)
    check(lambda v: np.nanargmax(v, axis=0), x[:5, 0])  # no slice all NaN: no error


def test_the_example_is_named_along_any_axis_in_chunks_and_nested(backend):
    x = RNG.randn(10, 6)
    x[7] = np.nan
    f = np.nanargmax
    with pytest.raises(ExampleError, match=r"in example 7\b"):
        gvmap.vmap(f, in_axes=1)(x.T)
    with pytest.raises(ExampleError, match=r"in example 7\b"):  # chunks of 3: chunk 2's 1
        gvmap.vmap(f, chunk_size=3)(x)
    with pytest.raises(ExampleError) as info:
        gvmap.vmap(gvmap.vmap(f))(x.reshape(5, 2, 6))
    assert info.value.example == (3, 1)
    with pytest.raises(ExampleError) as info:  # inner vmap over axis 1 of the outer example
        gvmap.vmap(gvmap.vmap(f, in_axes=1))(np.moveaxis(x.reshape(5, 2, 6), 1, 2))
    assert info.value.example == (3, 1)
    with pytest.raises(ExampleError) as info:  # jit: the program is one example, unnamed
        gvmap.jit(f)(x[7])
    assert info.value.example == () and "in example" not in str(info.value)
    with pytest.raises(ValueError, match="All-NaN"):  # a known value raises while tracing
        gvmap.vmap(lambda v: v + np.nanargmax(np.array([np.nan, np.nan])))(x)


def test_an_unbatched_all_nan_raises_for_the_first_example(backend):
    table = np.full(4, np.nan)
    f = lambda v, t: v + np.nanargmax(t + 0 * v[0])
    with pytest.raises(ExampleError) as info:
        gvmap.vmap(f, in_axes=(0, None))(RNG.randn(3, 2), table)
    assert info.value.example == (0,)
    assert gvmap.vmap(f, in_axes=(0, None))(np.zeros((0, 2)), table).shape == (0, 2)


# ---------------------------------------------------------------- np.geomspace

def test_geomspace_with_a_traced_zero_endpoint_raises_naming_it(plan_kind):
    start = np.array([1.0, 2.0, -3.0, 0.0, 4.0, 0.0])
    stop = np.array([8.0, 0.5, -1.0, 2.0, 0.0, 1.0])
    f = lambda a, b: np.geomspace(a, b, 5)
    with pytest.raises(ValueError, match="cannot include zero"):
        oracle(f)(start, stop)
    with pytest.raises(ExampleValueError, match=r"numpy\.geomspace: Geometric sequence cannot "
                                                 r"include zero in example 3\b") as info:
        gvmap.vmap(f)(start, stop)
    assert info.value.example == (3,)
    with pytest.raises(ExampleValueError, match=r"in example 4\b"):
        gvmap.vmap(lambda b: np.geomspace(1.0, b, 3))(stop)
    check(f, start[:3], stop[:3])
    check(lambda a: np.geomspace(a, [1.0, -2.0], 4, axis=1), np.array([[0.5, -1.0], [2.0, -3.0]]))


# ---------------------------------------------------------------- np.choose, np.put, np.place

I35 = RNG.randint(0, 3, (7, 5))
X35, Y35 = RNG.randn(7, 5), RNG.randn(7, 5)


@pytest.mark.parametrize("f", [
    lambda i, x, y: np.choose(i, [x, y, 2.0]),
    lambda i, x, y: np.choose(i - 1, (x, y, x * y), mode="wrap"),
    lambda i, x, y: np.choose(i * 3 - 4, [x, y.astype(np.float32), x], mode="clip"),
    lambda i, x, y: np.choose(np.array([0, 2, 1, 1, 0]), [x, y, -x]),   # constant indices
    lambda i, x, y: np.choose(i[0], np.stack([x, y, x + y])),           # choices as one array
    lambda i, x, y: np.choose(i, [x.astype(np.int32), 1, -1]) * 2,
])
def test_choose(plan_kind, f):
    check(f, I35, X35, Y35)


def test_choose_raises_for_an_invalid_entry_naming_the_example(backend):
    i = I35.copy()
    i[4, 2] = 3
    i[6, 0] = -1
    f = lambda i, x, y: np.choose(i, [x, y, x])
    with pytest.raises(ValueError, match="invalid entry in choice array"):
        oracle(f)(i, X35, Y35)
    with pytest.raises(ExampleValueError, match=r"numpy\.choose: invalid entry in choice array in "
                                                 r"example 4\b.*mode='clip'") as info:
        gvmap.vmap(f)(i, X35, Y35)
    assert info.value.example == (4,)
    with pytest.raises(ValueError, match="clipmode"):
        gvmap.vmap(lambda i, x: np.choose(i, [x], mode="nearest"))(I35, X35)
    with pytest.raises(TypeError, match=r"astype\(np\.intp\)"):
        gvmap.vmap(lambda x: np.choose(x, [x, x]))(X35)


def test_put_and_place_update_a_local_array(plan_kind):
    def f(x, i):
        y = x * 1
        np.put(y, i[:3], [10.0, 20.0])          # v repeated to the indices' number
        np.put(y, [0, -1], x[:2] * 0)           # constant indices, negative from the end
        z = x.copy()
        np.put(z, i * 3, x[::-1], mode="wrap")
        np.put(z, i - 2, 7.0, mode="clip")      # negatives clip to 0, as NumPy's put
        w = x.copy()
        np.place(w, w > 0, x[:2])               # the k-th True takes vals[k % 2]
        np.place(w, np.arange(5) % 2 == 0, [1.0, 2.0, 3.0])
        return y, z, w

    check(f, X35, I35)


def test_put_and_place_refusals_and_errors():
    def into_argument(x, i):
        np.put(x, i, 0.0)
        return x

    with pytest.raises(TypeError, match=r"argument.*a = a\.copy\(\)"):
        gvmap.vmap(into_argument)(X35, I35)

    def into_a_new_array(x, i):  # np.zeros made inside is the function's own: written
        y = np.zeros(5)
        np.put(y, i, x)
        return y

    check(into_a_new_array, X35, I35)

    def out_of_bounds(x, i):
        y = x.copy()
        np.put(y, i + 5, 1.0)
        return y

    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(out_of_bounds)(X35, I35)

    def empty_vals(x):
        y = x.copy()
        np.place(y, y > 5, [])  # nothing to write: NumPy is silent
        np.place(y, y > 0, [])
        return y

    with pytest.raises(ExampleValueError, match=r"Cannot insert from an empty array! in example 0"):
        gvmap.vmap(empty_vals)(X35)


# ---------------------------------------------------------------- np.average

def test_average_with_traced_weights_summing_to_zero_raises_naming_the_example(plan_kind):
    """NumPy raises ZeroDivisionError where the weights along the axis sum to 0; the
    batched average did too only for constant weights, and gave NaN for traced ones."""
    from gvmap.errors import ExampleZeroDivisionError

    x = RNG.randn(4, 3)
    w = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.0], [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    for f in (lambda a, v: np.average(a, weights=v), lambda a, v: np.average(a, weights=v, returned=True)[1],
              lambda a, v: np.average(a[None], axis=1, weights=v)):
        with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
            oracle(f)(x, w)
        with pytest.raises(ExampleZeroDivisionError, match=r"numpy\.average: Weights sum to zero, "
                                                           r"can't be normalized in example 2\b"):
            gvmap.vmap(f)(x, w)
        check(f, x[:2], w[:2])
