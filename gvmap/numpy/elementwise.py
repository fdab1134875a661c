"""Ufuncs and other elementwise functions, each one primitive after NumPy's promotion.

``_ufunc(np.tanh, tanh_p)`` builds the traced ``tanh``: NumPy decides the output dtype, the
operands are converted to the dtype NumPy computes in, ranks are equalized, and one
primitive is recorded. Comparisons compute in the common dtype and return bool; the
``logical_*`` functions compute on bools.
"""
from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as np

from .. import primitives as P
from ..tracing import bind, complex_error
from ._core import (check_operand, common_dtype, convert, dtype_of, equalize_ranks, reject_kwargs,
                    result_dtype)
from .shape import zeros_like

__all__: list[str] = []  # filled below
UFUNCS: dict[str, Callable] = {}


def _compared_outside(np_fn: np.ufunc, args: list, dtype: np.dtype) -> Any:
    """A comparison of an integer array with a Python int outside its dtype's range
    (``x_uint16 <= -5``, ``x_int8 == 200``): NumPy 2 compares the values exactly, so every
    element is on the same side of the int and the answer is one truth value, which
    NumPy gives for any element (0 here), broadcast to the array's shape (``x == x``, or
    ``x != x``). None where no operand is such an int."""
    info = np.iinfo(dtype)
    for i, a in enumerate(args):
        if type(a) is int and not info.min <= a <= info.max:
            other = args[1 - i]
            zero = np.zeros((), dtype)
            truth = bool(np_fn(zero, a) if i == 1 else np_fn(a, zero))
            return (equal if truth else not_equal)(other, other)
    return None


def _ufunc(np_fn: np.ufunc, prim: P.Primitive, compute: str = "out", name: str | None = None):
    """compute: which dtype the primitive computes in.
    "out": NumPy's output dtype (arithmetic, transcendental: int inputs to float functions
    are converted first); "common": the operands' common dtype (comparisons, isnan);
    "bool": logical functions."""
    name = name or np_fn.__name__
    nin = np_fn.nin

    def fn(*args: Any, out=None, where=None, dtype=None, casting=None, order=None, subok=None,
           signature=None):
        reject_kwargs(name, out=out, where=where, casting=casting, order=order, subok=subok,
                      signature=signature)
        if len(args) != nin:
            raise TypeError(f"{name} takes {nin} positional arguments, got {len(args)}")
        args = [check_operand(a, name) for a in args]
        out_dtype = result_dtype(np_fn, *args, **({"dtype": dtype} if dtype is not None else {}))
        if compute == "bool":
            in_dtype = np.dtype(np.bool_)
        elif compute == "common":
            in_dtype = common_dtype(*args)
        else:
            in_dtype = out_dtype
        if compute == "common" and nin == 2 and in_dtype.kind in "iu":
            outside = _compared_outside(np_fn, args, in_dtype)
            if outside is not None:
                return outside
        args = equalize_ranks([convert(a, in_dtype) for a in args])
        result = bind(prim, *args)
        if compute == "out" and dtype is not None:
            if prim.multiple_results:
                return tuple(convert(r, out_dtype) for r in result)
            return convert(result, out_dtype)
        return tuple(result) if prim.multiple_results else result

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Traced numpy.{name}: one ``{prim}`` primitive after NumPy's dtype promotion."
    UFUNCS[name] = fn
    __all__.append(name)
    return fn


negative = _ufunc(np.negative, P.neg_p)
absolute = _ufunc(np.absolute, P.abs_p)
abs = absolute
sign = _ufunc(np.sign, P.sign_p)
floor = _ufunc(np.floor, P.floor_p)
ceil = _ufunc(np.ceil, P.ceil_p)
rint = _ufunc(np.rint, P.rint_p)
exp = _ufunc(np.exp, P.exp_p)
exp2 = _ufunc(np.exp2, P.exp2_p)
log = _ufunc(np.log, P.log_p)
log2 = _ufunc(np.log2, P.log2_p)
log10 = _ufunc(np.log10, P.log10_p)
log1p = _ufunc(np.log1p, P.log1p_p)
expm1 = _ufunc(np.expm1, P.expm1_p)
sqrt = _ufunc(np.sqrt, P.sqrt_p)
cbrt = _ufunc(np.cbrt, P.cbrt_p)
tanh = _ufunc(np.tanh, P.tanh_p)
sin = _ufunc(np.sin, P.sin_p)
cos = _ufunc(np.cos, P.cos_p)
tan = _ufunc(np.tan, P.tan_p)
arcsin = _ufunc(np.arcsin, P.asin_p)
arccos = _ufunc(np.arccos, P.acos_p)
arctan = _ufunc(np.arctan, P.atan_p)
sinh = _ufunc(np.sinh, P.sinh_p)
cosh = _ufunc(np.cosh, P.cosh_p)
arcsinh = _ufunc(np.arcsinh, P.asinh_p)
arccosh = _ufunc(np.arccosh, P.acosh_p)
arctanh = _ufunc(np.arctanh, P.atanh_p)
invert = _ufunc(np.invert, P.not_p)
bitwise_not = invert
logical_not = _ufunc(np.logical_not, P.not_p, compute="bool")
isnan = _ufunc(np.isnan, P.isnan_p, compute="common")
isinf = _ufunc(np.isinf, P.isinf_p, compute="common")
isfinite = _ufunc(np.isfinite, P.isfinite_p, compute="common")
spacing = _ufunc(np.spacing, P.spacing_p)
modf = _ufunc(np.modf, P.modf_p)

add = _ufunc(np.add, P.add_p)
subtract = _ufunc(np.subtract, P.sub_p)
multiply = _ufunc(np.multiply, P.mul_p)
true_divide = _ufunc(np.true_divide, P.div_p, name="true_divide")
divide = true_divide
floor_divide = _ufunc(np.floor_divide, P.floor_div_p)
remainder = _ufunc(np.remainder, P.rem_p)
mod = remainder
divmod = _ufunc(np.divmod, P.divmod_p)
_power = _ufunc(np.power, P.pow_p)


def power(x1: Any, x2: Any, out=None, **kwargs: Any) -> Any:
    """numpy.power; a float base with the Python exponent 2 is ``mul x x`` (what NumPy's
    ``x ** 2`` computes too: exact, and several times faster than pow on every backend)."""
    if isinstance(x2, (int, float)) and not isinstance(x2, bool) and x2 == 2:
        base = check_operand(x1, "power")
        dtype = result_dtype(np.power, base, x2)
        if dtype == dtype_of(base) and out is None and not kwargs:
            return bind(P.mul_p, base, base)
    return _power(x1, x2, out=out, **kwargs)


UFUNCS["power"] = power
pow = power
maximum = _ufunc(np.maximum, P.max_p)
minimum = _ufunc(np.minimum, P.min_p)
arctan2 = _ufunc(np.arctan2, P.atan2_p)
bitwise_and = _ufunc(np.bitwise_and, P.and_p)
bitwise_or = _ufunc(np.bitwise_or, P.or_p)
bitwise_xor = _ufunc(np.bitwise_xor, P.xor_p)
hypot = _ufunc(np.hypot, P.hypot_p)
fmod = _ufunc(np.fmod, P.fmod_p)
copysign = _ufunc(np.copysign, P.copysign_p)
nextafter = _ufunc(np.nextafter, P.nextafter_p)
heaviside = _ufunc(np.heaviside, P.heaviside_p)
left_shift = _ufunc(np.left_shift, P.shift_left_p)
right_shift = _ufunc(np.right_shift, P.shift_right_p)
gcd = _ufunc(np.gcd, P.gcd_p)        # integers only: NumPy's TypeError for floats and bools
lcm = _ufunc(np.lcm, P.lcm_p)
logical_and = _ufunc(np.logical_and, P.and_p, compute="bool")
logical_or = _ufunc(np.logical_or, P.or_p, compute="bool")
logical_xor = _ufunc(np.logical_xor, P.xor_p, compute="bool")
equal = _ufunc(np.equal, P.eq_p, compute="common")
not_equal = _ufunc(np.not_equal, P.ne_p, compute="common")
less = _ufunc(np.less, P.lt_p, compute="common")
less_equal = _ufunc(np.less_equal, P.le_p, compute="common")
greater = _ufunc(np.greater, P.gt_p, compute="common")
greater_equal = _ufunc(np.greater_equal, P.ge_p, compute="common")

UFUNCS["divide"] = true_divide  # np.divide's name (true_divide is registered as itself)


def positive(x: Any, out=None) -> Any:
    """numpy.positive: the value itself (traced arrays are immutable, so no copy is needed)."""
    reject_kwargs("positive", out=out)
    x = check_operand(x, "positive")
    result_dtype(np.positive, x)  # NumPy's TypeError for bool
    return x


def square(x: Any, out=None) -> Any:
    """numpy.square as ``mul x x`` (one fusable primitive, no pow)."""
    reject_kwargs("square", out=out)
    x = convert(check_operand(x, "square"), result_dtype(np.square, check_operand(x, "square")))
    return bind(P.mul_p, x, x)


def reciprocal(x: Any, out=None) -> Any:
    reject_kwargs("reciprocal", out=out)
    x = check_operand(x, "reciprocal")
    dtype = result_dtype(np.reciprocal, x)
    if not np.issubdtype(dtype, np.inexact):
        raise NotImplementedError("gvmap supports numpy.reciprocal on floating-point arrays only")
    return true_divide(np.asarray(1, dtype)[()], x)


UFUNCS.update(positive=positive, square=square, reciprocal=reciprocal)
__all__ += ["positive", "square", "reciprocal", "abs", "divide", "mod", "pow", "bitwise_not",
            "where", "astype", "round", "around"]


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """numpy.where(c, x, y) as one ``select``. The one-argument form has a data-dependent
    shape, which no batched program can have."""
    if x is None or y is None:
        raise NotImplementedError(
            "gvmap supports numpy.where(condition, x, y) only: where(condition) returns indices "
            "whose count depends on the data. Keep a fixed shape: np.where(cond, new, x) puts "
            "new where cond holds (rows, cols = np.where(np.isnan(t)); t[rows, cols] = "
            "means[cols] is t = np.where(np.isnan(t), means, t)), x[cond] = v writes there, "
            "cond.sum() counts them and np.argmax(cond) is the first")
    condition, x, y = (check_operand(a, "where") for a in (condition, x, y))
    dtype = result_dtype(lambda c, a, b: np.where(c, a, b), np.bool_(True), x, y)
    cond = convert(condition, np.bool_) if dtype_of(condition) == np.bool_ else not_equal(condition, 0)
    return bind(P.select_p, *equalize_ranks([cond, where_operand(x, dtype), where_operand(y, dtype)]))


def where_operand(v: Any, dtype: np.dtype) -> Any:
    """An operand of numpy.where / select as ``dtype``: a Python int outside an integer
    dtype's range is cast as NumPy's where casts it, wrapping (``np.where(c, x_uint16, -1)``
    holds 65535), where an assignment or an arithmetic operator raises OverflowError."""
    if type(v) is int and dtype.kind in "iu" and not np.iinfo(dtype).min <= v <= np.iinfo(dtype).max:
        return np.asarray(v).astype(dtype)[()]
    return convert(v, dtype)


def astype(x: Any, dtype: Any, copy: bool = True) -> Any:
    """x converted to ``dtype`` (``convert_element_type``), NumPy's unsafe casting."""
    if np.dtype(dtype).kind == "c":
        raise complex_error(f"astype to {np.dtype(dtype)}")
    return convert(check_operand(x, "astype"), dtype)


def round(a: Any, decimals: int = 0, out=None) -> Any:
    """numpy.round: round half to even, at ``decimals`` places (as NumPy computes it).
    ``out=`` an array the function made: NumPy's steps, each a ufunc writing into out
    (so in out's dtype after the first, with same_kind casting)."""
    a = check_operand(a, "round")
    if out is not None:
        return _round_into(a, decimals, out)
    if not np.issubdtype(dtype_of(a), np.inexact):
        if decimals >= 0:
            return a
        return _round_integers(a, decimals)
    if decimals == 0:
        return rint(a)
    scale = np.asarray(10.0 ** builtins.abs(decimals), dtype_of(a))[()]
    if decimals > 0:
        return true_divide(rint(multiply(a, scale)), scale)
    return multiply(rint(true_divide(a, scale)), scale)


around = round


def _round_integers(a: Any, decimals: int) -> Any:
    """numpy.round of integers to ``decimals`` < 0 places (tens, hundreds...), NumPy's
    steps: a / 10**-decimals in float64, rint (half to even), times 10**-decimals, cast back
    to a's dtype (so int64 beyond 2**53 rounds as float64 does, and a result past the dtype's
    range wraps as NumPy's cast). Bools have no such loop: NumPy's casting TypeError."""
    if dtype_of(a) == np.bool_:
        raise TypeError("Cannot cast ufunc 'divide' output from dtype('float64') to "
                        "dtype('bool') with casting rule 'same_kind'")
    scale = np.float64(10.0 ** -decimals)
    rounded = multiply(rint(true_divide(convert(a, np.float64), scale)), scale)
    return convert(rounded, dtype_of(a))


def _round_into(a: Any, decimals: int, out: Any) -> Any:
    """PyArray_Round with out: an integer ``a`` (decimals >= 0) assigned; else rint(a, out)
    for decimals 0, or multiply(a, 10**d, out), rint(out, out), true_divide(out, 10**d,
    out) (divide first, multiply last, for decimals < 0), 10**d a Python float."""
    from ..tracing import write_out

    if not np.issubdtype(dtype_of(a), np.inexact):
        if decimals < 0:
            raise NotImplementedError("gvmap supports numpy.round of integers with decimals >= 0")
        return write_out("round", a, out)
    if decimals == 0:
        return write_out("rint", rint(a), out)
    scale = 10.0 ** builtins.abs(decimals)
    first, last = (multiply, true_divide) if decimals > 0 else (true_divide, multiply)
    write_out(first.__name__, first(a, scale), out)
    write_out("rint", rint(out), out)
    return write_out(last.__name__, last(out, scale), out)



def trunc(x: Any, out=None) -> Any:
    """numpy.trunc: towards zero, as ceil below zero and floor above (fusable, no new primitive)."""
    reject_kwargs("trunc", out=out)
    x = check_operand(x, "trunc")
    x = convert(x, result_dtype(np.trunc, x))
    if not np.issubdtype(dtype_of(x), np.inexact):
        return x
    return where(less(x, 0), ceil(x), floor(x))


def _nan_ignoring(extremum, name: str):
    def fn(x1: Any, x2: Any, out=None) -> Any:
        """numpy.fmax/fmin: like maximum/minimum, but a NaN loses to a number."""
        reject_kwargs(name, out=out)
        a, b = check_operand(x1, name), check_operand(x2, name)
        dtype = result_dtype(getattr(np, name), a, b)
        a, b = convert(a, dtype), convert(b, dtype)
        if not np.issubdtype(dtype, np.inexact):
            return extremum(a, b)
        return where(isnan(b), a, where(isnan(a), b, extremum(a, b)))
    fn.__name__ = name
    return fn


fmax = _nan_ignoring(maximum, "fmax")
fmin = _nan_ignoring(minimum, "fmin")


def _log_add_exp(name: str, exp_: Callable, log_e: float, log_2: float) -> Callable:
    def fn(x1: Any, x2: Any, out=None) -> Any:
        reject_kwargs(name, out=out)
        a, b = check_operand(x1, name), check_operand(x2, name)
        dtype = result_dtype(getattr(np, name), a, b)
        if dtype == np.float16:  # NumPy's 'ee->e' loop computes in float32
            return convert(fn(convert(a, np.float32), convert(b, np.float32)), dtype)
        a, b = convert(a, dtype), convert(b, dtype)
        big = maximum(a, b)
        rest = log1p(exp_(negative(absolute(subtract(a, b)))))
        if log_e != 1.0:
            rest = multiply(np.asarray(log_e, dtype)[()], rest)
        stable = add(big, rest)
        return where(equal(a, b), add(a, np.asarray(log_2, dtype)[()]), stable)
    fn.__name__ = name
    fn.__doc__ = (f"numpy.{name}, stably as NumPy's npy_{name}: max(a, b) + "
                  f"{'' if log_e == 1.0 else 'log2(e) * '}log1p({exp_.__name__}(-|a - b|)), "
                  f"and a + {'log(2)' if log_e == 1.0 else '1'} where a == b (equal "
                  f"infinities kept)")
    return fn


logaddexp = _log_add_exp("logaddexp", exp, 1.0, np.log(2.0))
logaddexp2 = _log_add_exp("logaddexp2", exp2, 1.0 / np.log(2.0), 1.0)


UFUNCS.update(trunc=trunc, fmax=fmax, fmin=fmin, logaddexp=logaddexp, logaddexp2=logaddexp2)
__all__ += ["trunc", "fmax", "fmin", "logaddexp", "logaddexp2"]


def conjugate(x: Any, out=None) -> Any:
    """numpy.conjugate: the value itself (gvmap's arrays are real: complex ones are refused),
    in NumPy's result dtype (which is int8 for bool)."""
    reject_kwargs("conjugate", out=out)
    x = check_operand(x, "conjugate")
    return convert(x, result_dtype(np.conjugate, x))


conj = conjugate
UFUNCS.update(conjugate=conjugate)
__all__ += ["conjugate", "conj"]


def real(val: Any) -> Any:
    """numpy.real of a real array: the array."""
    return check_operand(val, "real")


def imag(val: Any) -> Any:
    """numpy.imag of a real array: zeros of its shape and dtype."""
    return zeros_like(check_operand(val, "imag"))


__all__ += ["real", "imag"]


# --- float anatomy: np.frexp and np.ldexp, whose NumPy loops mix dtypes (primitives.py) ---

def _loop_operand(x: Any) -> Any:
    """What ``ufunc.resolve_dtypes`` takes for an operand: its dtype, or the Python type of
    a Python number (weakly typed, NEP 50; a Python bool is a bool)."""
    if isinstance(x, bool):
        return np.dtype(np.bool_)
    return type(x) if isinstance(x, (int, float)) else dtype_of(x)


def frexp(x: Any, out=None, *, where=None, dtype=None, casting=None, order=None, subok=None,
          signature=None) -> tuple[Any, Any]:
    """numpy.frexp: (mantissa, exponent), one ``frexp`` equation with two results: the
    mantissa in NumPy's float dtype (float16 for int8 and bool, float64 for int32...), the
    exponent int32, as NumPy's ``f->fi`` loops."""
    reject_kwargs("frexp", out=out, where=where, dtype=dtype, casting=casting, order=order,
                  subok=subok, signature=signature)
    x = check_operand(x, "frexp")
    result_dtype(lambda v: np.frexp(v)[0], x)  # NumPy's TypeError for unsupported dtypes
    _, mantissa, _ = np.frexp.resolve_dtypes((_loop_operand(x), None, None))
    return tuple(bind(P.frexp_p, convert(x, mantissa)))


def ldexp(x1: Any, x2: Any, out=None, *, where=None, dtype=None, casting=None, order=None,
          subok=None, signature=None) -> Any:
    """numpy.ldexp: x1 * 2**x2 with one rounding, one ``ldexp`` equation (float x1, int32 or
    int64 exponent: NumPy's loop, so float32 with an int64 exponent stays float32 and
    integers give float64 or float16 as NumPy's do; uint64 exponents and float exponents
    raise NumPy's TypeError)."""
    reject_kwargs("ldexp", out=out, where=where, casting=casting, order=order, subok=subok,
                  signature=signature)
    x1, x2 = check_operand(x1, "ldexp"), check_operand(x2, "ldexp")
    kwargs = {"dtype": dtype} if dtype is not None else {}
    result_dtype(np.ldexp, x1, x2, **kwargs)  # NumPy's errors: no loop, a Python int too big
    x_dtype, e_dtype, _ = np.ldexp.resolve_dtypes(  # the loop NumPy runs (dtype= picks it)
        (_loop_operand(x1), _loop_operand(x2), None),
        signature=(None, None, None if dtype is None else np.dtype(dtype)))
    x1, x2 = equalize_ranks([convert(x1, x_dtype), convert(x2, e_dtype)])
    return bind(P.ldexp_p, x1, x2)


UFUNCS.update(frexp=frexp, ldexp=ldexp)
__all__ += ["frexp", "ldexp"]
