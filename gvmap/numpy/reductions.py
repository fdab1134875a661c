"""Reductions and scans: sum, mean, prod, max, min, argmax, argmin, var, std, all, any,
cumsum, cumprod.

Each is a reduce primitive over sorted axes (lax style: reduced dims disappear), preceded by
the conversion NumPy's accumulator dtype implies (``np.sum`` of int32 is int64) and followed
by ``expand_dims`` for ``keepdims``. ``mean`` is ``reduce_sum`` then ``div`` by the count,
which the fusion pass turns into a ReductionKernel with a post-map scale.
"""
from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from .. import primitives as P
from ..tracing import Tracer, bind
from ._core import (check_operand, convert, dtype_of, ndim_of, normalize_axes, normalize_axis,
                    operand, reject_kwargs, result_dtype, shape_of)
from .elementwise import (add, isnan, logical_not, maximum, minimum, multiply, not_equal, sqrt,
                          subtract, true_divide, where as where_)
from .shape import broadcast_to, expand_dims, flat_axis, one_d_if_0d, ravel, reshape

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var",
           "std", "all", "any", "cumsum", "cumprod", "cummax", "cummin"]


def _ufunc_axis(a: Any, axis: Any) -> Any:
    """NumPy's ufunc.reduce takes axis 0 or -1 of a 0-d array, as of a 1-element 1-d one
    (np.sum(x, axis=-1) is x; np.mean refuses): that axis reduces nothing. A tuple of axes
    it refuses, as normalize_axes does."""
    if ndim_of(a) == 0 and axis is not None and not isinstance(axis, tuple):
        normalize_axis(axis, 1)
        return None
    return axis


def _reduce(prim: P.Primitive, a: Any, axis: Any, keepdims: bool) -> Any:
    axis = _ufunc_axis(a, axis)
    axes = normalize_axes(axis, ndim_of(a))
    if not axes:  # reducing nothing (a 0-d operand, or axis=()) keeps the value...
        if prim is P.reduce_sum_p and np.issubdtype(dtype_of(a), np.floating):
            return add(a, np.zeros((), dtype_of(a))[()])  # ...but NumPy adds its +0.0 start
        return a
    out = bind(prim, a, axes=axes)
    return expand_dims(out, axes) if keepdims and axes else out


def _no_identity(a: Any, axes: tuple[int, ...], name: str) -> None:
    if builtins.any(shape_of(a)[i] == 0 for i in axes):
        raise ValueError(f"zero-size array to reduction operation {name} which has no identity")


def _mask(a: Any, where: Any, name: str) -> Any:
    """``where=`` as NumPy takes it: bool (cast safely), broadcast to a's shape, never
    growing it; None or True: no mask."""
    if where is None or where is True or where is np._NoValue:
        return None
    where = check_operand(where, name)
    if dtype_of(where) != np.bool_:
        raise TypeError(f"Cannot cast array data from dtype('{dtype_of(where)}') to "
                        f"dtype('bool') according to the rule 'safe'")
    if ndim_of(where) > ndim_of(a):
        raise ValueError("input operand has more dimensions than allowed by the axis remapping")
    return broadcast_to(where, shape_of(a))


def _is_given(initial: Any) -> bool:
    return initial is not None and initial is not np._NoValue


def _accumulation(prim: P.Primitive, np_fn: Any, name: str):
    """sum/prod: accumulate in NumPy's dtype for them (int32 sums are int64). ``where=``
    puts the identity (0 or 1) where the mask is False; ``initial=`` joins the fold."""
    combine = add if prim is P.reduce_sum_p else multiply
    identity = 0 if prim is P.reduce_sum_p else 1

    def fn(a: Any, axis: Any = None, dtype: Any = None, out=None, keepdims: bool = False,
           initial=None, where=None) -> Any:
        reject_kwargs(name, out=out)
        a = operand(a, name)
        acc = result_dtype(np_fn, a, dtype=dtype)
        x = convert(a, acc)
        mask = _mask(x, where, name)
        if mask is not None:
            x = where_(mask, x, np.asarray(identity, acc)[()])
        result = _reduce(prim, x, axis, keepdims)
        if _is_given(initial):
            result = combine(convert(check_operand(initial, name), acc), result)
        return result
    fn.__name__ = name
    return fn


sum = _accumulation(P.reduce_sum_p, np.sum, "sum")
prod = _accumulation(P.reduce_prod_p, np.prod, "prod")


def _count(a: Any, axis: Any) -> int:
    return math.prod(shape_of(a)[i] for i in normalize_axes(axis, ndim_of(a)))


def mean(a: Any, axis: Any = None, dtype: Any = None, out=None, keepdims: bool = False,
         where=None) -> Any:
    reject_kwargs("mean", out=out)
    a = operand(a, "mean")
    acc = result_dtype(np.mean, a, dtype=dtype)
    if acc == np.float16 and dtype is None:  # NumPy's: summed and divided in float32
        return convert(mean(convert(a, np.float32), axis, keepdims=keepdims, where=where), acc)
    mask = _mask(a, where, "mean")
    if mask is not None:  # NumPy's: the masked sum over an intp count (computed in float64
        # for float32 sums), cast back to the sum's dtype
        total = _masked_sum(convert(a, acc), mask, axis, keepdims)
        return convert(true_divide(total, _items(a, axis, mask, keepdims)), acc)
    total = _reduce(P.reduce_sum_p, convert(a, acc), axis, keepdims)
    if not np.issubdtype(acc, np.inexact):  # NumPy divides, then casts back (truncating)
        return convert(true_divide(total, _count(a, axis)), acc)
    return true_divide(total, np.asarray(_count(a, axis), acc)[()])


def _extremum(prim: P.Primitive, name: str):
    """max/min. ``initial=`` joins the fold (and makes an empty axis allowed); ``where=``
    needs it, as NumPy requires: masked-out elements become ``initial``."""
    combine = maximum if prim is P.reduce_max_p else minimum
    ufunc = "maximum" if prim is P.reduce_max_p else "minimum"

    def fn(a: Any, axis: Any = None, out=None, keepdims: bool = False, initial=None,
           where=None) -> Any:
        reject_kwargs(name, out=out)
        a = operand(a, name)
        mask = _mask(a, where, name)
        if not _is_given(initial):
            if mask is not None:
                raise ValueError(f"reduction operation '{ufunc}' does not have an identity, so "
                                 f"to use a where mask one has to specify 'initial'")
            _no_identity(a, normalize_axes(_ufunc_axis(a, axis), ndim_of(a)), name)
            return _reduce(prim, a, axis, keepdims)
        init = convert(check_operand(initial, name), dtype_of(a))
        if mask is not None:
            a = where_(mask, a, init)
        axes = normalize_axes(_ufunc_axis(a, axis), ndim_of(a))
        if builtins.any(shape_of(a)[i] == 0 for i in axes):  # only initial: no reduce runs
            kept = tuple(1 if i in axes else d for i, d in enumerate(shape_of(a)))
            out_ = broadcast_to(init, kept)
            return out_ if keepdims else reshape(out_, tuple(d for i, d in enumerate(kept) if i not in axes))
        return combine(_reduce(prim, a, axis, keepdims), init)
    fn.__name__ = name
    return fn


max = amax = _extremum(P.reduce_max_p, "max")
min = amin = _extremum(P.reduce_min_p, "min")


def _logical(prim: P.Primitive, name: str):
    def fn(a: Any, axis: Any = None, out=None, keepdims: bool = False, where=None) -> Any:
        reject_kwargs(name, out=out, where=where)
        a = operand(a, name)
        a = a if dtype_of(a) == np.bool_ else not_equal(a, 0)
        return _reduce(prim, a, axis, keepdims)
    fn.__name__ = name
    return fn


all = _logical(P.reduce_and_p, "all")
any = _logical(P.reduce_or_p, "any")


def _arg(prim: P.Primitive, name: str):
    def fn(a: Any, axis: Any = None, out=None, *, keepdims: bool = False) -> Any:
        reject_kwargs(name, out=out)
        a = operand(a, name)
        if ndim_of(a) == 0 and axis is not None:  # NumPy's: one element, index 0, 0-d
            a, axis = one_d_if_0d(a, axis)
            keepdims = False
        ndim = ndim_of(a)
        if axis is None:  # over the flattened array; keepdims keeps every dim, as size 1
            a, ax, kept = ravel(a), 0, tuple(range(ndim))
        else:
            ax = kept = normalize_axis(axis, ndim)
        if shape_of(a)[ax] == 0:
            raise ValueError(f"attempt to get {name} of an empty sequence")
        out_ = bind(prim, a, axis=ax, index_dtype=np.dtype(np.intp))
        return expand_dims(out_, kept) if keepdims else out_
    fn.__name__ = name
    return fn


argmax = _arg(P.argmax_p, "argmax")
argmin = _arg(P.argmin_p, "argmin")


def _ddof(name: str, ddof: Any, correction: Any) -> Any:
    """``correction=`` is NumPy 2's (Array API) name for ``ddof``; giving both is refused
    as NumPy refuses it. A traced ddof would make the divisor data-dependent per lane,
    which NumPy allows but gvmap's static count cannot take: refused with the rewrite."""
    if correction is not None and correction is not np._NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    if isinstance(ddof, Tracer):
        raise NotImplementedError(
            f"numpy.{name}(..., ddof=<traced>): ddof must be a Python number here; for a "
            f"per-example ddof compute {name} with ddof=0 and rescale by n / (n - ddof)")
    return ddof


def _masked_sum(x: Any, mask: Any, axis: Any, keepdims: bool) -> Any:
    """``umr_sum(x, axis, keepdims=keepdims, where=mask)``: masked-out elements add 0."""
    if mask is not None:
        x = where_(mask, x, np.zeros((), dtype_of(x))[()])
    return _reduce(P.reduce_sum_p, x, axis, keepdims)


def _items(a: Any, axis: Any, mask: Any, keepdims: bool) -> Any:
    """NumPy's ``_count_reduce_items``: the number of reduced elements, a static intp
    scalar without a mask, else the mask's per-lane count in intp (traced)."""
    if mask is None:
        return np.intp(_count(a, axis))
    return _reduce(P.reduce_sum_p, convert(mask, np.intp), axis, keepdims)


def _var(a: Any, axis: Any, dtype: Any, ddof: Any, keepdims: bool, where: Any, mean: Any,
         name: str) -> Any:
    """NumPy's ``_methods._var`` step for step, so every rounding is NumPy's: the (masked)
    sum in the accumulator dtype divided by the intp count (computed in the promoted type,
    cast back as NumPy's in-place divide casts), ``a - mean`` in NumPy's promotion of the
    original ``a`` (not the accumulator), squared, summed in the accumulator, divided by
    ``max(count - ddof, 0)``: ``ddof >= count`` gives inf (or NaN for a zero sum), an
    all-False ``where=`` lane NaN, as NumPy gives."""
    a = operand(a, name)
    acc = result_dtype(np.var, a, dtype=dtype)
    mask = _mask(a, where, name)
    _warn_degrees_of_freedom(a, axis, where, mask, ddof, stacklevel=4)
    if mean is None or mean is np._NoValue:
        total = _masked_sum(convert(a, acc), mask, axis, True)
        m = convert(true_divide(total, _items(a, axis, mask, True)), acc)
    else:
        m = check_operand(mean, name)
    d = subtract(a, m)
    ss = _masked_sum(convert(multiply(d, d), acc), mask, axis, keepdims)
    count = _items(a, axis, mask, keepdims)
    dof = np.maximum(count - ddof, 0) if mask is None else maximum(subtract(count, ddof), 0)
    return convert(true_divide(ss, dof), acc)


def _warn_degrees_of_freedom(a: Any, axis: Any, where: Any, mask: Any, ddof: Any,
                             stacklevel: int) -> None:
    """NumPy's "Degrees of freedom <= 0" RuntimeWarning, where the count is known while
    tracing (no mask, or a constant one); a traced mask's counts are per lane and unknown
    until the plan runs, so no warning there (the values are NumPy's all the same)."""
    if mask is None:
        low = ddof >= _count(a, axis)
    else:
        known = where.known if isinstance(where, Tracer) else where
        if known is None:
            return
        counts = np.sum(np.broadcast_to(known, shape_of(a)), axis=normalize_axes(axis, ndim_of(a)))
        low = bool(np.any(ddof >= counts))
    if low:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=stacklevel)


def var(a: Any, axis: Any = None, dtype: Any = None, out=None, ddof: Any = 0,
        keepdims: bool = False, *, where=None, mean=None, correction=None) -> Any:
    """numpy.var: two passes as NumPy computes them (see ``_var``); ``where=`` masks
    elements out of both sums and the count, ``mean=`` replaces the first pass."""
    reject_kwargs("var", out=out)
    return _var(a, axis, dtype, _ddof("var", ddof, correction), keepdims, where, mean, "var")


def std(a: Any, axis: Any = None, dtype: Any = None, out=None, ddof: Any = 0,
        keepdims: bool = False, *, where=None, mean=None, correction=None) -> Any:
    """numpy.std: the square root of ``var`` in its dtype, as NumPy takes it."""
    reject_kwargs("std", out=out)
    return sqrt(_var(a, axis, dtype, _ddof("std", ddof, correction), keepdims, where, mean, "std"))


def _scan(prim: P.Primitive, np_fn: Any, name: str):
    """cumsum/cumprod: in NumPy's accumulator dtype; axis=None scans the flattened array."""
    def fn(a: Any, axis: Any = None, dtype: Any = None, out=None) -> Any:
        reject_kwargs(name, out=out)
        a = operand(a, name)
        acc = result_dtype(np_fn, a, dtype=dtype)
        a, axis = flat_axis(*one_d_if_0d(a, axis))
        return bind(prim, convert(a, acc), axis=axis)
    fn.__name__ = name
    return fn


cumsum = _scan(P.cumsum_p, np.cumsum, "cumsum")
cumprod = _scan(P.cumprod_p, np.cumprod, "cumprod")


def _accumulated(ufunc: Any, name: str, a: Any, axis: Any, dtype: Any, out: Any) -> tuple:
    """(a in the accumulator dtype, axis) as ``ufunc.accumulate`` takes them: axis 0 by
    default, one axis, no scalars, NumPy's errors."""
    reject_kwargs(f"{ufunc.__name__}.accumulate", out=out)
    a = operand(a, name)
    if ndim_of(a) == 0:
        raise TypeError("cannot accumulate on a scalar")
    if axis is None or isinstance(axis, tuple):
        raise ValueError("accumulate does not allow multiple axes")
    acc = result_dtype(lambda x, dtype=None: ufunc.accumulate(x, dtype=dtype), a, dtype=dtype)
    return convert(a, acc), normalize_axis(axis, ndim_of(a))


def _running_extremum(prim: P.Primitive, ufunc: Any, name: str):
    """``np.maximum.accumulate`` / ``np.minimum.accumulate`` (the running max / min), one
    scan primitive: a NaN propagates to every later element, as np.maximum's does."""
    def fn(a: Any, axis: Any = 0, dtype: Any = None, out=None) -> Any:
        a, axis = _accumulated(ufunc, name, a, axis, dtype, out)
        return bind(prim, a, axis=axis)
    fn.__name__ = name
    return fn


cummax = _running_extremum(P.cummax_p, np.maximum, "cummax")
cummin = _running_extremum(P.cummin_p, np.minimum, "cummin")


def _nan_ignoring_running(running: Any, ufunc: Any, name: str):
    """``np.fmax.accumulate`` / ``np.fmin.accumulate``: the running max / min that skips
    NaN (NaN until the first number, as np.fmax's fold gives), one scan of the NaNs filled
    with the fold's identity and a select; integers and bools are the plain running one."""
    def fn(a: Any, axis: Any = 0, dtype: Any = None, out=None) -> Any:
        a, axis = _accumulated(ufunc, name, a, axis, dtype, out)
        acc = dtype_of(a)
        if acc.kind != "f":
            return running(a, axis)
        nan = isnan(a)
        fill = -np.inf if ufunc is np.fmax else np.inf
        best = running(where_(nan, np.asarray(fill, acc), a), axis)
        seen = cummax(logical_not(nan), axis)  # a number at or before this position
        return where_(seen, best, np.asarray(np.nan, acc))
    fn.__name__ = name
    return fn


fmax_accumulate = _nan_ignoring_running(cummax, np.fmax, "fmax_accumulate")
fmin_accumulate = _nan_ignoring_running(cummin, np.fmin, "fmin_accumulate")
