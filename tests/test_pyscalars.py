"""Python numbers as traced values (``gvmap.pyscalars``): the math module on traced scalars,
``round(s)``, and Python's operators on their results, against the loop oracle on every
backend and plan kind: values and dtypes (weak promotion: a Python float meeting float32
stays float32), Python's result types (``True + True`` is 2), the loop's exceptions
(``math.sqrt(-1)``, ``1.0 / 0.0``, ``math.exp(1000)``) naming the first failing example,
and ``isinstance`` / ``type`` of the results."""
from __future__ import annotations

import functools
import math
from math import exp, sqrt

import numpy as np
import pytest

import gvmap
from gvmap.pyscalars import MATH_FUNCTIONS
from oracle import check_vmap, oracle

RNG = np.random.RandomState(11)
X = RNG.rand(7, 3) * 0.8 + 0.1          # inside every function's domain


check = functools.partial(check_vmap, quiet=True)  # vmap(f) against the loop


_ONE = {name: getattr(math, name) for name in (
    "sqrt", "exp", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos",
    "atan", "sinh", "cosh", "tanh", "asinh", "atanh", "fabs", "degrees", "radians", "floor",
    "ceil", "trunc", "isnan", "isinf", "isfinite") + (("cbrt", "exp2") if hasattr(math, "cbrt") else ())}
_TWO = {name: getattr(math, name) for name in ("atan2", "copysign", "fmod", "pow", "hypot", "log",
                                                "isclose", "remainder", "nextafter")}


def _anatomy(v):
    m, e = math.frexp(v[0] * 1e3)
    frac, whole = math.modf(-v[1] * 7)
    k = math.floor(v[2] * 40)
    return (m, e, frac, whole, math.ldexp(v[0], e), math.ldexp(v[1], -3), math.gcd(k, 12),
            math.gcd(k), math.gcd(-k, 6, 9), math.lcm(k, 4), math.lcm(k, -6, 5), math.gcd(),
            isinstance(e, int) + 0)


def test_float_anatomy_and_integer_math(plan_kind):
    """math.frexp / modf / ldexp / gcd / lcm (on NumPy's frexp, modf, ldexp, gcd, lcm
    primitives): Python floats and ints, as in the loop; ldexp's overflow raises."""
    check(_anatomy, X)
    with np.errstate(all="ignore"):
        with pytest.raises(OverflowError, match="math range error"):
            gvmap.vmap(lambda v: math.ldexp(v[0] * 1e308, 10))(X)
    with pytest.raises(TypeError, match="Expected an int as second argument to ldexp"):
        gvmap.vmap(lambda v: math.ldexp(v[0], v[1]))(X)
    with pytest.raises(TypeError, match="'float' object cannot be interpreted as an integer"):
        gvmap.vmap(lambda v: math.gcd(v[0], 2))(X)


def test_every_math_function_gvmap_computes_is_tested():
    tested = set(_ONE.values()) | set(_TWO.values()) | {math.dist, math.acosh, math.frexp,
                                                         math.modf, math.ldexp, math.gcd,
                                                         math.lcm}
    assert set(MATH_FUNCTIONS) <= tested


@pytest.mark.parametrize("name", sorted(_ONE))
def test_math_function_of_a_traced_scalar(plan_kind, name):
    fn = _ONE[name]
    check(lambda v: fn(v[0]), X)                        # a Python number per example
    if name == "trunc":  # only np.float64 (a Python float) has __trunc__
        with pytest.raises(TypeError, match="numpy.float32 doesn't define __trunc__"):
            gvmap.vmap(lambda v: fn(v[1]))(X.astype(np.float32))
        return
    check(lambda v: v * fn(v[1]), X.astype(np.float32))  # weak: float32 stays float32


@pytest.mark.parametrize("name", sorted(_TWO))
def test_math_function_of_two_traced_scalars(plan_kind, name):
    fn = _TWO[name]
    check(lambda v: fn(v[0], v[1] + 1.5), X)
    check(lambda v: fn(2.5, v[2]), X)


def test_math_functions_of_integers_and_bools(plan_kind):
    xi = RNG.randint(1, 40, (5, 3))
    check(lambda v: (math.sqrt(v[0]), math.floor(v[1]), math.log(v[2], 2), math.exp(v[0] > 20),
                     math.hypot(v[0], v[1], v[2]), math.acosh(v[0])), xi)
    with pytest.raises(TypeError, match="numpy.int64 doesn't define __trunc__"):
        gvmap.vmap(lambda v: math.trunc(v[0]))(xi)
    with pytest.raises(TypeError, match="numpy.bool doesn't define __round__"):
        gvmap.vmap(lambda v: round(v[0] > 3))(xi)


def test_math_imported_by_name_and_in_helpers(plan_kind):
    def norm(p):
        return sqrt(p[0] ** 2 + p[1] ** 2)

    check(lambda v: exp(-norm(v)) + math.dist(v[:2], v[1:]) + math.dist((v[0], 0.0), (0.0, v[2])), X)


def test_known_values_are_the_math_modules_own(plan_kind):
    """A closed-over constant is computed by math itself, at trace time: a Python float."""
    table = np.array([4.0, 9.0])
    seen = []

    def f(v):
        s = math.sqrt(table[1])
        seen.append(s)
        return v * s

    check(f, X)
    assert seen and all(type(s) is float for s in seen)


def _weak(v):
    t = math.exp(-v[0])                  # a Python float
    return (v * t,                       # float32 stays float32
            v * np.float64(t),           # a NumPy float64 is not weak
            t * v[0],                    # with a NumPy float32 scalar: float32
            t,                           # returned alone: float64, as NumPy stacks floats
            np.exp(t))                   # a NumPy function of it: a NumPy float64


def test_weak_promotion_as_the_loop(plan_kind):
    got = check(_weak, X.astype(np.float32))
    assert [np.asarray(g).dtype for g in gvmap.device_get(got)] == \
        [np.float32, np.float64, np.float32, np.float64, np.float64]


def _operators(v):
    t, u = math.sqrt(v[0]), math.floor(v[1] * 10)
    b = t > 0.5
    s = t
    s += 1
    s *= u
    return np.array([t / 2 + 1, b + b, b * 3, -b, abs(-u), ~u, u / 4, -u // 3, -u % 3, u ** 2,
                     u ** -1, 2.0 ** u, t ** 2.5, -t % 0.3, -t // 0.3, divmod(t, 0.2)[1],
                     u << 2, u >> 1, u & 3, u | 8, u ^ 5, t == t, u != 3, round(t * 9),
                     round(t, 2), round(-2.5 * u), s, (b & (u > 3)) + 0], dtype=float)


def test_python_operators_on_traced_numbers(plan_kind):
    check(_operators, X)


def _types(v):
    t = math.sqrt(v[0])
    k, b = math.floor(t * 4), math.isnan(t)
    return np.array([isinstance(t, float), type(t) is float, isinstance(t, np.floating),
                     isinstance(t, np.ndarray), np.isscalar(t), isinstance(k, int),
                     type(k) is int, isinstance(b, bool), isinstance(t + 1, float),
                     isinstance(t * v[0], np.floating), isinstance(round(t), int)], float)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_isinstance_and_type_of_traced_numbers(plan_kind, dtype):
    check(_types, X.astype(dtype))


def test_edge_values(plan_kind):
    """NaN and infinite inputs give NaN / inf without an error where Python's math does;
    -0.0 keeps its sign (sqrt(-0.0), copysign, fabs, floor of -0.5)."""
    edges = np.array([[np.nan, -0.0, 0.0], [np.inf, -0.0, 1e-310], [-0.5, 0.0, -1e-320]])
    f = lambda v: (math.sqrt(v[1]), math.copysign(1.0, v[1]), math.fabs(v[1]), math.exp(v[0]),  # noqa: E731
                   math.atan(v[0]), math.atan2(v[1], v[2]), math.tanh(v[0]),
                   math.isnan(v[0]), math.isinf(v[0]), math.hypot(v[0], v[1]),
                   math.log1p(v[2]), math.degrees(v[1]), math.isclose(v[0], v[0]))
    got = gvmap.device_get(check(f, edges))
    for g, e in zip(got, oracle(f)(edges)):
        np.testing.assert_array_equal(np.signbit(g), np.signbit(e))
    check(lambda v: (math.floor(v[0]), math.ceil(v[0]), math.trunc(v[0]), round(v[0])),
          np.array([[-0.5, 1.0], [2.5, -3.5], [1e15, -7.0]]))


ERRORS = [  # (function, inputs, the loop's exception)
    (lambda v: math.sqrt(v[0] - 0.5), X, ValueError),
    (lambda v: math.log(v[0] - v[0]), X, ValueError),
    (lambda v: math.log(v[0], v[1] * 0 + 1), X, ZeroDivisionError),
    (lambda v: math.acos(v[0] * 2), X, ValueError),
    (lambda v: math.atanh(v[0] / v[0]), X, ValueError),
    (lambda v: math.sin(v[0] / 0.0), X, ValueError),
    (lambda v: math.exp(v[0] * 2000), X, OverflowError),
    (lambda v: math.cosh(v[0] * 2000), X, OverflowError),
    (lambda v: math.pow(v[0] - v[0], -1.0), X, ValueError),
    (lambda v: math.pow(v[0] * 10, 400.0), X, OverflowError),
    (lambda v: math.fmod(v[0], v[1] * 0), X, ValueError),
    (lambda v: math.floor(v[0] / 0.0), X, OverflowError),
    (lambda v: math.ceil(v[0] * np.nan), X, ValueError),
    (lambda v: round(v[0] * np.inf), X, OverflowError),
    (lambda v: 1.0 / math.floor(v[0] * 2), X, ZeroDivisionError),
    (lambda v: 7 // math.floor(v[0] * 2), X, ZeroDivisionError),
    (lambda v: 1 % math.floor(v[0] * 2), X, ZeroDivisionError),
    (lambda v: (math.sqrt(v[0]) - math.sqrt(v[0])) ** -1.0, X, ZeroDivisionError),
    (lambda v: (10 * math.exp(v[0])) ** 400.0, X, OverflowError),
    (lambda v: 1 << -math.floor(v[0] * 3), X, ValueError),
]


@pytest.mark.parametrize("f,inputs,error", ERRORS)
def test_the_loops_errors_name_the_first_failing_example(plan_kind, f, inputs, error):
    with np.errstate(all="ignore"):
        with pytest.raises(error) as loop:
            oracle(f)(inputs)
        with pytest.raises(error) as ours:
            gvmap.vmap(f)(inputs)
    first = next(i for i in range(len(inputs)) if _raises(f, inputs[i]))
    assert f"in example {first}," in str(ours.value), (str(loop.value), str(ours.value))


def _raises(f, x) -> bool:
    try:
        with np.errstate(all="ignore"):
            f(x)
    except (ArithmeticError, ValueError):
        return True
    return False


def test_refusals_name_why():
    with pytest.raises(ValueError, match="complex number in Python"):
        gvmap.vmap(lambda v: (-math.sqrt(v[0])) ** 0.5)(X)
    with pytest.raises(NotImplementedError, match=r"float\(base\) \*\* k"):
        gvmap.vmap(lambda v: 2 ** math.floor(v[0]) ** math.floor(v[1]))(X)
    with pytest.raises(TypeError, match="bad operand type for unary ~"):
        gvmap.vmap(lambda v: ~math.sqrt(v[0]))(X)
    with pytest.raises(TypeError, match=r"only 0-dimensional arrays.*np\.sqrt"):
        gvmap.vmap(lambda v: math.sqrt(v))(X)
    # a constant past int64 meeting a traced Python int (it said "Python int too large to
    # convert to C long")
    with pytest.raises(OverflowError, match=r"Python int 1180591620717411303424 meets a traced "
                                            r"Python int in `a \+ b`.*int64"):
        gvmap.vmap(lambda v: math.floor(v[0]) + 2 ** 70)(X)


def test_nested_and_in_axes(plan_kind):
    def f(v, w):
        return math.atan2(v[0], w) * v

    x3 = RNG.rand(2, 4, 3)
    got = gvmap.vmap(gvmap.vmap(f, in_axes=(1, None)), in_axes=(0, 0))(x3, np.array([0.5, -2.0]))
    want = np.stack([np.stack([f(x3[i, :, j], w) for j in range(3)])
                     for i, w in enumerate([0.5, -2.0])])
    np.testing.assert_allclose(gvmap.device_get(got), want)


def test_several_error_kinds_raise_the_loops_first_failure(plan_kind):
    """int() of inf in example 1 and of NaN in example 3: the loop stops at example 1 with
    OverflowError (the kinds were checked in turn, so NaN's ValueError named example 3)."""
    x = np.array([[1.5], [np.inf], [2.0], [np.nan]])
    with pytest.raises(OverflowError, match="in example 1"):
        gvmap.vmap(lambda v: math.floor(v[0]))(x)
    with pytest.raises(ValueError, match="in example 0"):
        gvmap.vmap(lambda v: math.floor(v[0]))(x[::-1].copy())


INTS = np.array([[3, 4, 7], [2, 5, 7], [6, 3, 0], [4, -2, 8], [5, 2, -7]])


@pytest.mark.parametrize("f,first", [
    (lambda v: pow(int(v[0]), int(v[1]), int(v[2])), 2),     # m == 0: ValueError
    (lambda v: pow(int(v[0]), int(v[1]) - 3, 8), 3),          # 4 ** -5 mod 8: no inverse
    (lambda v: pow(int(v[0]), -1, int(v[2]) - 1), 0),         # 3 mod 6: no inverse
    (lambda v: pow(2, int(v[1]), int(v[2]) * 10 ** 9), 0),    # |m| past int64's exact limit:
    # BeyondInt64Error (the loop's ints are exact there)
])
def test_modular_power_raises_the_loops_error_at_the_first_failing_example(plan_kind, f, first):
    """pow(a, b, m) of traced Python ints: Python's errors, naming the first failing example
    (the old Tracer.__pow__ took two arguments: pow(int(a), b, m) raised a TypeError about
    gvmap's own function)."""
    with pytest.raises((ValueError, OverflowError), match=rf"in example {first}\b"):
        gvmap.vmap(f)(INTS)


def test_modular_power_matches_python(plan_kind):
    def f(v):
        a, e, m = int(v[0]), int(v[1]), int(v[2])
        return (pow(a, e, m), pow(a, -e, m), pow(-a, e, -m), pow(7, e, m), pow(a, 5, m),
                a.__pow__(e, m), pow(a, e, mod=m))

    ints = np.array([[3, 4, 7], [10 ** 9, 10 ** 9 + 7, 2 ** 31 - 1], [-5, 0, 1], [2, 62, -97], [0, 0, 11]])
    check(f, ints)


def test_modular_power_refusals_are_the_loops():
    for f in (lambda v: pow(v[0], 5, 7), lambda v: pow(int(v[0]), 2, v[1]),
              lambda v: pow(float(v[0]), 2, 5)):
        with pytest.raises(TypeError) as loop:
            f(INTS[0])
        with pytest.raises(TypeError, match=str(loop.value).replace("(", r"\(").replace(")", r"\)")
                           .replace("*", r"\*")):
            gvmap.vmap(f)(INTS)
    with pytest.raises(NotImplementedError, match=r"\|m\| <= 3037000499"):
        gvmap.vmap(lambda v: pow(int(v[0]), 2, 2 ** 61 - 1))(INTS)


def test_uint64_to_python_int_past_int64_raises_naming_the_example(plan_kind):
    """int(u[0]) and math.gcd(u[0], 6) of a uint64 of 2**63 or more: the loop's Python int
    is exact, gvmap's int64 would wrap negative (math.gcd(2**63 + 2, 6) gave 6, not 2);
    below 2**63 they batch."""
    below = np.array([[2 ** 63 - 2, 7], [12, 5]], np.uint64)
    check(lambda u: (int(u[0]) % 7, math.gcd(u[0], 6), math.lcm(u[1], 4)), below)
    past = np.array([[12, 7], [2 ** 63 + 2, 5], [2 ** 64 - 1, 1]], np.uint64)
    for f in (lambda u: int(u[0]) % 7, lambda u: math.gcd(u[0], 6)):
        with pytest.raises(OverflowError, match=r"the integer does not fit in int64.* in example 1\b"):
            gvmap.vmap(f)(past)


def test_math_floor_of_a_numpy_integer_goes_through_float(plan_kind):
    """NumPy's integer scalars have no __floor__ / __ceil__, so math.floor(x[0]) is
    math.floor(float(x[0])) in the loop: 2**62 + 1 floors to 2**62 (gvmap gave the exact
    int); a traced Python int's floor stays exact."""
    ints = np.array([[2 ** 62 + 1, -(2 ** 60) - 1, 7], [3, 2 ** 53 + 1, -5]])
    check(lambda v: (math.floor(v[0]), math.ceil(v[1]), math.floor(int(v[0])), math.floor(v[2] > 0)),
          ints)
    check(lambda u: math.floor(u[0]), np.array([[2 ** 62 + 3], [5]], np.uint64))
