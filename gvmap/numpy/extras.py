"""More NumPy functions, each a composition of the ones above (so they fuse like them):
diff, roll, repeat, tile, triu, tril, cross, degrees/radians, ptp, average, the
NaN-ignoring reductions nansum, nanmean, nanmax, nanmin, count_nonzero, and sinc, isclose
and i0 written as NumPy writes them (same operations, same order: same results)."""
from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

from ._core import (check_operand, convert, dtype_of, ndim_of, normalize_axis, operand,
                    reject_kwargs, result_dtype, shape_of)
from ..tracing import Tracer
from .elementwise import (UFUNCS, absolute, add, bitwise_and, bitwise_or, equal, exp, isfinite,
                          isnan, less_equal, logical_not, multiply, negative, not_equal, sin, sqrt, subtract,
                          true_divide, where)
from .arrays import static_value
from .indexing import along
from .reductions import (_ddof, _mask, all as all_, any as any_, max as max_, mean, min as min_,
                         sum as sum_, var)
from .shape import (broadcast_to, concatenate, expand_dims, flat_axis, moveaxis, ravel, reshape,
                    stack)

__all__ = ["diff", "roll", "repeat", "tile", "triu", "tril", "cross", "degrees",
           "radians", "rad2deg", "deg2rad", "ptp", "average", "nansum", "nanmean", "nanmax",
           "nanmin", "nanvar", "nanstd", "count_nonzero", "sinc", "isclose", "i0"]


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue,
         append: Any = np._NoValue) -> Any:
    """numpy.diff: ``prepend``/``append`` are joined to a along ``axis`` first (a scalar
    broadcast to a's shape with that axis 1, an array as it is, each as its own NumPy array:
    ``prepend=0`` is an int64 edge, which makes a float32 ``a`` float64 as in NumPy); bool
    arrays take ``!=`` where others subtract, as NumPy does."""
    n = operator.index(n)
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    a = operand(a, "diff")
    if ndim_of(a) == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis(axis, ndim_of(a))
    parts = [_diff_edge(prepend, a, axis)] if prepend is not np._NoValue else []
    parts.append(a)
    if append is not np._NoValue:
        parts.append(_diff_edge(append, a, axis))
    if len(parts) > 1:
        a = concatenate(parts, axis)
    op = not_equal if dtype_of(a) == np.bool_ else subtract
    for _ in range(n):
        a = op(along(a, axis, slice(1, None)), along(a, axis, slice(None, -1)))
    return a


def _diff_edge(value: Any, a: Any, axis: int) -> Any:
    """diff's prepend/append value as NumPy's asanyarray makes it, a 0-d one broadcast."""
    value = operand(value, "diff")
    if ndim_of(value) == 0:
        shape = list(shape_of(a))
        shape[axis] = 1
        value = broadcast_to(value, tuple(shape))
    return value


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """numpy.roll: a static shift is two slices joined; a traced one (``-np.argmax(x)``,
    aligning a signal on its peak) one gather at ``(arange(n) - shift) % n``."""
    from .arrays import static_value
    from .indexing import take

    a = operand(a, "roll")
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    for s, ax in zip(shifts, axes):
        ax = normalize_axis(ax, ndim_of(a))
        size = shape_of(a)[ax]
        s = static_value(s)
        if isinstance(s, Tracer) and size:
            if dtype_of(s).kind not in "iu" or ndim_of(s):
                raise TypeError(f"numpy.roll: a traced shift must be an integer scalar, got "
                                f"{dtype_of(s)} of shape {shape_of(s)}")
            from .elementwise import remainder
            a = take(a, remainder(subtract(np.arange(size), s), size), axis=ax)
            continue
        k = operator.index(s) % size if size else 0
        if k:
            a = concatenate([along(a, ax, slice(size - k, None)), along(a, ax, slice(None, size - k))], ax)
    return a


def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """Each element repeated ``repeats`` times: a Python int (a static shape), or constant
    per-element counts (a closed-over array: the result is one gather whose indices NumPy's
    own repeat computes now, with its errors)."""
    from .arrays import static_value
    from .indexing import take

    a = operand(a, "repeat")
    repeats = static_value(repeats)
    if isinstance(repeats, Tracer):
        raise NotImplementedError(
            "numpy.repeat with traced counts: the result's length, their sum, depends on the "
            "data; pass the counts as a Python int or a constant array")
    a, axis = flat_axis(a, axis)
    shape = shape_of(a)
    if np.ndim(repeats):
        return take(a, np.repeat(np.arange(shape[axis]), repeats), axis=axis)
    repeats = operator.index(repeats)
    tiled = broadcast_to(expand_dims(a, axis + 1), shape[:axis + 1] + (repeats,) + shape[axis + 1:])
    return reshape(tiled, shape[:axis] + (shape[axis] * repeats,) + shape[axis + 1:])


def tile(A: Any, reps: Any) -> Any:
    from .arrays import static_value

    A = operand(A, "tile")
    reps = static_value(reps)  # a closed-over array of reps is known
    reps = tuple(reps) if isinstance(reps, (tuple, list, np.ndarray)) and np.ndim(reps) else (reps,)
    nd = max(len(reps), ndim_of(A))
    reps = (1,) * (nd - len(reps)) + tuple(operator.index(r) for r in reps)
    A = reshape(A, (1,) * (nd - ndim_of(A)) + shape_of(A))
    shape = shape_of(A)
    inter = tuple(d for r, s in zip(reps, shape) for d in (r, s))
    grown = broadcast_to(reshape(A, tuple(d for s in shape for d in (1, s))), inter)
    return reshape(grown, tuple(r * s for r, s in zip(reps, shape)))


def _triangle(m: Any, k: int, lower: bool, name: str) -> Any:
    m = operand(m, name)
    rows, cols = shape_of(m)[-2:]
    keep = np.tri(rows, cols, k - (0 if lower else 1), dtype=bool)
    keep = keep if lower else ~keep
    return where(keep, m, np.zeros((), dtype_of(m))[()])


def triu(m: Any, k: int = 0) -> Any:
    return _triangle(m, k, False, "triu")


def tril(m: Any, k: int = 0) -> Any:
    return _triangle(m, k, True, "tril")


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """numpy.cross along any axes as NumPy's: ``axis`` sets all three, the vector axes of a
    and b move last, and the result's vector axis moves to ``axisc``. 2-vectors as NumPy 2
    still takes them (with its DeprecationWarning): two 2-vectors give the z component
    ``a0 b1 - a1 b0`` (a scalar per pair, axisc unused), a 2-vector and a 3-vector are the
    2-vector with z = 0 (NumPy's formulas, which skip the zero terms)."""
    a, b = operand(a, "cross"), operand(b, "cross")
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, normalize_axis(axisa, ndim_of(a), "axisa"), -1)
    b = moveaxis(b, normalize_axis(axisb, ndim_of(b), "axisb"), -1)
    na, nb = shape_of(a)[-1:], shape_of(b)[-1:]
    if na not in ((2,), (3,)) or nb not in ((2,), (3,)):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if na == (2,) or nb == (2,):
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=3)
    dtype = result_dtype(lambda x, y: np.empty(0, np.result_type(x, y)), a, b)
    a, b = convert(a, dtype), convert(b, dtype)
    ai = lambda i: along(a, ndim_of(a) - 1, i)
    bi = lambda i: along(b, ndim_of(b) - 1, i)
    z = subtract(multiply(ai(0), bi(1)), multiply(ai(1), bi(0)))
    if na == nb == (2,):
        return z
    if na == (2,):
        c = [multiply(ai(1), bi(2)), negative(multiply(ai(0), bi(2))), z]
    elif nb == (2,):
        c = [negative(multiply(ai(2), bi(1))), multiply(ai(2), bi(0)), z]
    else:
        c = [subtract(multiply(ai(i), bi(j)), multiply(ai(j), bi(i))) for i, j in ((1, 2), (2, 0))] + [z]
    c = stack(c, axis=-1)
    return moveaxis(c, -1, normalize_axis(axisc, ndim_of(c), "axisc"))


def _scale(numerator: float, denominator: float, name: str):
    def fn(x: Any) -> Any:
        x = check_operand(x, name)
        dtype = result_dtype(getattr(np, name), x)
        if dtype == np.float64:
            return multiply(convert(x, dtype), np.asarray(numerator / denominator, dtype)[()])
        # NumPy's float32 loop multiplies by 180.0f / NPY_PIf (a quotient of float32s, one
        # ulp from float32(180 / pi)); its float16 loop computes that in float32 and rounds.
        work = np.float32 if dtype == np.float16 else dtype
        factor = np.asarray(numerator, work)[()] / np.asarray(denominator, work)[()]
        return convert(multiply(convert(x, work), factor), dtype)
    fn.__name__ = name
    return fn


degrees = rad2deg = _scale(180.0, np.pi, "degrees")
radians = deg2rad = _scale(np.pi, 180.0, "radians")


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    a = operand(a, "ptp")
    return subtract(max_(a, axis, keepdims=keepdims), min_(a, axis, keepdims=keepdims))


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False,
            keepdims: bool = False) -> Any:
    """numpy.average: the mean, or ``sum(a * w) / sum(w)`` in NumPy's result dtype (at
    least float64 for integer ``a``); weights of a's shape, or 1-D along an int ``axis``.
    ``returned=True`` adds the sum of the weights (the count without them) broadcast to
    the average's shape, as NumPy returns it. Weights summing to 0 raise NumPy's
    ZeroDivisionError: constant ones while tracing, traced ones when the plan runs, naming
    the first such example (a check on the sum both results are computed from)."""
    a = operand(a, "average")
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        if not returned:
            return avg
        scale = np.asarray(math.prod(shape_of(a)) / math.prod(shape_of(avg)), dtype_of(avg))
        return avg, broadcast_to(scale[()], shape_of(avg))
    w = operand(static_value(weights), "average")
    if shape_of(w) != shape_of(a):
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if isinstance(axis, (tuple, list)) or ndim_of(w) != 1:
            raise NotImplementedError("gvmap supports numpy.average weights of a's shape, or "
                                      "1-D along one int axis; for several axes pass weights "
                                      "broadcast to a's shape (np.broadcast_to)")
        ax = normalize_axis(axis, ndim_of(a))
        if shape_of(w)[0] != shape_of(a)[ax]:
            raise ValueError("Shape of weights must be consistent with shape of a along "
                             "specified axis.")
        w = reshape(w, tuple(shape_of(w)[0] if i == ax else 1 for i in range(ndim_of(a))))
    dtype = result_dtype(lambda x, y: np.average(np.ones(1, x.dtype), weights=np.ones(1, y.dtype)), a, w)
    if not isinstance(w, Tracer) and np.any(np.sum(np.asarray(w, dtype), axis) == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    a, w = convert(a, dtype), convert(w, dtype)
    scale = sum_(w, axis, keepdims=keepdims)
    if isinstance(w, Tracer):
        from .checks import raise_where
        scale = raise_where(scale, any_(equal(scale, 0.0)), error="ZeroDivisionError",
                            function="average", reason="Weights sum to zero, can't be normalized",
                            hint="np.sum(a * w) / np.where(w.sum() == 0, 1, w.sum()) picks a value there")
    avg = true_divide(sum_(multiply(a, w), axis, keepdims=keepdims), scale)
    if not returned:
        return avg
    return avg, broadcast_to(scale, shape_of(avg))


def _nan_reduction(reduce, fill: Any, name: str, all_nan_gives_nan: bool):
    """NaNs replaced by the reduction's neutral ``fill``; for nanmax/nanmin a slice of NaNs
    only gives NaN, as NumPy returns (with a warning) there."""
    def fn(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        a = operand(a, name)
        if not np.issubdtype(dtype_of(a), np.floating):
            return reduce(a, axis, keepdims=keepdims)
        nan = isnan(a)
        out = reduce(where(nan, np.asarray(fill, dtype_of(a))[()], a), axis, keepdims=keepdims)
        if all_nan_gives_nan:
            out = where(all_(nan, axis, keepdims=keepdims), np.asarray(np.nan, dtype_of(a))[()], out)
        return out
    fn.__name__ = name
    return fn


nansum = _nan_reduction(sum_, 0.0, "nansum", False)
nanmax = _nan_reduction(max_, -np.inf, "nanmax", True)
nanmin = _nan_reduction(min_, np.inf, "nanmin", True)


def nanmean(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    a = operand(a, "nanmean")
    if not np.issubdtype(dtype_of(a), np.floating):
        return mean(a, axis, keepdims=keepdims)
    nan = isnan(a)
    total = sum_(where(nan, np.zeros((), dtype_of(a))[()], a), axis, keepdims=keepdims)
    count = sum_(convert(logical_not(nan), dtype_of(a)), axis, keepdims=keepdims)
    return true_divide(total, count)


def nanvar(a: Any, axis: Any = None, dtype: Any = None, out=None, ddof: Any = 0,
           keepdims: bool = False, *, where=None, mean=None, correction=None) -> Any:
    """numpy.nanvar, NumPy's steps: NaNs become 0 and leave the count; the mean is the
    (masked) sum over that count; deviations are taken in a's dtype (NumPy subtracts in
    place into the NaN-free copy), NaN positions zeroed, squared in a's dtype, summed in
    the accumulator and divided by ``count - ddof``; a lane with ``count - ddof <= 0`` (all
    NaN, all masked out, or ddof too large) is NaN. Integers: numpy.var, as NumPy does."""
    from .elementwise import where as select  # the argument where= shadows the function
    reject_kwargs("nanvar", out=out)
    a = operand(a, "nanvar")
    if not np.issubdtype(dtype_of(a), np.inexact):
        return var(a, axis, dtype, None, ddof, keepdims, where=where, mean=mean,
                   correction=correction)
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        raise TypeError("If a is inexact, then dtype must be inexact")
    ddof = _ddof("nanvar", ddof, correction)
    acc = result_dtype(np.var, a, dtype=dtype)
    where_mask = _mask(a, where, "nanvar")
    nan = isnan(a)
    keep = logical_not(nan) if where_mask is None else bitwise_and(logical_not(nan), where_mask)
    zero = np.zeros((), dtype_of(a))[()]
    arr = select(nan, zero, a)
    count = sum_(convert(keep, np.intp), axis, keepdims=True)
    if mean is None or mean is np._NoValue:
        total = sum_(select(keep, convert(arr, acc), np.zeros((), acc)[()]), axis, keepdims=True)
        m = convert(true_divide(total, count), acc)
    else:
        m = check_operand(mean, "nanvar")
    d = select(nan, zero, convert(subtract(arr, m), dtype_of(a)))
    sq = select(keep, convert(multiply(d, d), acc), np.zeros((), acc)[()])
    ss = sum_(sq, axis, keepdims=keepdims)
    dof = subtract(count if keepdims else sum_(convert(keep, np.intp), axis), ddof)
    result = convert(true_divide(ss, dof), acc)
    return select(less_equal(dof, 0), np.asarray(np.nan, acc)[()], result)


def nanstd(a: Any, axis: Any = None, dtype: Any = None, out=None, ddof: Any = 0,
           keepdims: bool = False, *, where=None, mean=None, correction=None) -> Any:
    """numpy.nanstd: the square root of ``nanvar``."""
    reject_kwargs("nanstd", out=out)
    return sqrt(nanvar(a, axis, dtype, None, ddof, keepdims, where=where, mean=mean,
                       correction=correction))


def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """numpy.count_nonzero: a sum of ``a != 0`` (NaN counts, -0.0 does not) in intp, the
    dtype NumPy returns with and without ``axis``."""
    a = operand(a, "count_nonzero")
    return sum_(convert(a, np.bool_), axis, np.intp, keepdims=keepdims)


def sinc(x: Any) -> Any:
    """numpy.sinc, as NumPy computes it: y = pi * x, y's dtype's eps where y is 0 (so the
    result there is sin(eps) / eps, 1), then sin(y) / y."""
    y = multiply(np.pi, operand(x, "sinc"))
    y = where(y, y, np.finfo(dtype_of(y)).eps)
    return true_divide(sin(y), y)


def isclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: bool = False) -> Any:
    """numpy.isclose: ``|a - b| <= atol + rtol * |b|`` where b is finite, or ``a == b``; b in
    at least float64's kind (``result_type(b, 1.0)``), as NumPy makes it."""
    a, b, rtol, atol = (check_operand(v, "isclose") for v in (a, b, rtol, atol))
    if isinstance(b, int):  # Python ints and bools, which NumPy makes floats
        b = float(b)
    elif not isinstance(b, float):
        b = convert(b, np.result_type(dtype_of(b), 1.0))
    if not any(isinstance(t, Tracer) for t in (rtol, atol)):
        _warn_if_not_finite(rtol, atol)
    near = less_equal(absolute(subtract(a, b)), add(atol, multiply(rtol, absolute(b))))
    result = bitwise_or(bitwise_and(near, isfinite(b)), equal(a, b))
    if equal_nan:
        result = bitwise_or(result, bitwise_and(isnan(a), isnan(b)))
    return result


def _warn_if_not_finite(rtol: Any, atol: Any) -> None:
    """NumPy's complaint about a tolerance that is inf or NaN (under np.seterr's "invalid")."""
    if np.all(np.isfinite(atol)) and np.all(np.isfinite(rtol)):
        return
    message = f"One of rtol or atol is not valid, atol: {atol}, rtol: {rtol}"
    mode = np.geterr()["invalid"]
    if mode == "warn":
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    elif mode == "raise":
        raise FloatingPointError(message)
    elif mode == "print":
        print(message)


# Chebyshev coefficients of numpy.i0 (Cephes' i0, as NumPy's _i0A / _i0B): for x <= 8,
# exp(-x) I0(x) on [0, 8]; for x > 8, exp(-x) sqrt(x) I0(x) on (8, inf]
_I0_SMALL = [
    -4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16,
    1.715391285555133e-15, -1.1685332877993451e-14, 7.676185498604936e-14,
    -4.856446783111929e-13, 2.95505266312964e-12, -1.726826291441556e-11,
    9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
    -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07,
    1.1173875391201037e-06, -4.4167383584587505e-06, 1.6448448070728896e-05,
    -5.754195010082104e-05, 0.00018850288509584165, -0.0005763755745385824,
    0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
    -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877,
    -0.3046826723431984, 0.6767952744094761,
]
_I0_LARGE = [
    -7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17,
    3.461222867697461e-17, -2.8276239805165836e-16, -3.425485619677219e-16,
    1.7725601330565263e-15, 3.8116806693526224e-15, -9.554846698828307e-15,
    -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
    7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11,
    -3.1499165279632416e-11, 1.1889147107846439e-11, 4.94060238822497e-10,
    3.3962320257083865e-09, 2.266668990498178e-08, 2.0489185894690638e-07,
    2.8913705208347567e-06, 6.889758346916825e-05, 0.0033691164782556943, 0.8044904110141088,
]


def _chebyshev(x: Any, coefficients: list[float]) -> Any:
    """NumPy's _chbevl, step for step (Python-float coefficients: x's dtype throughout)."""
    b0, b1, b2 = coefficients[0], 0.0, 0.0
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = add(subtract(multiply(x, b1), b2), c)
    return multiply(0.5, subtract(b0, b2))


def i0(x: Any) -> Any:
    """numpy.i0 (the modified Bessel function of order 0), NumPy's formula: on |x|, a
    Chebyshev series in x / 2 - 2 up to 8 and in 32 / x - 2 beyond, times exp(x) (divided
    by sqrt(x) beyond). NumPy evaluates each branch only where it applies; here both are
    evaluated everywhere, each on a harmless stand-in where the other applies, so neither
    warns where NumPy does not (32 / 0, exp of a huge value)."""
    x = operand(x, "i0")
    if dtype_of(x).kind != "f":
        x = convert(x, np.float64)
    x = absolute(x)
    small = less_equal(x, 8.0)
    lo, hi = where(small, x, 0.0), where(small, 32.0, x)
    below = multiply(exp(lo), _chebyshev(subtract(true_divide(lo, 2.0), 2), _I0_SMALL))
    series = _chebyshev(subtract(true_divide(32.0, hi), 2.0), _I0_LARGE)
    above = true_divide(multiply(exp(hi), series), sqrt(hi))
    return where(small, below, above)


# the ufuncs among them: NumPy calls on traced values reach them through __array_ufunc__
UFUNCS.update(degrees=degrees, radians=radians, rad2deg=rad2deg, deg2rad=deg2rad)
