"""Dtypes and values at the edges: NaN, +-inf, -0.0 (its sign checked with ``np.signbit``),
empty batches (n = 0), very large and very small floats, integer overflow (wraparound, as
NumPy), bool arithmetic. Every case runs on every backend against the loop oracle (which
is plain NumPy), so "what NumPy does" is the expectation throughout.
"""

from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle, tree_leaves, tree_map


def check(f, *args, in_axes=0, out_axes=0, axis_size=None, chunk_size=None, ftz=False):
    """gvmap against the oracle: values (NaN and inf positions included), dtypes, shapes,
    and the sign bit of every non-NaN float (so -0.0 != +0.0 here). ``ftz``: the oracle
    flushes float32 subnormals to zero, as the cupy backend does (``FlushToZero``)."""
    with np.errstate(all="ignore"):
        if ftz:
            expected = tree_map(flush_subnormals, oracle(
                lambda *a: f(*(x.view(FlushToZero) for x in a)), in_axes, out_axes,
                axis_size)(*map(flush_subnormals, args)))
        else:
            expected = oracle(f, in_axes, out_axes, axis_size)(*args)
        got = gvmap.vmap(f, in_axes=in_axes, out_axes=out_axes, axis_size=axis_size,
                         chunk_size=chunk_size)(*args)
    assert_tree_close(got, expected)
    assert_signbits_equal(gvmap.device_get(got), expected)
    return got


def assert_signbits_equal(got, expected) -> None:
    for i, (a, e) in enumerate(zip(tree_leaves(got), tree_leaves(expected))):
        e = np.asarray(e)
        if e.dtype.kind == "f":
            keep = ~np.isnan(e)
            np.testing.assert_array_equal(
                np.signbit(a)[keep], np.signbit(e)[keep],
                err_msg=f"output leaf {i}: sign bits differ (-0.0 vs +0.0?): got {a!r}, expected {e!r}")


def flush_subnormals(x):
    """float32 subnormals (inputs or results) as the GPU gives them under CuPy's -ftz=true:
    zeros of the same sign. Other values, and other dtypes, unchanged."""
    x = np.asarray(x)
    if x.dtype != np.float32:
        return x
    tiny = np.finfo(np.float32).tiny
    return np.where(np.abs(x) < tiny, np.copysign(np.float32(0), x), x).astype(np.float32)


class FlushToZero(np.ndarray):
    """A NumPy array computing as the cupy backend does on float32: every ufunc (reductions
    included) sees its subnormal inputs, and gives its subnormal results, as zeros."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [flush_subnormals(x) if isinstance(x, np.ndarray) else x for x in inputs]
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if isinstance(result, tuple):
            return tuple(flush_subnormals(r).view(FlushToZero) for r in result)
        return flush_subnormals(result).view(FlushToZero)


SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 3.0]

FLOAT_DTYPES = [np.float32, np.float64]


def specials(dtype) -> np.ndarray:
    """(3, 10): the special values, reversed, and the specials times -1."""
    row = np.array(SPECIAL, dtype)
    return np.stack([row, row[::-1], -row])


# ---------------------------------------------------------------------------- NaN, inf, -0.0

ELEMENTWISE = {
    "tanh": np.tanh, "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "floor": np.floor, "ceil": np.ceil, "negative": lambda x: -x,
    "times_zero": lambda x: x * 0.0, "minus_self": lambda x: x - x, "reciprocal": lambda x: 1.0 / x,
    "square": lambda x: x * x, "relu": lambda x: np.maximum(x, 0.0),
    "min0": lambda x: np.minimum(x, 0.0), "clip": lambda x: np.clip(x, -1.0, 1.0),
    "arctan2_y": lambda x: np.arctan2(x, -1.0), "arctan2_x": lambda x: np.arctan2(-0.0, x),
    "pow2": lambda x: x ** 2, "pow_half": lambda x: np.power(x, 0.5),
    "pow_zero": lambda x: np.power(x, 0.0), "isnan": np.isnan,
    "nan_to_zero": lambda x: np.where(np.isnan(x), 0.0, x), "gt0": lambda x: x > 0,
    "eq_self": lambda x: x == x, "ne_self": lambda x: x != x,
    "logical_not": np.logical_not, "astype_bool": lambda x: x.astype(bool),
    "add_neg_zero": lambda x: x + (-0.0), "mul_neg_one": lambda x: x * -1.0,
    "chain": lambda x: np.tanh(np.exp(x) * 2.0 - x) + np.sqrt(np.abs(x)),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_special_values_elementwise(backend, name, dtype):
    check(ELEMENTWISE[name], specials(dtype))
    check(ELEMENTWISE[name], specials(dtype).T, in_axes=1, out_axes=-1)


REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
    "argmax": np.argmax, "argmin": np.argmin, "cumsum": np.cumsum, "var": np.var,
    "std": np.std, "sum_keepdims": lambda x: np.sum(x, keepdims=True),
    "max_of_exp": lambda x: np.exp(x).max(), "dot": lambda x: x @ np.ones(x.shape[-1], x.dtype),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_special_values_reductions(backend, name, dtype):
    """NaN propagates through max/min/sum, inf - inf is NaN, argmax finds the first NaN."""
    x = specials(dtype)
    check(REDUCTIONS[name], x)
    check(REDUCTIONS[name], x[:, 1:3])       # inf and -inf only: sums to NaN
    check(REDUCTIONS[name], x[:, 3:5])       # +0.0 and -0.0 only


NEG_ZERO = {
    "negate_zero": (lambda x: -x, 0.0),
    "times_minus_one": (lambda x: x * -1.0, 0.0),
    "sqrt_neg_zero": (np.sqrt, -0.0),
    "floor_neg_half": (np.floor, -0.5),   # floor(-0.5) = -1, but ceil(-0.5) = -0.0
    "ceil_neg_half": (np.ceil, -0.5),
    "neg_zero_plus_neg_zero": (lambda x: x + x, -0.0),
    "abs_neg_zero": (np.abs, -0.0),       # +0.0
    "neg_small_times_zero": (lambda x: x * 0.0, -0.25),
    "tanh_neg_zero": (np.tanh, -0.0),
    "sin_neg_zero": (np.sin, -0.0),
    "sign_neg_zero": (np.sign, -0.0),
    "min_reduce_neg_zero": (np.min, -0.0),
    "sum_of_neg_zeros": (np.sum, -0.0),   # NumPy: -0.0 + -0.0 = -0.0
    "cumsum_of_neg_zeros": (np.cumsum, -0.0),
    "prod_neg": (np.prod, -0.0),
    "reciprocal_of_neg_zero": (lambda x: 1.0 / x, -0.0),   # -inf
    "arctan2_neg_zero": (lambda x: np.arctan2(x, -1.0), -0.0),  # -pi
    "where_keeps_sign": (lambda x: np.where(x == 0, x, 1.0), -0.0),
    "expand_and_sum": (lambda x: x[None, :].sum(0), -0.0),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", sorted(NEG_ZERO))
def test_negative_zero_sign(backend, name, dtype):
    f, value = NEG_ZERO[name]
    x = np.full((3, 4), value, dtype)
    check(f, x)


def test_signbit_check_is_not_vacuous():
    """The sign-bit comparison in ``check`` does see -0.0 vs +0.0 (assert_allclose alone
    treats them as equal)."""
    assert_tree_close(np.zeros(3), -np.zeros(3))  # passes: the sign is invisible to it
    with pytest.raises(AssertionError, match="sign bits"):
        assert_signbits_equal((np.zeros(3),), (-np.zeros(3),))
    assert_signbits_equal((np.array([np.nan, -0.0]),), (np.array([-np.nan, -0.0]),))


# ---------------------------------------------------------------------------- empty batches

EMPTY_CASES = {
    "tanh": (lambda x: np.tanh(x), (4,), np.float32),
    "sum": (lambda x: x.sum(), (4,), np.float32),
    "mean": (lambda x: x.mean(0), (2, 3), np.float64),
    "max": (lambda x: x.max(-1, keepdims=True), (2, 3), np.float32),
    "argmax": (lambda x: np.argmax(x), (3,), np.float64),
    "int_sum": (lambda x: x.sum(), (3,), np.int32),       # int64, as NumPy
    "bool_any": (lambda x: np.logical_or(x, ~x), (3,), np.bool_),
    "bool_sum": (lambda x: np.sum(x), (3,), np.bool_),
    "matvec": (lambda x: np.ones((2, 3), np.float32) @ x, (3,), np.float32),
    "index": (lambda x: x[::-1, 0], (3, 2), np.float64),
    "take": (lambda x: np.take(x, np.array([0, 2, 0])), (3,), np.float64),
    "reshape_T": (lambda x: x.reshape(3, 2).T, (6,), np.float32),
    "concat": (lambda x: np.concatenate([x, x * 2]), (2,), np.float64),
    "pair": (lambda x: (x.sum(), x * 2), (3,), np.float32),
    "astype": (lambda x: x.astype(np.int8), (3,), np.float32),
    "scalar_out": (lambda x: x[0], (3,), np.int64),
}


@pytest.mark.parametrize("out_axes", [0, -1])
@pytest.mark.parametrize("name", sorted(EMPTY_CASES))
def test_empty_batch(backend, name, out_axes):
    """n = 0: a result of the right shape and dtype (what stacking zero examples gives)."""
    f, shape, dtype = EMPTY_CASES[name]
    x = np.zeros((0,) + shape, dtype)
    got = check(f, x, out_axes=out_axes)
    for leaf in tree_leaves(gvmap.device_get(got)):
        assert 0 in np.shape(leaf)


def test_empty_batch_on_a_later_axis(backend):
    x = np.zeros((3, 0, 2), np.float32)
    got = check(lambda a, b: a.sum(0) + b, x, np.ones((2, 0), np.float32), in_axes=(1, 1))
    assert gvmap.device_get(got).shape == (0, 2)


def test_empty_batch_nested(backend):
    x = np.zeros((2, 0, 3), np.float64)
    f = lambda v: np.tanh(v).sum()
    got = gvmap.vmap(gvmap.vmap(f, in_axes=0), in_axes=1)(x)
    assert_tree_close(got, oracle(oracle(f, 0), 1)(x))


def test_empty_batch_with_chunk_size(backend):
    check(lambda v: v * 2.0, np.zeros((0, 3), np.float32), chunk_size=2)


def test_empty_batch_with_unbatched_argument(backend):
    check(lambda v, w: w @ v, np.zeros((0, 3)), np.ones((2, 3)), in_axes=(0, None))


def test_empty_per_example_dimension(backend):
    """Batch of 3, each example of shape (0,): sum gives 0, prod gives 1."""
    x = np.zeros((3, 0), np.float32)
    check(lambda v: (v.sum(), v.prod(), v * 2), x)


# ---------------------------------------------------------------------------- extreme floats

@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_overflow_to_inf(backend, dtype):
    info = np.finfo(dtype)
    x = np.array([[info.max, -info.max, info.max / 2], [1.0, 2.0, 3.0]], dtype)
    check(lambda v: v * 2, x)
    check(lambda v: v + v, x)
    check(lambda v: np.exp(v * 1e3), x)        # inf, 0, inf ...
    check(lambda v: v.sum(), x)                # max + (-max) + max/2 in order
    check(lambda v: np.sum(v[::2]), x)         # max + max/2 overflows to inf
    check(lambda v: v.mean(), x[:, ::2])
    check(lambda v: (v * v).sum(), x)
    check(lambda v: np.sqrt(v * v), x)         # inf, not |v|
    check(lambda v: v.astype(np.float32), x)   # float64 max -> inf in float32


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_tiny_and_subnormal(backend, dtype):
    """Subnormals are kept, as NumPy keeps them, except float32 on the cupy backend: CuPy
    compiles every kernel (its own ufuncs and gvmap's) with -ftz=true, so there float32
    subnormal inputs and results are zeros of their sign (as XLA does on GPUs), and the
    expectation is the oracle's with each float32 input and result flushed alike."""
    info = np.finfo(dtype)
    sub = info.smallest_subnormal
    x = np.array([[info.tiny, sub, -sub, info.tiny / 4], [1e-3, info.eps, -info.eps, 1.0]], dtype)
    ftz = backend == "cupy" and dtype == np.float32
    check(lambda v: v / 2, x, ftz=ftz)         # subnormals, and 0 from the smallest one
    check(lambda v: v * 0.5 * 2.0, x, ftz=ftz)
    check(lambda v: v.sum(), x, ftz=ftz)
    check(lambda v: v > 0, x, ftz=ftz)
    check(lambda v: np.log(np.abs(v)), x, ftz=ftz)
    check(lambda v: 1.0 / v, x, ftz=ftz)       # 1/subnormal overflows to inf
    check(lambda v: v - v[::-1], x, ftz=ftz)


def test_flush_to_zero_oracle():
    """The cupy expectation above flushes float32 subnormals, and only them: the smallest
    subnormal is not > 0, log|.| of it is -inf, tiny * 0.5 * 2 is 0, normal values stay."""
    info = np.finfo(np.float32)
    sub, tiny = info.smallest_subnormal, info.tiny
    x = np.array([[tiny, sub, -sub, tiny / 4], [1e-3, info.eps, -info.eps, 1.0]], np.float32)

    def expected(f):
        with np.errstate(all="ignore"):
            flushed = oracle(lambda v: f(v.view(FlushToZero)))(flush_subnormals(x))
        return tree_map(flush_subnormals, flushed)

    np.testing.assert_array_equal(expected(lambda v: v > 0),
                                  [[True, False, False, False], [True, True, False, True]])
    assert np.isneginf(expected(lambda v: np.log(np.abs(v)))[0, 1:]).all()
    halved = expected(lambda v: v * 0.5 * 2.0)
    np.testing.assert_array_equal(halved[0], [0.0, 0.0, -0.0, 0.0])
    assert np.signbit(halved[0, 2]) and halved[1, 3] == 1.0
    assert expected(lambda v: v.sum())[0] == tiny
    np.testing.assert_array_equal(flush_subnormals(x.astype(np.float64)), x.astype(np.float64))


def test_float16_extremes(backend):
    x = np.array([[65504.0, -65504.0, 6e-8, 1.0]], np.float16).repeat(2, 0)
    check(lambda v: v * 2, x)
    check(lambda v: v / 4, x)


def test_large_float64_precision_kept(backend):
    """1e16 + 1 - 1e16 computed in float64 is 0 or 2, never a float32 result."""
    x = np.array([[1e16, 1.0, 3.0], [2.0**53, 1.0, -1.0]])
    check(lambda v: (v[0] + v[1]) - v[0], x)
    check(lambda v: v.astype(np.int64), x)


# ---------------------------------------------------------------------------- integer overflow

INT_CASES = {
    "int32_max_plus_1": (np.int32, [2**31 - 1, -2**31, 5], lambda v: v + np.int32(1)),
    "int32_min_minus_1": (np.int32, [2**31 - 1, -2**31, 5], lambda v: v - np.int32(1)),
    "int64_max_plus_1": (np.int64, [2**63 - 1, -2**63, 7], lambda v: v + 1),
    "int8_mul": (np.int8, [100, -100, 127], lambda v: v * v),
    "int8_add": (np.int8, [100, -100, 127], lambda v: v + v),
    "int8_neg_min": (np.int8, [-128, 127, 0], lambda v: -v),
    "int8_abs_min": (np.int8, [-128, 127, -1], lambda v: np.abs(v)),
    "uint8_sub": (np.uint8, [0, 1, 255], lambda v: v - np.uint8(1)),
    "uint8_add": (np.uint8, [255, 128, 3], lambda v: v + v),
    "int16_square": (np.int16, [300, -300, 181], lambda v: v * v),
    "int64_mul": (np.int64, [2**62, 3, -2**40], lambda v: v * v),
    "int32_pow": (np.int32, [7, -3, 1000], lambda v: v ** 3),
    "floor_divide_neg": (np.int32, [-7, 7, -1], lambda v: v // 2),
    "remainder_neg": (np.int32, [-7, 7, -1], lambda v: v % 3),
    "divide_by_neg": (np.int32, [-7, 7, 0], lambda v: v // -2),
    "int_true_divide": (np.int32, [-7, 7, 2**31 - 1], lambda v: v / 2),
    "int8_sum_promotes": (np.int8, [100, 100, 100], lambda v: v.sum()),   # int64: 300
    "int8_cumsum_promotes": (np.int8, [100, 100, 100], lambda v: np.cumsum(v)),
    "int32_prod": (np.int32, [2**20, 2**20, 2**20], lambda v: np.prod(v)),
    "int64_sum_wraps": (np.int64, [2**62, 2**62, 2**62], lambda v: v.sum()),
    "astype_wraps": (np.int32, [300, -129, 2**31 - 1], lambda v: v.astype(np.int8)),
    "int_mean": (np.int64, [2**62, 2**62, 1], lambda v: v.mean()),
    "int_max_argmax": (np.int8, [-128, 127, 127], lambda v: (v.max(), v.argmax(), v.min())),
    "int_matvec_wraps": (np.int32, [2**30, 2**30, 3], lambda v: np.ones((2, 3), np.int32) @ v),
}


@pytest.mark.parametrize("name", sorted(INT_CASES))
def test_integer_overflow_wraps_as_numpy(backend, name):
    dtype, row, f = INT_CASES[name]
    x = np.array([row, row[::-1]], dtype)
    check(f, x)


def test_integer_division_by_zero_is_zero(backend):
    """NumPy: integer x // 0 and x % 0 are 0 (with a warning), never a crash or garbage."""
    x = np.array([[7, -7, 0], [1, 2, 3]], np.int32)
    check(lambda v: v // (v * 0), x)
    check(lambda v: v % (v * 0), x)


def test_python_int_out_of_range_for_dtype(backend):
    """NumPy 2 (NEP 50) refuses ``int8_array + 300``; gvmap must not silently wrap it."""
    x = np.ones((2, 3), np.int8)
    with pytest.raises(OverflowError) as numpy_error:
        x[0] + 300
    with pytest.raises(OverflowError, match="300"):
        gvmap.vmap(lambda v: v + 300)(x)
    assert numpy_error.value is not None


# ---------------------------------------------------------------------------- bool arithmetic

BOOL_CASES = {
    "add_is_or": lambda a, b: a + b,
    "mul_is_and": lambda a, b: a * b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "invert": lambda a, b: ~a,
    "not": lambda a, b: np.logical_not(a),
    "logical_xor_ne": lambda a, b: a != b,
    "sum": lambda a, b: np.sum(a),              # int64 count
    "sum_axis": lambda a, b: (a & b).sum(0),
    "mean": lambda a, b: np.mean(a),            # float64
    "prod": lambda a, b: np.prod(a),            # int64
    "max": lambda a, b: a.max(),                # bool
    "min": lambda a, b: np.min(b, axis=-1),
    "argmax": lambda a, b: np.argmax(a),
    "cumsum": lambda a, b: np.cumsum(a),        # int64
    "plus_int": lambda a, b: a + 1,             # int64
    "times_float": lambda a, b: a * 2.5,        # float64
    "astype_f32": lambda a, b: a.astype(np.float32) - b,
    "maximum": lambda a, b: np.maximum(a, b),
    "where": lambda a, b: np.where(a, b, ~b),
    "compare": lambda a, b: (a > b, a <= b, a == b),
    "matmul": lambda a, b: a @ b.T,             # bool matmul: logical or of ands
    "dot_int": lambda a, b: np.dot(a.astype(np.int32), b.T.astype(np.int32)),
    "negative_via_int": lambda a, b: -(a.astype(np.int8)),
    "bool_true_divide": lambda a, b: a / (b + True),
}


@pytest.mark.parametrize("name", sorted(BOOL_CASES))
def test_bool_arithmetic(backend, name):
    rng = np.random.RandomState(3)
    a = rng.rand(4, 2, 3) > 0.5
    b = rng.rand(4, 2, 3) > 0.5
    check(BOOL_CASES[name], a, b)


def test_bool_subtract_refused_like_numpy(backend):
    a = np.ones((2, 3), bool)
    with pytest.raises(TypeError):
        a[0] - a[1]
    with pytest.raises(TypeError, match="subtract|-"):
        gvmap.vmap(lambda u, v: u - v)(a, a)
    with pytest.raises(TypeError, match="negative|-"):
        gvmap.vmap(lambda u: -u)(a)


def test_sum_of_a_scalar_negative_zero_is_positive_zero(backend):
    """NumPy's sum starts from +0.0, so even a 0-d sum turns -0.0 into +0.0 (found by the
    random programs: arctan2 of the result then differs by pi)."""
    def f(v):
        s = (-v.var()).sum()
        return np.arctan2(s, s), 1.0 / s.sum(axis=())  # +inf for +0.0, -inf for -0.0

    check(f, np.ones((3, 1)))


# ---------------------------------------------------------------------------- literals by bits

def _float_from_bits(bits: int) -> np.float64:
    return np.array(bits, np.uint64).view(np.float64)[()]


NAN_A, NAN_B = _float_from_bits(0x7FF8000000000001), _float_from_bits(0x7FF8000000000002)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_signed_zero_literals_are_not_merged(backend, dtype):
    """Common-subexpression elimination keyed literals by value, so ``x * 0.0`` and
    ``x * -0.0`` were one equation: 1/(x * -0.0) gave +inf where NumPy gives -inf."""
    zero, neg_zero = dtype(0.0), dtype(-0.0)
    x = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype)
    check(lambda v: (1 / (v * 0.0), 1 / (v * -0.0)), x)
    check(lambda v: (v * neg_zero + 0.0, v * zero - 0.0, np.arctan2(v * neg_zero, -1.0)), x)


def test_nan_literals_with_different_payloads_are_not_merged(backend):
    """Two NaN literals with different bits are different values: selecting one or the
    other (no arithmetic, so every backend keeps the bits) must give each its own bits."""
    x = np.array([[1.0, -1.0], [2.0, 0.0]])

    def f(v):
        return np.where(v > 0, NAN_A, v), np.where(v > 0, NAN_B, v)

    expected = oracle(f)(x)
    got = gvmap.device_get(gvmap.vmap(f)(x))
    for a, e in zip(got, expected):
        np.testing.assert_array_equal(a.view(np.uint64), e.view(np.uint64))
    assert not np.array_equal(got[0].view(np.uint64), got[1].view(np.uint64))


def test_literal_equality_is_by_dtype_and_bits():
    """The IR's literals (and with them CSE's keys) compare by dtype and bits."""
    from gvmap.graph import Literal

    assert Literal(np.float64(0.0)) != Literal(np.float64(-0.0))
    assert Literal(np.float64(1.0)) != Literal(np.float32(1.0))
    assert Literal(np.int64(1)) != Literal(np.float64(1.0))
    assert Literal(NAN_A) == Literal(_float_from_bits(0x7FF8000000000001))
    assert Literal(NAN_A) != Literal(NAN_B)
    assert len({Literal(np.float64(0.0)), Literal(np.float64(-0.0)), Literal(np.float64(0.0))}) == 2


def test_cse_merges_equal_literals_only():
    """The pass still merges repeats with bit-identical literals (NaNs included)."""
    from gvmap.passes import eliminate_common_subexpressions

    def f(v):
        return (v + NAN_A, v + NAN_A, v + NAN_B, v * 0.0, v * 0.0, v * -0.0,
                v * np.float32(2), v.astype(np.float32) * np.float32(2))

    graph = gvmap.make_graph(gvmap.vmap(f))(np.ones((2, 3)))
    cleaned = eliminate_common_subexpressions(graph).check()
    names = [str(e.primitive) for e in cleaned.eqns]
    assert names.count("add") == 2 and names.count("mul") == 4, str(cleaned)


# ---------------------------------------------------------------------------- clip on ties

CLIP_X = [0.0, -0.0, np.nan, -1.0, 2.0]
CLIP_LO = [0.0, -0.0, -1.0, np.nan]
CLIP_HI = [0.0, -0.0, 1.0, np.nan]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("bounds", ["python", "numpy_scalar", "0d_constant", "array_constant"])
@pytest.mark.parametrize("x_shape", [(), (3,), (2, 3)])
def test_clip_signed_zeros_with_unbatched_bounds(backend, dtype, bounds, x_shape):
    """np.clip(0.0, -1.0, -0.0) is 0.0 in NumPy (scalar bounds: a tie keeps x) but
    np.clip([0.0], [-1.0], [-0.0]) is -0.0 (array bounds: a tie gives the bound); gvmap
    gave -0.0 for both, which arctan2 turns into -pi (found by the random programs)."""
    x = np.array(CLIP_X, dtype).reshape((-1,) + (1,) * len(x_shape)) * np.ones(x_shape, dtype)
    for lo in CLIP_LO:
        for hi in CLIP_HI:
            lo_, hi_ = {"python": (lo, hi), "numpy_scalar": (dtype(lo), dtype(hi)),
                        "0d_constant": (np.array(lo, dtype), np.array(hi, dtype)),
                        "array_constant": (np.full(x_shape, lo, dtype),
                                           np.full(x_shape, hi, dtype)),
                        }[bounds]
            check(lambda v: np.clip(v, lo_, hi_), x)
            check(lambda v: (v.clip(lo_, hi_), np.arctan2(np.clip(v, lo_, hi_), -1.0)), x)


def _clip_triples(dtype, shape=()):
    """Every (x, lo, hi) of the tables above as three batched arrays of per-example ``shape``."""
    grid = np.array([(x, lo, hi) for x in CLIP_X for lo in CLIP_LO for hi in CLIP_HI], dtype)
    column = lambda k: grid[:, k].reshape((-1,) + (1,) * len(shape))
    return [np.broadcast_to(column(k), (len(grid),) + shape).copy() for k in range(3)]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3)])
def test_clip_signed_zeros_with_batched_bounds(backend, dtype, shape):
    """Per-example bounds: 0-d ones take NumPy's scalar-bounds loop, arrays of x's shape the
    other; and mixed with a Python-float bound."""
    x, lo, hi = _clip_triples(dtype, shape)
    check(lambda v, a, b: np.clip(v, a, b), x, lo, hi)
    check(lambda v, a, b: np.arctan2(np.clip(v, a, b), -1.0), x, lo, hi)
    for bound in (0.0, -0.0, np.nan):
        check(lambda v, a: (np.clip(v, a, bound), np.clip(v, bound, a)), x, lo)
    if shape:  # bounds broadcast along the last axis
        check(lambda v, a, b: np.clip(v, a[..., :1], b[..., :1]), x, lo, hi)


@pytest.mark.parametrize("x_shape,lo_shape,hi_shape", [
    ((2, 3), (2, 1), (2, 1)),    # NumPy: inner loop over 3, both bounds stride 0: keeps x
    ((3, 2), (3, 1), (3, 1)),    # NumPy buffers the bounds (cheaper than 3 loops of 2)
    ((2, 3), (), (2, 1)),        # the (2, 1) bound is buffered: ties give the bound
    ((2, 3), (1, 3), ()),
    ((3,), (2, 1), (2, 1)),      # x broadcast: output (2, 3)
    ((2, 3, 4), (2, 1, 1), (2, 1, 1)),
    ((2, 3, 4), (1, 3, 1), (1, 3, 1)),
    ((), (1,), (1,)),            # NumPy's trivial loop: 1-D bounds keep their stride
    ((1,), (1,), (1, 1)),        # the iterator: size-1 dims have stride 0
])
def test_clip_signed_zeros_with_broadcast_bounds(backend, x_shape, lo_shape, hi_shape):
    """Bounds that broadcast: which NumPy loop runs depends on its iterator's inner loop."""
    n = 2
    x = np.zeros((n,) + x_shape)
    x[1] = -0.0
    lo = np.full((n,) + lo_shape, -1.0)
    hi = np.full((n,) + hi_shape, -0.0)
    check(lambda v, a, b: np.clip(v, a, b), x, lo, hi)
    check(lambda v, a, b: np.clip(v, -b, -a), x, lo, hi)


def test_clip_model_matches_numpy():
    """``numpy_keeps_x`` (which loop NumPy's clip runs) against NumPy itself, on random
    C-ordered shapes with size-1 and missing dims, large ones near the buffer size, and
    mixed dtypes (casts change NumPy's buffering)."""
    from gvmap.numpy.clip import numpy_keeps_x

    rng = np.random.RandomState(5)
    for _ in range(1500):
        ndim = rng.randint(0, 4)
        out = tuple(rng.choice([1, 2, 3, 5, 64, 300], size=ndim))
        if np.prod(out) > 200_000:
            continue
        shapes = []
        for _ in range(3):
            shape = out[ndim - rng.randint(0, ndim + 1):]
            shapes.append(tuple(1 if rng.rand() < 0.4 else d for d in shape))
        dtypes = [(np.float32, np.float64)[rng.randint(2)] for _ in range(3)]
        loop = np.result_type(*dtypes)
        x = np.zeros(shapes[0], dtypes[0])
        lo, hi = np.full(shapes[1], -1.0, dtypes[1]), np.full(shapes[2], -0.0, dtypes[2])
        result = np.clip(x, lo, hi)
        expected = not np.signbit(result).any()
        assert np.signbit(result).all() != expected, (shapes, dtypes)  # one loop for all
        got = numpy_keeps_x(shapes, [np.dtype(d) != loop for d in dtypes])
        assert got == expected, (shapes, dtypes)


def test_clip_one_sided_and_float16(backend):
    """One bound: NumPy's _clip calls maximum/minimum (a tie gives the bound); float16's
    loops keep x on ties."""
    x = np.array([[0.0, -0.0, np.nan], [1.0, -1.0, 0.0]])
    check(lambda v: (np.clip(v, -0.0, None), np.clip(v, None, -0.0), np.clip(v, 0.0, None),
                     np.clip(v, max=0.0)), x)
    x16 = x.astype(np.float16)
    check(lambda v: (np.clip(v, np.float16(-0.0), np.float16(0.0)),
                     np.clip(v, np.zeros(3, np.float16), -np.zeros(3, np.float16))), x16)


def test_clip_python_int_bounds_beyond_the_dtype(backend):
    """NumPy's _clip drops Python-int bounds beyond an integer dtype's range (NEP 50 would
    refuse to convert them); gvmap raised OverflowError converting -1000 to int8."""
    x = np.array([[-128, 0, 127], [5, -5, 100]], np.int8)
    check(lambda v: (np.clip(v, -1000, 1000), np.clip(v, -1000, 50), np.clip(v, -3, 300)), x)


# ---------------------------------------------------------------------------- more ufuncs' edges
# hypot, fmod, copysign, nextafter, heaviside and the shifts where C or CuPy would differ

def pairs(values, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b) of ``values``, as two (2, k) batches: the pairs, and the pairs reversed
    (so each example sees every combination, batched at 0)."""
    a, b = np.meshgrid(np.array(values, dtype), np.array(values, dtype))
    a, b = a.ravel(), b.ravel()
    return np.stack([a, a[::-1]]), np.stack([b, b[::-1]])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_hypot_does_not_overflow_in_the_squares(backend, dtype):
    """NumPy's hypot (C's) scales: hypot(3e200, 4e200) is 5e200 where the squares are inf;
    an infinity wins over NaN (hypot(inf, NaN) is inf)."""
    info = np.finfo(dtype)
    big = 3e200 if dtype == np.float64 else 3e30
    got = gvmap.device_get(check(lambda a, b: np.hypot(a, b),
                                 *pairs([big, -4 * big / 3, info.max, info.tiny, 0.0, -0.0,
                                         np.inf, -np.inf, np.nan, 1.0], dtype)))
    assert np.isclose(gvmap.device_get(gvmap.vmap(np.hypot)(np.array([big], dtype),
                                                           np.array([4 * big / 3], dtype)))[0],
                      5 * big / 3, rtol=1e-6)
    assert np.isfinite(got[0, 0]) and np.isinf(got).any() and not np.isnan(got).all()
    inf_nan = gvmap.device_get(gvmap.vmap(np.hypot)(np.array([np.inf, np.nan, -np.inf], dtype),
                                                    np.array([np.nan, -np.inf, np.nan], dtype)))
    np.testing.assert_array_equal(inf_nan, [np.inf] * 3)


def test_hypot_float16_past_the_squares_range(backend):
    """float16's largest value is 65504: hypot(300, 400) squares past it, NumPy gives 500."""
    x = np.array([[300.0, 257.0, 1000.0, 20000.0], [256.5, -0.5, 60000.0, 65504.0]], np.float16)
    y = np.array([[400.0, 256.5, -3000.0, 20000.0], [256.5, 300.0, 40000.0, 0.0]], np.float16)
    got = gvmap.device_get(check(lambda a, b: np.hypot(a, b), x, y))
    assert got.dtype == np.float16 and got[0, 0] == 500 and np.isfinite(got[0]).all()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_fmod_signs_zeros_and_infinities(backend, dtype):
    """C's fmod: the dividend's sign (fmod(-0.0, 1) is -0.0, fmod(-3.5, 2) is -1.5), x fmod
    inf is x, inf fmod y and x fmod 0 are NaN."""
    check(lambda a, b: np.fmod(a, b), *pairs([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -3.5,
                                             2.0, 0.1, -0.75], dtype))
    got = gvmap.device_get(gvmap.vmap(np.fmod)(np.array([-0.0, 1.0, -1.0, -3.5], dtype),
                                               np.array([1.0, np.inf, np.inf, 2.0], dtype)))
    np.testing.assert_array_equal(got, [-0.0, 1.0, -1.0, -1.5])
    assert np.signbit(got[0])


def test_integer_fmod_by_zero_and_by_minus_one(backend):
    """NumPy: x fmod 0 is 0 (with a warning), the sign of the dividend, MIN fmod -1 is 0."""
    for dtype in (np.int8, np.int32, np.int64, np.uint8, np.uint64):
        info = np.iinfo(dtype)
        values = [0, 1, 7, 3, info.max] + ([-1, -7, -3, info.min] if info.min else [])
        check(lambda a, b: np.fmod(a, b), *pairs(values, dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_copysign_of_nan_and_signed_zeros(backend, dtype):
    check(lambda a, b: np.copysign(a, b), *pairs([np.nan, -np.nan, np.inf, 0.0, -0.0, 1.0, -2.5],
                                                 dtype))
    # the sign of a NaN result (check() compares NaN positions only)
    got = gvmap.device_get(gvmap.vmap(np.copysign)(np.array([np.nan, np.nan, 1.0], dtype),
                                                   np.array([-0.0, 1.0, -np.nan], dtype)))
    np.testing.assert_array_equal(np.signbit(got), [True, False, True])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_nextafter_towards_infinities_and_zeros(backend, dtype):
    """One step toward the second operand: from 0 to the smallest subnormal (flushed to a
    zero of its sign on cupy float32), from the largest value to inf, from inf back, between
    the zeros (nextafter(0.0, -0.0) is -0.0), NaN from either side."""
    info = np.finfo(dtype)
    ftz = backend == "cupy" and dtype == np.float32
    check(lambda a, b: np.nextafter(a, b), *pairs([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0,
                                                  info.max, -info.max, info.tiny,
                                                  info.smallest_subnormal], dtype), ftz=ftz)
    if not ftz:
        with np.errstate(over="ignore"):  # NumPy's warning for max -> inf
            got = gvmap.device_get(gvmap.vmap(np.nextafter)(
                np.array([0.0, info.max, np.inf, 0.0, -0.0], dtype),
                np.array([1.0, np.inf, 0.0, -0.0, 0.0], dtype)))
        np.testing.assert_array_equal(got, [info.smallest_subnormal, np.inf, info.max, 0.0, 0.0])
        np.testing.assert_array_equal(np.signbit(got[3:]), [True, False])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_heaviside_at_zero_nan_and_infinities(backend, dtype):
    """NaN for NaN, h0 at either zero (h0 may be NaN or -0.0), else 0 or 1."""
    check(lambda a, b: np.heaviside(a, b), *pairs([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0,
                                                  -1.0, 0.5], dtype))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32,
                                   np.uint64], ids=lambda d: np.dtype(d).name)
def test_shift_counts_past_the_width_and_negative(backend, dtype):
    """NumPy's shifts (C's are undefined there): a count >= the width, or a negative one,
    gives 0, and -1 for a right shift of a negative value; width - 1 keeps one bit."""
    info, width = np.iinfo(dtype), 8 * np.dtype(dtype).itemsize
    values = [0, 1, 5, info.max] + ([-1, -5, info.min] if info.min else [])
    counts = [c for c in (0, 1, width - 1, width, width + 1, 2 * width, -1, -width)
              if info.min <= c <= info.max]
    a, b = np.meshgrid(np.array(values, dtype), np.array(counts, dtype))
    x, s = np.stack([a.ravel()] * 2), np.stack([b.ravel()] * 2)
    check(lambda v, c: (v << c, v >> c, np.left_shift(v, c), np.right_shift(v, c)), x, s)
    shifted = gvmap.vmap(lambda v: (v << width, v >> width))(np.array([[1, 5]], dtype))
    got = gvmap.device_get(shifted)
    np.testing.assert_array_equal(got, np.zeros((2, 1, 2), dtype))


def test_shift_assignments(backend):
    def f(v, c):
        w = v * 1
        w <<= c
        z = v + 0
        z >>= c
        return w, z

    check(f, np.array([[1, -8, 2**30], [-1, 7, 3]], np.int32), np.array([[0, 33, -1], [31, 2, 32]]))


def test_reductions_of_a_0d_value_take_axis_0_or_minus_1(backend):
    """NumPy's ufunc.reduce accepts axis 0 / -1 of a 0-d array (np.sum(x, axis=-1) is x),
    and refuses a tuple of axes or axis 1 (found by the random programs: count_nonzero)."""
    x = np.array([0.5, 0.0, -1.0])
    f = lambda v: (np.count_nonzero(v, axis=-1), np.sum(v, axis=0), np.max(v, axis=-1),
                   (v > 0).any(axis=0), np.min(v, axis=0, keepdims=True), v.prod(axis=-1))
    check(f, x)
    for bad in (lambda v: np.sum(v, axis=1), lambda v: np.sum(v, axis=(0,)),
                lambda v: np.mean(v, axis=0)):
        with pytest.raises(np.exceptions.AxisError):
            bad(np.array(0.5))
        with pytest.raises(np.exceptions.AxisError):
            gvmap.vmap(bad)(x)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("ufunc", [np.logaddexp, np.logaddexp2])
def test_logaddexp_at_the_edges(backend, ufunc, dtype):
    """Equal infinities stay (logaddexp2(-inf, -inf) is -inf, not NaN), NaN wins, -0.0 meets
    +0.0 as equal, huge gaps give the larger operand; float16 computes in float32 as
    NumPy's 'ee->e' loop does."""
    edges = np.array([np.inf, -np.inf, np.nan, -0.0, 0.0, 1e4, -1e4, 3.0], dtype)
    a, b = np.meshgrid(edges, edges)
    check(lambda u, v: ufunc(u, v), a, b)
    check(lambda u: ufunc(u, u[::-1]), np.linspace(-20, 20, 24, dtype=dtype).reshape(4, 6))


# ---------------------------------------------------------------------------- number theory, float anatomy
# gcd / lcm at the integer limits, spacing, modf, frexp and ldexp at zeros, infinities, NaN,
# subnormals and the float limits (float32 subnormals flush on cupy: ftz)

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32, np.uint64]


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_gcd_lcm_of_negatives_zeros_and_the_limits(backend, dtype):
    """Nonnegative results from negative operands, gcd(0, 0) = lcm(x, 0) = 0, and NumPy's
    wraps: |MIN| is MIN again (gcd(MIN, 0)), an lcm past the range wraps (lcm(100, 99) in
    int8 is -84), as NumPy's unsigned arithmetic gives."""
    info = np.iinfo(dtype)
    values = [0, 1, 6, 4, 99, 100, info.max, info.max - 1] + (
        [-1, -4, -6, info.min, info.min + 1, -100] if info.min else [])
    if info.max >= 46342:
        values += [46341, 46342]  # an lcm past 2**31
    gcds, _ = gvmap.device_get(check(lambda a, b: (np.gcd(a, b), np.lcm(a, b)), *pairs(values, dtype)))
    assert ((gcds >= 0) | (gcds == info.min)).all()
    if info.min:
        got = gvmap.vmap(np.gcd)(np.array([-4, info.min, -6], dtype), np.array([6, 0, 0], dtype))
        assert gvmap.device_get(got).tolist() == [2, info.min, 6]


def test_gcd_lcm_promote_mixed_integers_and_refuse_bools_and_floats(backend):
    """NumPy's promotion (int8 with uint8 is int16, a Python int stays weak) and its
    TypeErrors: no bool loop (bools are not cast up), none for floats, none for int64 with
    uint64 (their common type is float64)."""
    a = np.array([[-12, 7, 0], [100, -128, 9]], np.int8)
    b = np.array([[18, 200, 5], [250, 3, 0]], np.uint8)
    got = check(lambda x, y: (np.gcd(x, y), np.lcm(x, y), np.gcd(x, 4), np.lcm(y, 3),
                              np.gcd(x, y.astype(np.int64))), a, b)
    assert [r.dtype for r in gvmap.device_get(got)] == [np.int16, np.int16, np.int8, np.uint8, np.int64]
    bad = [(np.array([[True, False]]), np.array([[True, True]])),
           (np.array([[4.0, 6.0]]), np.array([[2, 3]])),
           (np.array([[4, 6]]), np.array([[2, 3]], np.uint64))]
    for fn in (np.gcd, np.lcm):
        for x, y in bad:
            with pytest.raises(TypeError) as numpy_error:
                fn(x[0], y[0])
            with pytest.raises(TypeError) as gvmap_error:
                gvmap.vmap(fn)(x, y)
            assert str(gvmap_error.value) == str(numpy_error.value)
    with pytest.raises(TypeError):
        gvmap.vmap(np.gcd.reduce)(np.array([[True, False]]))


def test_gcd_lcm_reduce_match_numpys_fold(backend):
    """np.gcd.reduce starts from gcd's identity 0 (one element gives its absolute value, an
    empty axis 0); np.lcm.reduce folds left from the first element (-4 stays -4), wraps as
    NumPy's loop does, and refuses an empty axis and several axes with NumPy's ValueError."""
    x = np.array([[[-4, 6, 10, -128, 0], [7, 0, 0, 0, 0]],
                  [[46341, 46342, 3, 5, 7], [-2**31, 2**31 - 1, -1, 1, 0]]], np.int32)
    check(lambda v: (np.gcd.reduce(v), np.gcd.reduce(v, axis=-1), np.gcd.reduce(v, axis=None),
                     np.lcm.reduce(v, axis=1), np.lcm.reduce(v[0]), np.gcd.reduce(v[:, :1], axis=1),
                     np.lcm.reduce(v[:, 2:], axis=1, keepdims=True), np.gcd.reduce(v[:, :0], axis=1),
                     np.gcd.reduce(v, axis=(0, 1), initial=-6), np.gcd.reduce(v, axis=()),
                     np.lcm.reduce(v[:, :1], axis=-1, initial=-9)), x)
    for bad, error in ((lambda v: np.lcm.reduce(v, axis=None), "not reorderable"),
                       (lambda v: np.lcm.reduce(v[:, :0], axis=1), "no identity")):
        with pytest.raises(ValueError, match=error):
            bad(x[0])
        with pytest.raises(ValueError, match=error):
            gvmap.vmap(bad)(x)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.bool_])
def test_bitwise_reductions_match_numpys(backend, dtype):
    """np.bitwise_and / or / xor .reduce (gvmap/numpy/folds.py, trees of the elementwise
    ufunc): the operand's dtype (dtype= another), the identity on an empty axis (-1, all bits,
    for and; 0 else), odd lengths (xor meets the element left over once), several axes,
    axis=() and 0-d operands, initial=, keepdims; floats are NumPy's TypeError."""
    x = np.random.RandomState(7).randint(-128, 128, (3, 5, 7)).astype(dtype)
    for u in (np.bitwise_and, np.bitwise_or, np.bitwise_xor):
        check(lambda v: (u.reduce(v), u.reduce(v, axis=-1), u.reduce(v, axis=None), u.reduce(v[:, :0], axis=1),
                         u.reduce(v, axis=(0, 1), keepdims=True), u.reduce(v, axis=()), u.reduce(v[0, 0]),
                         u.reduce(v[:, :1], axis=1), u.reduce(v[:, :3], axis=-1, initial=True),
                         u.reduce(v, axis=0, dtype=np.int64)), x)
    with pytest.raises(TypeError):
        gvmap.vmap(np.bitwise_or.reduce)(x.astype(np.float64))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                                   np.int64, np.uint64, np.bool_])
def test_bitwise_count_at_the_limits(backend, dtype):
    """np.bitwise_count of every integer width: MIN (|MIN| wraps to MIN's one bit), MAX,
    -1 (|-1| is 1), 0, large 64-bit patterns; bools as int8; uint8 for all."""
    rng = np.random.RandomState(9)
    if dtype is np.bool_:
        x = rng.rand(2, 8) > 0.5
    else:
        info = np.iinfo(dtype)
        x = rng.randint(-5, 6, (2, 8)).astype(dtype)
        x[0, :4] = [info.min, info.max, 0, info.max - 1]
        x[1, :4] = (rng.randint(0, 2 ** 62, 4, dtype=np.int64).astype(np.uint64) * np.uint64(3)).astype(dtype)
    check(lambda v: np.bitwise_count(v), x)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64, np.bool_])
def test_logical_xor_reduce_is_the_parity_of_nonzero_elements(backend, dtype):
    """np.logical_xor.reduce: bool for every operand (NaN counts as nonzero, -0.0 as zero),
    True where an odd number of elements are nonzero; empty axes False, initial= joins."""
    rng = np.random.RandomState(8)
    x = (rng.randint(-2, 3, (3, 4, 5)) * (rng.rand(3, 4, 5) < 0.5)).astype(dtype)
    if dtype in (np.float32, np.float64):
        x[0, 0, :2], x[1, 1, :2] = np.nan, -0.0
    u = np.logical_xor
    check(lambda v: (u.reduce(v), u.reduce(v, axis=-1, keepdims=True), u.reduce(v, axis=None),
                     u.reduce(v[:, :0], axis=1), u.reduce(v, axis=()), u.reduce(v[0, 0]),
                     u.reduce(v, axis=1, initial=True)), x)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [np.float16])
def test_spacing_at_zeros_infinities_nan_and_the_limits(backend, dtype):
    """The gap to the next float away from zero: +smallest subnormal at BOTH zeros (NumPy's
    npy_spacing), NaN at the infinities, inf at the largest value, negative below zero;
    float16 as NumPy's npy_half_spacing: the gap towards +inf, positive below zero too."""
    info = np.finfo(dtype)
    ftz = backend == "cupy" and dtype == np.float32
    x = np.array([[0.0, -0.0, np.inf, -np.inf, np.nan, info.max, -info.max, 1.0, -1.0],
                  [info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal,
                   3 * info.smallest_subnormal, 2.0, -0.75, 1e-3, 1e30]], dtype)
    check(np.spacing, x, ftz=ftz)
    if not ftz and dtype != np.float16:
        with np.errstate(over="ignore"):
            got = gvmap.device_get(gvmap.vmap(np.spacing)(x))[0]
        np.testing.assert_array_equal(got[[0, 1, 5, 6, 7]], [info.smallest_subnormal] * 2 + [
            np.inf, -np.inf, info.eps])
        assert not np.signbit(got[1]) and np.isnan(got[2:5]).all()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [np.float16])
def test_modf_of_signed_zeros_infinities_and_nan(backend, dtype):
    """modf: both parts keep x's sign (-3.0 gives -0.0 and -3.0, -0.0 gives -0.0 twice),
    +-inf gives +-0.0 and +-inf, NaN gives NaN twice; float16 too (NumPy's own loop)."""
    x = np.array([[0.0, -0.0, np.inf, -np.inf, np.nan, -3.0, 3.0, -2.5, 0.75],
                  [1e30, -1e-30, 2.0 ** 23 + 0.5, -(2.0 ** 52), 1.0, -1.0, 7.25, -0.25, 100.5]],
                 np.float64).astype(dtype)
    got = gvmap.device_get(check(np.modf, x))
    assert [r.dtype for r in got] == [np.dtype(dtype)] * 2
    assert np.signbit(got[0][0, [1, 3, 5]]).all() and np.signbit(got[1][0, [1, 3, 5]]).all()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [np.float16])
def test_frexp_of_zeros_infinities_nan_and_subnormals(backend, dtype):
    """frexp: x itself with exponent 0 at +-0.0, +-inf and NaN; subnormals normalised
    (mantissa in [0.5, 1), exponents below the normal range); the exponent is int32 for
    every float dtype, and ints give NumPy's float (int8 -> float16, int32 -> float64)."""
    info = np.finfo(dtype)
    ftz = backend == "cupy" and dtype == np.float32
    x = np.array([[0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.75, info.max],
                  [info.tiny, -info.tiny, info.smallest_subnormal, -3 * info.smallest_subnormal,
                   -info.max, 6.0, -1e-3, 2.0 ** 10, 0.5]], dtype)
    got = gvmap.device_get(check(np.frexp, x, ftz=ftz))
    assert [r.dtype for r in got] == [np.dtype(dtype), np.dtype(np.int32)]
    assert got[1][0, :5].tolist() == [0] * 5
    ints = check(lambda i: (np.frexp(i), np.frexp(i.astype(np.int8))), np.array([[3, -12, 0]], np.int32))
    assert [r.dtype for pair in gvmap.device_get(ints) for r in pair] == [
        np.float64, np.int32, np.float16, np.int32]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [np.float16])
def test_ldexp_overflow_underflow_subnormals_and_huge_exponents(backend, dtype):
    """x * 2**e with one rounding: to inf past the largest value, through the subnormals
    (rounded once) to a zero of x's sign, NaN and infinities kept; an int64 exponent past
    int's range is clamped as NumPy's loop clamps it (2**32 + 1 is not 1)."""
    info = np.finfo(dtype)
    ftz = backend == "cupy" and dtype == np.float32
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.5, 0.75, info.max, info.tiny,
              info.smallest_subnormal, 3.0]
    exponents = [0, 1, -1, 10, -10, 127, 128, -126, -149, -150, 1024, -1074, -1075, 2**31 - 1,
                 -2**31, 2**32 + 1, -(2**32) - 1, 2**62, -2**63]
    a, b = np.meshgrid(np.array(values, dtype), np.array(exponents, np.int64))
    x, e = np.stack([a.ravel(), a.ravel()[::-1]]), np.stack([b.ravel(), b.ravel()[::-1]])
    got = gvmap.device_get(check(lambda v, k: (np.ldexp(v, k), np.ldexp(v, k.astype(np.int32)),
                                               np.ldexp(v, 7), np.ldexp(v, k.astype(np.int8))),
                                 x, e, ftz=ftz))
    assert [r.dtype for r in got] == [np.dtype(dtype)] * 4
    one = gvmap.device_get(gvmap.vmap(np.ldexp)(np.array([1.0, 1.0], dtype),
                                                np.array([2**32 + 1, -(2**32) - 1], np.int64)))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(one, np.ldexp(np.ones(2, dtype), [2**31 - 1, -2**31]))
    assert np.isinf(one[0]) and one[1] == 0


def test_ldexp_dtypes_follow_numpys_loops(backend):
    """float32 with an int64 exponent stays float32 (NumPy's fl->f loop); integer x gives
    float64 (int8 x float16); a Python int exponent is weak; a float or uint64 exponent
    raises NumPy's TypeError, a Python int past int32 its OverflowError."""
    x32 = np.array([[1.5, -2.0, 3.0]], np.float32)
    e = np.array([[3, -200, 40]], np.int64)
    got = check(lambda v, k: (np.ldexp(v, k), np.ldexp(v, 2), np.ldexp(k, k),
                              np.ldexp(k.astype(np.int8), 3), np.ldexp(2.0, k),
                              np.ldexp(v, k.astype(np.uint32)), np.ldexp(v, k > 0)), x32, e)
    assert [r.dtype for r in gvmap.device_get(got)] == [np.float32, np.float32, np.float64,
                                                        np.float16, np.float64, np.float32, np.float32]
    for bad, error in ((lambda v, k: np.ldexp(v, v), TypeError),
                       (lambda v, k: np.ldexp(v, k.astype(np.uint64)), TypeError),
                       (lambda v, k: np.ldexp(v, 2**40), OverflowError)):
        with pytest.raises(error) as numpy_error:
            bad(x32[0], e[0])
        with pytest.raises(error) as gvmap_error:
            gvmap.vmap(bad)(x32, e)
        assert str(gvmap_error.value) == str(numpy_error.value)


def test_frexp_modf_ldexp_gcd_with_out_and_where(backend):
    """The ufunc keywords as the other ufuncs take them: ``out=`` arrays the function made
    (a tuple for two results), ``where=`` with ``out=``, positional outputs, ``dtype=``."""
    def f(v, k):
        m, ex = np.zeros_like(v), np.zeros(v.shape, np.int64)
        r = np.frexp(v, out=(m, ex))
        frac, whole = np.empty_like(v), np.ones_like(v)
        np.modf(v * 3, frac, whole)
        s = np.full_like(v, -1.0)
        np.ldexp(v, k, out=s, where=k > 0)
        g = np.zeros(k.shape, np.int64)
        np.gcd(k, 6, out=g)
        return r[0] is m, m, ex, frac, whole, s, g, np.ldexp(v, k, dtype=np.float64), np.spacing(v, dtype=np.float64)

    v = np.array([[0.75, -3.5, 0.0], [1e-310, np.inf, -2.0]])
    k = np.array([[2, -1, 0], [5, 3, -4]], np.int32)
    check(lambda a, b: f(a, b)[1:], v.astype(np.float32), k)
    assert gvmap.device_get(gvmap.vmap(lambda a, b: f(a, b)[0])(v, k)).all()


def compare_outside_range(x):
    # NumPy 2 compares an integer array with a Python int outside its dtype exactly
    # (every element on one side), and np.where / np.select cast such an int wrapping
    return (x <= -5, x > -1, x == 70000, -1 < x, x < 2 ** 70, x[0] >= -3, np.not_equal(x, 2 ** 40),
            np.where(x > 1, x, -1), np.where(x > 1, 70000, x), np.select([x > 2], [x], -1))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int8, np.int32, np.uint64])
def test_integer_compared_with_a_python_int_outside_its_range(plan_kind, dtype):
    # were OverflowError ("Python integer -5 out of bounds for uint16") where the loop works
    x = np.array([[0, 3, 100], [1, 2, 127]]).astype(dtype)
    check(compare_outside_range, x)
    with pytest.raises(OverflowError):   # arithmetic and assignment still raise, as NumPy's
        gvmap.vmap(lambda x: np.maximum(x, 2 ** 70))(x)


def degree_conversions(x):
    return np.degrees(x), np.rad2deg(x), np.radians(x), np.deg2rad(x), np.degrees(np.arcsin(x / 400))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_degrees_and_radians_round_as_numpy(plan_kind, dtype):
    # float32 was x * float32(180 / pi), one ulp from NumPy's 180.0f / NPY_PIf in 3 of 4
    # elements (a NOAA sun position on float32 dates differed by 2e-6 degrees), and float16
    # rounded the factor to float16 where NumPy's loop computes in float32
    x = np.random.RandomState(7).uniform(-400, 400, (3, 400)).astype(dtype)
    expected = oracle(degree_conversions)(x)
    for got, want in zip(gvmap.device_get(gvmap.vmap(degree_conversions)(x)), expected):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def float16_means(x):
    return (np.mean(x), np.mean(x, axis=1), np.mean(x, axis=0, keepdims=True), x.mean(),
            np.mean(x, where=x > 0), np.mean(x, dtype=np.float16))


def test_float16_mean_sums_in_float32_as_numpy(plan_kind):
    # summed and divided in float16, where NumPy's mean of float16 works in float32 and
    # rounds once: the circular mean of float16 headings differed in a third of examples
    x = np.random.RandomState(3).uniform(-1, 1, (300, 4, 6)).astype(np.float16)
    expected = oracle(float16_means)(x)
    for got, want in zip(gvmap.device_get(gvmap.vmap(float16_means)(x)), expected):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


# --- non-finite values where NumPy's loops never reach them (found by tests/test_corpus_series.py)

def test_interp_at_a_sample_point_next_to_a_non_finite_one(plan_kind):
    # NumPy takes fp[j] where x == xp[j] ("avoid potential non-finite interpolation");
    # the slope to an inf neighbour gave inf * 0 = NaN there
    xp = np.array([[0.0, 1, 2, 3, 4], [0, 1, 1, 2, 3]])
    fp = np.array([[1.0, np.inf, 3, -np.inf, np.nan], [np.inf, 1, 2, -np.inf, 5]])
    q = np.array([0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, np.nan, -np.inf])
    f = lambda q, xp, fp: np.interp(q, xp, fp)
    with np.errstate(invalid="ignore"):
        check(f, np.stack([q, q[::-1]]), xp, fp)
        check(f, np.stack([q, q[::-1]]), xp[0], fp[0], in_axes=(0, None, None))
        check(f, q, xp, fp, in_axes=(None, 0, 0))


@pytest.mark.parametrize("taps", [3, 20])  # the fused shifted-slice sum, and the windows
def test_convolve_padding_never_meets_a_non_finite_tap(plan_kind, taps):
    # NumPy sums only the overlap in 'full' / 'same'; the zero padding times an inf or
    # NaN tap gave NaN in outputs that never see it
    rng = np.random.RandomState(3)
    a, v = rng.randn(2, 30), rng.randn(2, taps)
    v[0, 1], v[1, -1] = np.inf, np.nan
    a[1, 2] = -np.inf
    fs = [lambda a, v: np.convolve(a, v, "full"), lambda a, v: np.convolve(a, v, "same"),
          lambda a, v: np.correlate(a, v, "full"), lambda a, v: np.correlate(v, a, "same"),
          lambda a, v: np.convolve(v, a, "valid")]
    with np.errstate(invalid="ignore"):
        for f in fs:
            check(f, a, v)
            check(f, a[0], v, in_axes=(None, 0))
            check(f, a, v[0], in_axes=(0, None))
