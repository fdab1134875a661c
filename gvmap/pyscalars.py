"""Python numbers as traced values: what ``math.sqrt(x[0])``, ``round(s)`` and Python's
operators on their results stand for in the loop.

There, the ``math`` module's functions return Python floats (ints for ``floor`` / ``ceil``
/ ``trunc`` and ``round(s)``, bools for ``isnan`` ...), and Python's operators on Python
numbers return Python numbers. Three things tell those from NumPy scalars, and a traced
Python number (a tracer with ``_python`` set to ``float``, ``int`` or ``bool``, holding a
float64 / int64 / bool value) keeps all three:

* **Weak promotion** (NEP 50): a Python float meeting a float32 array gives float32, a
  float64 NumPy scalar gives float64. In NumPy's promotion a traced Python number stands
  as a Python number (``_core.proxy``), so ``math.exp(-t) * x32`` stays float32 as in the
  loop; any NumPy function of it (``np.exp(t)``) gives a NumPy scalar again.
* **Python's arithmetic**: ``True + True`` is 2, ``7 / 2`` is 3.5, ``-7 // 2`` is -4, and
  where Python raises, the loop raises: division by zero (``ZeroDivisionError``), a float
  ``**`` that overflows (``OverflowError``), ``0.0 ** -1``. A negative float to a
  fractional power is a complex number in Python: refused (``ValueError``), as gvmap has
  no complex numbers.
* **The math module's errors**: ``ValueError('math domain error')`` where C's result is
  NaN from a non-NaN input or infinite from a finite one (``sqrt(-1)``, ``log(0)``,
  ``sin(inf)``), ``OverflowError('math range error')`` where ``exp``, ``expm1``, ``exp2``,
  ``sinh``, ``cosh`` or ``pow`` overflow; ``floor`` / ``ceil`` / ``trunc`` / ``round`` of
  NaN or an infinity raise as Python's int conversion does.

Each error is a ``check`` (``checks.raise_where``): the loop's exception, naming the first
failing example, on every backend. Where one function can raise several kinds, they are
one check (``checks.raise_first``): the first failing example raises the kind it fails.

Python ints are int64 here: making one that int64 cannot hold (``math.floor(1e30)``)
raises ``BeyondInt64Error`` naming the example, and arithmetic on them past 2**63 wraps
as int64 does (Python's arbitrary precision is not followed). Known
values (closed-over constants) go to the math module itself, exactly as in the loop.
"""
from __future__ import annotations

import functools
import math
import operator
from typing import Any, Callable

import numpy as np

from .aliasing import call_leaves
from .tracing import Tracer

__all__ = ["kind_of", "python_operands", "mark", "as_python", "numpy_scalar", "binary", "unary",
           "to_int", "python_round", "modular_pow", "number_method", "MATH_FUNCTIONS",
           "NUMPY_NAMES"]

_DTYPES = {bool: np.dtype(np.bool_), int: np.dtype(np.int64), float: np.dtype(np.float64)}
_NUMBERS = (bool, int, float)

_OPERATORS: dict[str, Callable] = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
    "true_divide": operator.truediv, "floor_divide": operator.floordiv,
    "remainder": operator.mod, "divmod": divmod, "power": operator.pow,
    "bitwise_and": operator.and_, "bitwise_or": operator.or_, "bitwise_xor": operator.xor,
    "left_shift": operator.lshift, "right_shift": operator.rshift,
    "equal": operator.eq, "not_equal": operator.ne, "less": operator.lt,
    "less_equal": operator.le, "greater": operator.gt, "greater_equal": operator.ge}
_SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/",
            "floor_divide": "//", "remainder": "%", "divmod": "divmod", "power": "**",
            "left_shift": "<<", "right_shift": ">>"}
_DIVISIONS = ("true_divide", "floor_divide", "remainder", "divmod")
_UNARY: dict[str, Callable] = {"negative": operator.neg, "positive": operator.pos,
                               "absolute": abs, "invert": operator.invert}


def _gnp() -> Any:
    from . import numpy as gnp
    return gnp


def kind_of(x: Any) -> type | None:
    """The Python number type ``x`` is or stands for: a traced Python number's, a Python
    number's own (not NumPy's scalar types, although ``np.float64`` subclasses float);
    else None."""
    if isinstance(x, Tracer):
        return x._python
    return type(x) if type(x) in _NUMBERS else None


def python_operands(*operands: Any) -> bool:
    """Do Python's rules apply: is every operand a Python number, one of them traced?"""
    return all(kind_of(x) is not None for x in operands) and \
        any(isinstance(x, Tracer) for x in operands)


def mark(x: Any, kind: type | None) -> Any:
    """``x`` (a 0-d tracer of ``kind``'s dtype) as a traced Python number, or with ``kind``
    None as a NumPy scalar (``np.float64(t)``): a new tracer object, so the value it came
    from stays what it was."""
    if isinstance(x, tuple):
        return tuple(mark(o, kind) for o in x)
    out = Tracer(x._trace, x._var, x._value)
    out._scalar, out._python = True, kind
    return out


def numpy_scalar(x: Tracer) -> Tracer:
    """A traced Python number as the NumPy scalar of its dtype (``np.float64(t)``)."""
    return mark(x, None)


def _as(x: Any, kind: type) -> Any:
    from .numpy._core import convert
    return convert(x, _DTYPES[kind]) if isinstance(x, Tracer) else kind(x)


def as_python(x: Tracer, kind: type) -> Tracer:
    """A traced scalar converted to the dtype that stands for the Python number type
    ``kind`` (bool, int64, float64) and marked as one: ``float(x[0])``, ``x.item()``."""
    return mark(_as(x, kind), kind)


def _check(value: Any, bad: Any, error: str, function: str, reason: str, hint: str = "") -> Any:
    from .numpy.checks import raise_where
    return raise_where(value, bad, error=error, function=function, reason=reason, hint=hint)


def _checks(value: Any, *conditions: tuple) -> Any:
    """``value`` checked against ``(bad, error, function, reason, hint)`` conditions in the
    loop's order: the first failing example raises the first error failing there."""
    from .numpy.checks import raise_first
    return raise_first(value, [c if len(c) == 5 else c + ("",) for c in conditions])


def _python_error(expression: Callable[[], Any]) -> str:
    """Python's own message for an error ``expression`` raises (it differs by version)."""
    try:
        expression()
    except (ArithmeticError, ValueError) as e:
        return str(e)
    raise AssertionError("expected an error")  # pragma: no cover


# ---------------------------------------------------------------- operators

def binary(name: str, a: Any, b: Any) -> Any:
    """``a <op> b`` for Python numbers, one of them (or both) traced: Python's result type
    and errors (module docstring); Python's arithmetic raises or gives inf / nan, never a
    warning, so neither does the batch."""
    with np.errstate(all="ignore"):
        return _binary(name, a, b)


def _binary(name: str, a: Any, b: Any) -> Any:
    gnp, op = _gnp(), _OPERATORS[name]
    ka, kb = kind_of(a), kind_of(b)
    for v in (a, b):
        if type(v) is int and not -2 ** 63 <= v < 2 ** 63:
            raise OverflowError(
                f"the Python int {v} meets a traced Python int in `a {_SYMBOLS.get(name, name)} "
                f"b`: gvmap's traced Python ints are int64, which cannot hold it (the loop's "
                f"have arbitrary precision); reduce the constant first (e.g. c % m) or keep "
                f"the values as floats")
    # Python's result type, from sample values (a Python operand's own value: 3 / 0 raises
    # as the loop does for every example)
    sample = op(ka(3) if isinstance(a, Tracer) else a, kb(2) if isinstance(b, Tracer) else b)
    if name == "power" and ka is not float and kb is not float and isinstance(b, Tracer):
        raise NotImplementedError(
            "int ** int with a traced exponent: Python's result is an int for an exponent "
            "of 0 or more and a float for a negative one, so its type depends on the value; "
            "write float(base) ** k (or base ** float(k)) for a float, or np.power for NumPy's "
            "integer power")
    kind = type(sample[0] if isinstance(sample, tuple) else sample)
    if name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
        operand_kind = float if float in (ka, kb) else int
    else:
        operand_kind = float if kind is float or float in (ka, kb) else kind
    x, y = _as(a, operand_kind), _as(b, operand_kind)
    result = getattr(gnp, name)(x, y)
    where = f"a {_SYMBOLS.get(name, name)} b"
    if name in _DIVISIONS + ("left_shift", "right_shift") and not isinstance(y, Tracer):
        pass  # a Python divisor or shift count: the sample above raised where the loop does
    elif name in _DIVISIONS:
        reason, zero = _python_error(lambda: op(ka(1), kb(0))), gnp.equal(y, 0)
        checked = [_check(r, zero, "ZeroDivisionError", where, reason)
                   for r in (result if name == "divmod" else (result,))]
        result = tuple(checked) if name == "divmod" else checked[0]
    elif name in ("left_shift", "right_shift"):
        result = _check(result, gnp.less(y, 0), "ValueError", where, "negative shift count")
    elif name == "power" and kind is float:
        result = _float_power_errors(result, x, y, where)
    return mark(result, kind)


def _float_power_errors(result: Any, x: Any, y: Any, where: str) -> Any:
    gnp = _gnp()
    finite = gnp.logical_and(gnp.isfinite(x), gnp.isfinite(y))
    zero_base = gnp.logical_and(gnp.equal(x, 0), gnp.less(y, 0))
    fractional = gnp.logical_and(gnp.not_equal(y, gnp.floor(y)), finite)
    overflow = gnp.logical_and(gnp.isinf(result), finite)
    return _checks(
        result, (zero_base, "ZeroDivisionError", where, _python_error(lambda: 0.0 ** -1.0)),
        (gnp.logical_and(gnp.less(x, 0), fractional), "ValueError", where,
         "a negative float to a fractional power is a complex number in Python, which gvmap "
         "does not support", "write np.power(a, b) (NaN there) or np.abs(a) ** b"),
        (overflow, "OverflowError", where, _python_error(lambda: 10.0 ** 400.0)))


def modular_pow(a: Any, b: Any, m: Any) -> Any:
    """Python's ``pow(a, b, m)`` with one of them (or more) traced: square and multiply over
    the exponent's bits (all 63 for a traced one), every step reduced mod |m|, then Python's
    ``% m`` (the sign of m). A negative exponent takes the inverse of a mod |m| by the
    extended Euclid algorithm (48 steps bound every pair below the limit), raising Python's
    ValueError where there is none. Products of residues stay exact in int64 while |m| <=
    3037000499: a larger constant m is refused, a larger traced one raises
    ``BeyondInt64Error`` naming the example. NumPy values (``pow(x[0], 5, m)``) raise the
    loop's TypeError: NumPy has no three-argument power."""
    gnp = _gnp()
    operands = (a, b, m)
    kinds = [kind_of(v) for v in operands]
    if any(k is None for k in kinds):  # NumPy operands: NumPy's own TypeError, as the loop
        stand_ins = [v if not isinstance(v, Tracer) else
                     (v.dtype.type(1) if v._scalar else np.ones(v.shape, v.dtype))
                     if v._python is None else v._python(1) for v in operands]
        pow(*stand_ins)
        raise TypeError("pow() with three arguments needs Python ints: write "
                        "pow(int(a), int(b), m)")  # pragma: no cover (NumPy raised above)
    # Python's TypeError for floats, its ValueError for a constant m of 0 (a base of 1 is
    # invertible whatever the modulus, so a constant negative exponent passes here)
    pow(*[k(1) if isinstance(v, Tracer) else v for v, k in zip(operands, kinds)])
    if not isinstance(m, Tracer) and abs(m) > _POW_MODULUS_MAX:
        raise NotImplementedError(
            f"pow(a, b, {m}) of a traced value: gvmap's traced Python ints are int64 and the "
            f"products of residues mod {m} would pass it (|m| <= {_POW_MODULUS_MAX} is exact); "
            f"use a smaller modulus")
    x, e, mod = (_as(v, int) if isinstance(v, Tracer) else int(v) for v in operands)
    where = "pow(a, b, m)"
    conditions = []
    if isinstance(mod, Tracer):
        too_big = gnp.logical_or(gnp.greater(mod, _POW_MODULUS_MAX),
                                 gnp.less(mod, -_POW_MODULUS_MAX))
        zero = _python_error(lambda: pow(1, 1, 0))
        conditions += [(gnp.equal(mod, 0), "ValueError", where, zero),
                       (too_big, "BeyondInt64Error", where,
                        f"the products of residues mod m pass int64, which gvmap's traced Python "
                        f"ints are (|m| <= {_POW_MODULUS_MAX} is exact; the loop's ints have "
                        f"arbitrary precision)", "use a smaller modulus")]
        mod = gnp.where(gnp.equal(mod, 0), 1, mod)
    n = gnp.absolute(mod) if isinstance(mod, Tracer) else abs(mod)
    base = x % n if not isinstance(x, Tracer) and not isinstance(n, Tracer) else gnp.remainder(x, n)
    negative = gnp.less(e, 0) if isinstance(e, Tracer) else e < 0
    if isinstance(e, Tracer) or e < 0:
        inverse, invertible = _modular_inverse(base, n)
        if isinstance(negative, Tracer) or negative:
            conditions.append((gnp.logical_and(negative, gnp.logical_not(invertible)), "ValueError",
                               where, _python_error(lambda: pow(2, -1, 4))))
            base = gnp.where(negative, inverse, base)
    e = gnp.absolute(e) if isinstance(e, Tracer) else abs(e)
    result = gnp.remainder(gnp.ones_like(base), n)  # 1 % n: 0 for n == 1
    bits = 63 if isinstance(e, Tracer) else e.bit_length()
    for i in range(bits):
        bit = gnp.bitwise_and(gnp.right_shift(e, i), 1) if isinstance(e, Tracer) else (e >> i) & 1
        if isinstance(bit, Tracer):
            result = gnp.where(gnp.not_equal(bit, 0), gnp.remainder(gnp.multiply(result, base), n),
                               result)
        elif bit:
            result = gnp.remainder(gnp.multiply(result, base), n)
        if i + 1 < bits:
            base = gnp.remainder(gnp.multiply(base, base), n)
    result = gnp.remainder(result, mod)
    if conditions:
        result = _checks(result, *conditions)
    return as_python(result, int)


def _modular_inverse(a: Any, n: Any) -> tuple[Any, Any]:
    """The inverse of ``a`` (in [0, n)) mod ``n`` by the extended Euclid algorithm in 48
    fixed steps (enough for every n <= _POW_MODULUS_MAX), and whether it exists (gcd 1)."""
    gnp = _gnp()
    old_r, r = a, gnp.add(gnp.multiply(a, 0), n)
    old_s, s = gnp.add(gnp.multiply(a, 0), 1), gnp.multiply(a, 0)
    for _ in range(48):
        nonzero = gnp.not_equal(r, 0)
        q = gnp.floor_divide(old_r, gnp.where(nonzero, r, 1))
        old_r, r = gnp.where(nonzero, r, old_r), gnp.where(nonzero, old_r - q * r, r)
        old_s, s = gnp.where(nonzero, s, old_s), gnp.where(nonzero, old_s - q * s, s)
    return gnp.remainder(old_s, n), gnp.equal(old_r, 1)


def unary(name: str, x: Tracer) -> Any:
    """``-x``, ``+x``, ``abs(x)``, ``~x`` of a traced Python number, as Python computes them
    (a bool's is an int; ``~`` of a float raises Python's TypeError)."""
    kind = type(_UNARY[name](x._python(1)))  # TypeError for ~1.0, as Python's
    return mark(getattr(_gnp(), name)(_as(x, kind)), kind)


# ---------------------------------------------------------------- the math module

def _argument(x: Any, function: str) -> Any:
    """``x`` as the float the math module converts it to: a 0-d float64 tracer, or a
    Python float for a concrete value."""
    if not isinstance(x, Tracer):
        return float(x)
    if x.ndim:
        raise TypeError(f"math.{function}(): only 0-dimensional arrays can be converted to "
                        f"Python scalars (the loop's array has shape {x.shape}); use "
                        f"np.{function} for an array")
    return _as(x, float)


def _traced(args: tuple) -> bool:
    """Is an argument (or an element of a list / tuple argument: math.dist's points) traced,
    not a known value, which the math module computes on?"""
    return any(isinstance(x, Tracer) and x.known is None for x in call_leaves(args))


def _twin(name: str) -> Callable:
    """Decorates gvmap's version of ``math.<name>``: the math module's own function where
    no argument is traced (constants, known values: exactly the loop's), gvmap's where one
    is."""
    original = getattr(math, name)

    def decorate(traced: Callable) -> Callable:
        @functools.wraps(traced)
        def fn(*args: Any, **kwargs: Any) -> Any:
            if not _traced(args):
                return original(*args, **kwargs)
            with np.errstate(all="ignore"):  # the math module raises (the checks), never warns
                return traced(*args, **kwargs)
        fn.__name__ = fn.__qualname__ = name
        return fn
    return decorate


def _domain(result: Any, inputs: tuple, function: str, overflow: bool) -> Any:
    """The math module's checks on a C result (CPython's ``math_1`` / ``math_2``)."""
    gnp = _gnp()
    nan_in, finite_in = gnp.isnan(inputs[0]), gnp.isfinite(inputs[0])
    for x in inputs[1:]:
        nan_in = gnp.logical_or(nan_in, gnp.isnan(x))
        finite_in = gnp.logical_and(finite_in, gnp.isfinite(x))
    nan_out = gnp.logical_and(gnp.isnan(result), gnp.logical_not(nan_in))
    inf_out = gnp.logical_and(gnp.isinf(result), finite_in)
    name = f"math.{function}"
    if overflow:
        return _checks(result, (nan_out, "ValueError", name, "math domain error"),
                       (inf_out, "OverflowError", name, "math range error"))
    return _check(result, gnp.logical_or(nan_out, inf_out), "ValueError", name,
                  "math domain error")


def _float_function(name: str, numpy_name: str, nargs: int = 1, overflow: bool = False,
                    checked: bool = True) -> Callable:
    original = getattr(math, name)

    @_twin(name)
    def fn(*args: Any) -> Any:
        if len(args) != nargs:
            return original(*args)  # the math module's arity error
        xs = tuple(_argument(x, name) for x in args)
        result = getattr(_gnp(), numpy_name)(*xs)
        if checked:
            result = _domain(result, xs, name, overflow)
        return mark(result, float)
    fn.__doc__ = f"math.{name} of traced values: np.{numpy_name} in float64, a Python float."
    return fn


@_twin("log")
def _log(x: Any, base: Any = None) -> Any:
    """math.log(x[, base]): log(x) / log(base), each checked; base 1 divides by zero."""
    gnp = _gnp()

    def ln(v: Any) -> Any:
        v = _argument(v, "log")
        return _domain(gnp.log(v), (v,), "log", False) if isinstance(v, Tracer) else math.log(v)

    num = ln(x)
    if base is None:
        return mark(num, float)
    den = ln(base)
    quotient = gnp.true_divide(num, den)
    return mark(_check(quotient, gnp.equal(den, 0), "ZeroDivisionError", "math.log",
                        _python_error(lambda: 1.0 / 0.0)), float)


@_twin("pow")
def _pow(x: Any, y: Any) -> Any:
    """math.pow: C's pow in float64; NaN from non-NaN inputs and 0 ** negative are domain
    errors, any other overflow a range error (CPython's math_pow)."""
    gnp = _gnp()
    a, b = _argument(x, "pow"), _argument(y, "pow")
    result = gnp.power(a, b)
    finite = gnp.logical_and(gnp.isfinite(a), gnp.isfinite(b))
    nan_in = gnp.logical_or(gnp.isnan(a), gnp.isnan(b))
    inf_out = gnp.logical_and(gnp.isinf(result), finite)
    zero = gnp.equal(a, 0)
    domain = gnp.logical_or(gnp.logical_and(gnp.isnan(result), gnp.logical_not(nan_in)),
                            gnp.logical_and(inf_out, zero))
    overflow = gnp.logical_and(inf_out, gnp.logical_not(zero))
    return mark(_checks(result, (domain, "ValueError", "math.pow", "math domain error"),
                        (overflow, "OverflowError", "math.pow", "math range error")), float)


@_twin("hypot")
def _hypot(*coordinates: Any) -> Any:
    """math.hypot of any number of coordinates (np.hypot folded; never raises)."""
    xs = [_argument(x, "hypot") for x in coordinates]
    result = xs[0] if len(xs) == 1 else _gnp().hypot(xs[0], xs[1])
    for x in xs[2:]:
        result = _gnp().hypot(result, x)
    return mark(_gnp().absolute(result) if len(xs) == 1 else result, float)


@_twin("dist")
def _dist(p: Any, q: Any) -> Any:
    """math.dist of two points (sequences of numbers, or 1-d arrays): the hypot of the
    coordinates' differences, each in float64."""
    if len(p) != len(q):
        raise ValueError("both points must have the same number of dimensions")
    return _hypot(*[_gnp().subtract(_argument(a, "dist"), _argument(b, "dist"))
                    for a, b in zip(p, q)])


# round(t, n) of a traced Python float, correctly rounded as CPython's (the decimal string
# of t to n digits, read back): the nearest integer m to the EXACT t * 10**n (ties to even),
# then the double nearest m / 10**n. np.round scales in floating point, and t * 10**n rounds
# there: round(5.4885, 3) is 5.489 in Python (5.4885 is 5.48850000000000016...) and 5.488 in
# np.round, as for about a third of such halfway-looking inputs. The exact product is split
# into two exact ones (``_exact_product``); every product here is exact, so a compiler
# contracting a multiply and an add into an FMA (CUDA does) changes no result.
_ROUND_DIGITS = 11  # 10**11 = 5**11 * 2**11 has 26 significant bits: 26 x 27 bits is exact
_HIGH_BITS = np.uint64(0xFFFFFFFFF8000000)  # the top 26 bits of the significand, sign, exponent


def _exact_product(x: Any, p: float) -> tuple[Any, Any]:
    """``(hi, lo)``, floats with hi + lo exactly x * p, for p of at most 26 significant bits:
    x split by its bits into 26 + 27 (two exact products), summed by Knuth's TwoSum."""
    gnp = _gnp()
    x_hi = gnp.asarray(x).view(np.uint64)
    x_hi = (x_hi & _HIGH_BITS).view(np.float64)
    a, b = gnp.multiply(x_hi, p), gnp.multiply(gnp.subtract(x, x_hi), p)
    hi = gnp.add(a, b)
    bb = gnp.subtract(hi, a)
    lo = gnp.add(gnp.subtract(a, gnp.subtract(hi, bb)), gnp.subtract(b, bb))
    return hi, lo


def _nearest_even(hi: Any, lo: Any) -> Any:
    """The integer nearest hi + lo (exact, |lo| <= ulp(hi) / 2, |hi| < 2**53), ties to even:
    np.rint(hi) unless hi is a half (lo decides) or lo is one (the even neighbour)."""
    gnp = _gnp()
    r = gnp.rint(hi)
    d = gnp.subtract(hi, r)  # exact: 0, +-0.5, or less than 0.5 - ulp(hi), which lo cannot cross
    half_up = gnp.logical_or(gnp.logical_and(gnp.equal(d, 0.5), gnp.greater(lo, 0.0)),
                             gnp.logical_and(gnp.equal(d, 0.0), gnp.equal(lo, 0.5)))
    half_down = gnp.logical_or(gnp.logical_and(gnp.equal(d, -0.5), gnp.less(lo, 0.0)),
                               gnp.logical_and(gnp.equal(d, 0.0), gnp.equal(lo, -0.5)))
    odd = gnp.not_equal(gnp.fmod(r, 2.0), 0.0)
    tie = gnp.logical_and(gnp.equal(d, 0.0), gnp.equal(gnp.absolute(lo), 0.5))
    up = gnp.logical_and(half_up, gnp.logical_or(gnp.logical_not(tie), odd))
    down = gnp.logical_and(half_down, gnp.logical_or(gnp.logical_not(tie), odd))
    return gnp.subtract(gnp.add(r, gnp.where(up, 1.0, 0.0)), gnp.where(down, 1.0, 0.0))


def python_round(x: Any, ndigits: Any) -> Any:
    """``round(t, n)`` of a traced Python number, as Python computes it: a float correctly
    rounded (above), an int exactly, halves to even either way; a Python number of t's type
    (an int for a bool)."""
    gnp = _gnp()
    n = operator.index(ndigits)
    if x._python is not float:
        x = _as(x, int)
        if n >= 0:
            return mark(x, int)
        if -n > 18:
            raise NotImplementedError(
                f"round(t, {n}) of a traced Python int: 10**{-n} is past int64, which gvmap's "
                f"traced ints are; round to at most 18 digits")
        p = np.int64(10 ** -n)
        q = gnp.floor_divide(x, p)
        twice = gnp.multiply(gnp.subtract(x, gnp.multiply(q, p)), 2)
        up = gnp.logical_or(gnp.greater(twice, p), gnp.logical_and(
            gnp.equal(twice, p), gnp.not_equal(gnp.remainder(q, 2), 0)))
        return mark(gnp.multiply(gnp.add(q, up.astype(np.int64)), p), int)
    if abs(n) > _ROUND_DIGITS:
        raise NotImplementedError(
            f"round(t, {n}) of a traced Python float: gvmap rounds exactly (as Python, to the "
            f"nearest decimal) for |ndigits| <= {_ROUND_DIGITS} only; write np.round(t, {n}), "
            f"NumPy's scaled rounding (it can differ from Python's in the last digit)")
    p = 10.0 ** abs(n)
    finite = gnp.isfinite(x)
    if n >= 0:
        # past 2**53, x * 10**n is within half an ulp of x's own digits: round gives x
        near = gnp.logical_and(finite, gnp.less(gnp.absolute(gnp.multiply(x, p)), 2.0 ** 53))
        hi, lo = _exact_product(gnp.where(near, x, 0.0), p)
        result = gnp.true_divide(_nearest_even(hi, lo), p)
    else:
        # past 2**52 (x / 10**-n), 10**-n is at most x's ulp: round gives x
        q = gnp.true_divide(x, p)
        near = gnp.logical_and(finite, gnp.less(gnp.absolute(q), 2.0 ** 52))
        f = gnp.floor(gnp.where(near, q, 0.0))  # the exact quotient is in (f - 1/4, f + 1)
        mid_hi, mid_lo = _exact_product(f, p)   # f * 10**-n exactly; the half is p / 2
        side = gnp.subtract(gnp.subtract(gnp.subtract(gnp.where(near, x, 0.0), mid_hi), p / 2),
                            mid_lo)           # the sign of x - (f + 1/2) * 10**-n
        odd = gnp.not_equal(gnp.fmod(f, 2.0), 0.0)
        up = gnp.logical_or(gnp.greater(side, 0.0), gnp.logical_and(gnp.equal(side, 0.0), odd))
        result = gnp.multiply(gnp.add(f, gnp.where(up, 1.0, 0.0)), p)  # |m| <= 2**52: exact
    return mark(gnp.where(near, gnp.copysign(result, x), x), float)


_POW_MODULUS_MAX = 3037000499  # the largest m whose residues' products fit in int64


def _is_integer(x: Tracer) -> Any:
    """``t.is_integer()`` of a traced float (Python's or NumPy's): finite and whole."""
    gnp = _gnp()
    if x.dtype.kind != "f":
        return True
    return mark(gnp.logical_and(gnp.isfinite(x), gnp.equal(gnp.floor(x), x)), bool)


def _bit_length(x: Tracer) -> Any:
    """``k.bit_length()`` of a traced Python int: the bits of |k| (64 for -2**63)."""
    gnp = _gnp()
    u = gnp.where(gnp.less(x, 0), gnp.negative(x), x).astype(np.uint64)  # -2**63 -> 2**63
    bits = np.int64(0)
    for j in range(64):
        bits = gnp.add(bits, gnp.greater_equal(u, np.uint64(1 << j)).astype(np.int64))
    return mark(gnp.asarray(bits), int)


def number_method(x: Tracer, name: str) -> Callable | None:
    """The Python (or NumPy scalar) number method ``name`` of a traced number, or None:
    ``t.is_integer()``, ``k.bit_length()`` as in the loop."""
    if not x._scalar:
        return None
    python = x._python
    if name == "is_integer" and (python is float or python is None or hasattr(int, name)):
        return lambda: _is_integer(x)
    if name == "bit_length" and python in (int, bool):
        return lambda: _bit_length(_as(x, int))
    return None


_BEYOND_INT64 = ("the integer does not fit in int64, which gvmap's traced Python ints are (the "
                 "loop's have arbitrary precision)")


def to_int(x: Any, rounding: str, function: str) -> Any:
    """``math.floor(x)`` / ``ceil`` / ``trunc`` / ``round(x)`` / ``int(x)``: a traced Python
    int; NaN and the infinities raise as Python's int conversion does, and an integer
    beyond int64 (a float's, or a uint64 of 2**63 or more) raises ``BeyondInt64Error`` (a
    Python int would hold it)."""
    gnp = _gnp()
    if x.ndim:
        raise TypeError(f"{function}(): only 0-dimensional arrays can be converted to Python "
                        f"scalars (the loop's array has shape {x.shape})")
    if x.dtype.kind in "biu" and x._python is None and function in ("math.floor", "math.ceil"):
        x = _as(x, float)  # NumPy's integer scalars have no __floor__: Python takes float(x)
    if x.dtype.kind in "biu":
        return mark(_exact_int64(x, function), int)
    rounded = getattr(gnp, rounding)(x)
    rounded = _checks(
        rounded, (gnp.isnan(x), "ValueError", function, _python_error(lambda: int(float("nan")))),
        (gnp.isinf(x), "OverflowError", function, _python_error(lambda: int(float("inf")))),
        ((rounded >= 2.0 ** 63) | (rounded < -2.0 ** 63), "BeyondInt64Error", function,
         _BEYOND_INT64, f"keep it a float: np.{rounding}(x)"))
    with np.errstate(all="ignore"):  # NaN / inf raise (the checks), as int() does: no warning
        return as_python(rounded, int)


def _exact_int64(x: Tracer, function: str) -> Tracer:
    """An integer or bool tracer as the int64 that stands for its Python int: a uint64 of
    2**63 or more, which int64 cannot hold, raises ``BeyondInt64Error`` naming the example
    (converted, it would wrap to a negative number)."""
    if x.dtype == np.uint64:
        x = _check(x, _gnp().greater_equal(x, np.uint64(2 ** 63)), "BeyondInt64Error", function,
                   _BEYOND_INT64, "keep it a NumPy uint64: x[0] % m and x[0] >> k stay uint64")
    return _as(x, int)


def _int_function(name: str, rounding: str) -> Callable:
    @_twin(name)
    def fn(x: Any) -> Any:
        if name == "trunc" and x._python is None and (x.dtype != np.float64 or not x._scalar):
            # math.trunc calls __trunc__, which of NumPy's types only np.float64 (a
            # Python float) has
            numpy_type = x.dtype.type.__name__ if x._scalar else "ndarray"
            raise TypeError(f"type numpy.{numpy_type} doesn't define __trunc__ method")
        return to_int(x, rounding, f"math.{name}")
    fn.__doc__ = f"math.{name} of a traced value: np.{rounding}, a Python int."
    return fn


def _predicate(name: str) -> Callable:
    @_twin(name)
    def fn(x: Any) -> Any:
        return mark(getattr(_gnp(), name)(_argument(x, name)), bool)
    return fn


@_twin("isclose")
def _isclose(a: Any, b: Any, *, rel_tol: float = 1e-09, abs_tol: float = 0.0) -> Any:
    """math.isclose as CPython computes it: equal, or both finite and
    |a - b| <= max(rel_tol * |b|, rel_tol * |a|, abs_tol)."""
    if rel_tol < 0.0 or abs_tol < 0.0:
        raise ValueError("tolerances must be non-negative")
    gnp = _gnp()
    x, y = _argument(a, "isclose"), _argument(b, "isclose")
    diff = gnp.absolute(gnp.subtract(y, x))
    close = gnp.logical_or(
        gnp.logical_or(gnp.less_equal(diff, gnp.absolute(gnp.multiply(rel_tol, y))),
                       gnp.less_equal(diff, gnp.absolute(gnp.multiply(rel_tol, x)))),
        gnp.less_equal(diff, abs_tol))
    finite = gnp.logical_not(gnp.logical_or(gnp.isinf(x), gnp.isinf(y)))
    return mark(gnp.logical_or(gnp.equal(x, y), gnp.logical_and(finite, close)), bool)


@_twin("frexp")
def _frexp(x: Any) -> Any:
    """math.frexp: (mantissa, exponent), a Python float and int (0 for inf and NaN)."""
    mantissa, exponent = _gnp().frexp(_argument(x, "frexp"))
    return mark(mantissa, float), as_python(exponent, int)


@_twin("modf")
def _modf(x: Any) -> Any:
    """math.modf: (fractional, integral) parts, two Python floats."""
    return mark(_gnp().modf(_argument(x, "modf")), float)


@_twin("remainder")
def _remainder(x: Any, y: Any) -> Any:
    """math.remainder: IEEE 754's x - n * y with n the integer nearest x / y (ties to even),
    as CPython's m_remainder computes it from fmod; NaN from non-NaN inputs (y == 0, x
    infinite) is a domain error. (np.remainder is Python's floor modulo, another function.)"""
    gnp = _gnp()
    a, b = _argument(x, "remainder"), _argument(y, "remainder")
    absx, absy = gnp.absolute(a), gnp.absolute(b)
    m = gnp.fmod(absx, absy)
    c = gnp.subtract(absy, m)
    tie = gnp.subtract(m, gnp.multiply(2.0, gnp.fmod(gnp.multiply(0.5, gnp.subtract(absx, m)),
                                                      absy)))
    r = gnp.where(gnp.less(m, c), m, gnp.where(gnp.greater(m, c), gnp.negative(c), tie))
    result = gnp.multiply(gnp.copysign(1.0, a), r)
    return mark(_domain(result, (a, b), "remainder", False), float)


def _integer(x: Any, function: str) -> Any:
    """An integer argument as the math module takes it (a traced int64, or a Python int);
    a float raises Python's TypeError, a uint64 past int64 ``BeyondInt64Error``."""
    if isinstance(x, Tracer):
        if x.dtype.kind not in "biu" or x.ndim:
            what = "float" if x.dtype.kind == "f" else "numpy.ndarray"
            raise TypeError(f"'{what}' object cannot be interpreted as an integer")
        return _exact_int64(x, function)
    return operator.index(x)


@_twin("ldexp")
def _ldexp(x: Any, i: Any) -> Any:
    """math.ldexp: x * 2**i, a Python float; an overflow of a finite x is a range error."""
    if kind_of(i) is float or isinstance(i, Tracer) and i.dtype.kind not in "biu":
        raise TypeError("Expected an int as second argument to ldexp.")
    a = _argument(x, "ldexp")
    result = _gnp().ldexp(a, _integer(i, "math.ldexp"))
    overflow = _gnp().logical_and(_gnp().isinf(result), _gnp().isfinite(a))
    return mark(_check(result, overflow, "OverflowError", "math.ldexp", "math range error"),
                float)


def _gcd_function(name: str) -> Callable:
    @_twin(name)
    def fn(*integers: Any) -> Any:
        """math.gcd / math.lcm of any number of integers: a Python int (int64 here, where
        Python's lcm past 2**63 would grow)."""
        xs = [_integer(x, f"math.{name}") for x in integers]
        result = xs[0] if len(xs) > 1 else _gnp().absolute(xs[0])
        for x in xs[1:]:
            result = getattr(_gnp(), name)(result, x)
        return mark(result, int)
    return fn


_FLOAT_FUNCTIONS = [
    # (math name, NumPy name, arguments, overflow is a range error, checked: False where
    # no input gives NaN from a number or an infinity from a finite number)
    ("sqrt", "sqrt", 1, False, True), ("exp", "exp", 1, True, True),
    ("expm1", "expm1", 1, True, True), ("log2", "log2", 1, False, True),
    ("log10", "log10", 1, False, True), ("log1p", "log1p", 1, False, True),
    ("sin", "sin", 1, False, True), ("cos", "cos", 1, False, True),
    ("tan", "tan", 1, False, True), ("asin", "arcsin", 1, False, True),
    ("acos", "arccos", 1, False, True), ("atan", "arctan", 1, False, False),
    ("sinh", "sinh", 1, True, True), ("cosh", "cosh", 1, True, True),
    ("tanh", "tanh", 1, False, False), ("asinh", "arcsinh", 1, False, False),
    ("acosh", "arccosh", 1, False, True), ("atanh", "arctanh", 1, False, True),
    ("fabs", "absolute", 1, False, False), ("degrees", "degrees", 1, False, False),
    ("radians", "radians", 1, False, False), ("atan2", "arctan2", 2, False, False),
    ("copysign", "copysign", 2, False, False), ("fmod", "fmod", 2, False, True),
    ("nextafter", "nextafter", 2, False, False),
]
if hasattr(math, "cbrt"):  # Python 3.11+
    _FLOAT_FUNCTIONS += [("cbrt", "cbrt", 1, False, False), ("exp2", "exp2", 1, True, True)]

# NumPy's name for each (``concrete``'s refusals name it where gvmap does not compute it)
NUMPY_NAMES = {name: numpy_name for name, numpy_name, *_ in _FLOAT_FUNCTIONS} | {"pow": "power"}

# the math module's functions and gvmap's, for traced code (``rebinding.replacement``)
MATH_FUNCTIONS: dict[Callable, Callable] = {
    getattr(math, name): _float_function(name, numpy_name, nargs, overflow, checked)
    for name, numpy_name, nargs, overflow, checked in _FLOAT_FUNCTIONS}
MATH_FUNCTIONS.update({
    math.log: _log, math.pow: _pow, math.hypot: _hypot, math.dist: _dist,
    math.isclose: _isclose, math.floor: _int_function("floor", "floor"),
    math.ceil: _int_function("ceil", "ceil"), math.trunc: _int_function("trunc", "trunc"),
    math.isnan: _predicate("isnan"), math.isinf: _predicate("isinf"),
    math.isfinite: _predicate("isfinite"), math.frexp: _frexp, math.modf: _modf,
    math.ldexp: _ldexp, math.remainder: _remainder, math.gcd: _gcd_function("gcd"),
    math.lcm: _gcd_function("lcm")})
