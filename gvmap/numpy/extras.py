"""More NumPy functions, each a composition of the ones above (so they fuse like them):
diff, roll, repeat, tile, triu, tril, cross, degrees/radians, ptp, average, and the
NaN-ignoring reductions nansum, nanmean, nanmax, nanmin."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ._core import (as_operand, check_operand, convert, dtype_of, ndim_of, normalize_axis, result_dtype, shape_of)
from .elementwise import (UFUNCS, add, isnan, logical_not, multiply, subtract,
                          true_divide, where)
from .indexing import getitem
from .reductions import all as all_, max as max_, mean, min as min_, sum as sum_
from .shape import broadcast_to, concatenate, expand_dims, ravel, reshape

__all__ = ["diff", "roll", "repeat", "tile", "triu", "tril", "cross", "degrees",
           "radians", "rad2deg", "deg2rad", "ptp", "average", "nansum", "nanmean", "nanmax",
           "nanmin"]


def _operand(a: Any, name: str) -> Any:
    return as_operand(check_operand(a, name))


def _along(a: Any, axis: int, index: Any) -> Any:
    """a[..., index, ...] with ``index`` applied to ``axis``."""
    return getitem(a, (slice(None),) * axis + (index,))


def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    a = _operand(a, "diff")
    axis = normalize_axis(axis, ndim_of(a))
    for _ in range(operator.index(n)):
        a = subtract(_along(a, axis, slice(1, None)), _along(a, axis, slice(None, -1)))
    return a


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    a = _operand(a, "roll")
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    for s, ax in zip(shifts, axes):
        ax = normalize_axis(ax, ndim_of(a))
        size = shape_of(a)[ax]
        k = operator.index(s) % size if size else 0
        if k:
            a = concatenate([_along(a, ax, slice(size - k, None)), _along(a, ax, slice(None, size - k))], ax)
    return a


def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """Each element repeated ``repeats`` times (a Python int: a static shape)."""
    a = _operand(a, "repeat")
    if not isinstance(repeats, (int, np.integer)):
        raise NotImplementedError("gvmap supports numpy.repeat with an integer count only")
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, ndim_of(a))
    shape = shape_of(a)
    tiled = broadcast_to(expand_dims(a, axis + 1), shape[:axis + 1] + (int(repeats),) + shape[axis + 1:])
    return reshape(tiled, shape[:axis] + (shape[axis] * int(repeats),) + shape[axis + 1:])


def tile(A: Any, reps: Any) -> Any:
    A = _operand(A, "tile")
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    nd = max(len(reps), ndim_of(A))
    reps = (1,) * (nd - len(reps)) + tuple(operator.index(r) for r in reps)
    A = reshape(A, (1,) * (nd - ndim_of(A)) + shape_of(A))
    shape = shape_of(A)
    inter = tuple(d for r, s in zip(reps, shape) for d in (r, s))
    grown = broadcast_to(reshape(A, tuple(d for s in shape for d in (1, s))), inter)
    return reshape(grown, tuple(r * s for r, s in zip(reps, shape)))


def _triangle(m: Any, k: int, lower: bool, name: str) -> Any:
    m = _operand(m, name)
    rows, cols = shape_of(m)[-2:]
    keep = np.tri(rows, cols, k - (0 if lower else 1), dtype=bool)
    keep = keep if lower else ~keep
    return where(keep, m, np.zeros((), dtype_of(m))[()])


def triu(m: Any, k: int = 0) -> Any:
    return _triangle(m, k, False, "triu")


def tril(m: Any, k: int = 0) -> Any:
    return _triangle(m, k, True, "tril")


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """numpy.cross of 3-vectors along the last axis (the common case)."""
    a, b = _operand(a, "cross"), _operand(b, "cross")
    if axis is not None or (axisa, axisb, axisc) != (-1, -1, -1):
        raise NotImplementedError("gvmap supports numpy.cross along the last axis only")
    if shape_of(a)[-1:] != (3,) or shape_of(b)[-1:] != (3,):
        raise NotImplementedError("gvmap supports numpy.cross of 3-vectors only")
    dtype = result_dtype(lambda x, y: np.empty(0, np.result_type(x, y)), a, b)
    a, b = convert(a, dtype), convert(b, dtype)
    c = [subtract(multiply(_along(a, ndim_of(a) - 1, i), _along(b, ndim_of(b) - 1, j)),
                  multiply(_along(a, ndim_of(a) - 1, j), _along(b, ndim_of(b) - 1, i)))
         for i, j in ((1, 2), (2, 0), (0, 1))]
    from .shape import stack
    return stack(c, axis=-1)


def _scale(factor: float, name: str):
    def fn(x: Any) -> Any:
        x = check_operand(x, name)
        dtype = result_dtype(getattr(np, name), x)
        return multiply(convert(x, dtype), np.asarray(factor, dtype)[()])
    fn.__name__ = name
    return fn


degrees = rad2deg = _scale(180.0 / np.pi, "degrees")
radians = deg2rad = _scale(np.pi / 180.0, "radians")


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    a = _operand(a, "ptp")
    return subtract(max_(a, axis, keepdims=keepdims), min_(a, axis, keepdims=keepdims))


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False,
            keepdims: bool = False) -> Any:
    a = _operand(a, "average")
    if returned:
        raise NotImplementedError("gvmap supports numpy.average(..., returned=False) only")
    if weights is None:
        return mean(a, axis, keepdims=keepdims)
    w = _operand(weights, "average")
    if shape_of(w) != shape_of(a):
        if axis is None or ndim_of(w) != 1:
            raise NotImplementedError("gvmap supports average weights of a's shape, or 1-D along axis")
        ax = normalize_axis(axis, ndim_of(a))
        w = reshape(w, tuple(shape_of(w)[0] if i == ax else 1 for i in range(ndim_of(a))))
    dtype = result_dtype(lambda x, y: np.average(np.ones(1, x.dtype), weights=np.ones(1, y.dtype)), a, w)
    a, w = convert(a, dtype), convert(w, dtype)
    return true_divide(sum_(multiply(a, w), axis, keepdims=keepdims),
                       sum_(broadcast_to(w, shape_of(a)), axis, keepdims=keepdims))


def _nan_reduction(reduce, fill: Any, name: str, all_nan_gives_nan: bool):
    """NaNs replaced by the reduction's neutral ``fill``; for nanmax/nanmin a slice of NaNs
    only gives NaN, as NumPy returns (with a warning) there."""
    def fn(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        a = _operand(a, name)
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
    a = _operand(a, "nanmean")
    if not np.issubdtype(dtype_of(a), np.floating):
        return mean(a, axis, keepdims=keepdims)
    nan = isnan(a)
    total = sum_(where(nan, np.zeros((), dtype_of(a))[()], a), axis, keepdims=keepdims)
    count = sum_(convert(logical_not(nan), dtype_of(a)), axis, keepdims=keepdims)
    return true_divide(total, count)


# the ufuncs among them: NumPy calls on traced values reach them through __array_ufunc__
UFUNCS.update(degrees=degrees, radians=radians, rad2deg=rad2deg, deg2rad=deg2rad)
