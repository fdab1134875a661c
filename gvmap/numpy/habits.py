"""Small NumPy habits of per-example code, each a composition of existing primitives written
as NumPy's own function computes it (so the results, dtypes and edge cases are NumPy's):
``np.allclose``, ``np.array_equal``, ``np.array_equiv`` (0-d bool arrays where NumPy gives
a Python bool: a traced program has one answer per example), ``np.isin`` (constant or traced
test elements), ``np.ediff1d``, ``np.fix``, ``np.unwrap`` and ``np.broadcast_arrays``;
and ``np.signbit``, the one new primitive (the sign bit of -0.0 and of a NaN is read by no
comparison).

Index helpers that read only the (static) shape: ``np.triu_indices_from``,
``np.tril_indices_from``, ``np.diag_indices_from`` (NumPy's index arrays, constants), and
``np.ix_`` (each index array, constant or traced, reshaped for the open mesh); NaN and
infinity habits of statistics code: ``np.nanprod``, ``np.isposinf``, ``np.isneginf``; NumPy 2's
``np.cumulative_sum`` / ``np.cumulative_prod`` (``include_initial``) and the old
``np.rollaxis``.

Refused here with a rewrite: ``np.logaddexp.reduce`` (``np.nanargmax``/``np.nanargmin``,
which raise for an all-NaN example, are in ``checks.py``).
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from ._core import (broadcast_shapes, check_operand, convert, dtype_of, ndim_of, normalize_axis,
                    operand, refused, reject_kwargs, shape_of)
from ..tracing import Tracer
from .. import primitives as P
from .elementwise import (_ufunc, absolute, add, ceil, equal, floor, greater, greater_equal,
                          isinf, isnan, less, logical_and, logical_not, remainder, subtract, where)
from .extras import diff, isclose
from .indexing import along, getitem, take
from .reductions import all as all_, any as any_, cumprod, cumsum, prod
from .shape import (atleast_1d, broadcast_to, concatenate, expand_dims, flat_axis, ravel, reshape,
                    transpose)

__all__ = ["allclose", "array_equal", "array_equiv", "isin", "ediff1d", "fix", "unwrap",
           "broadcast_arrays", "compress", "resize", "triu_indices_from", "tril_indices_from",
           "diag_indices_from", "ix_", "nanprod", "isposinf", "isneginf", "cumulative_sum",
           "cumulative_prod", "rollaxis"]

# numpy.signbit: one ``signbit`` primitive in the operand's own dtype (a bool result)
signbit = _ufunc(np.signbit, P.signbit_p, compute="common")


def allclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: bool = False) -> Any:
    """numpy.allclose: ``all(isclose(a, b, ...))``, a 0-d bool (NumPy's Python bool)."""
    return all_(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """numpy.array_equal: a constant False where the (static) shapes differ; else all
    elements equal, NaNs in the same places counting as equal with ``equal_nan``."""
    a1, a2 = operand(a1, "array_equal"), operand(a2, "array_equal")
    if shape_of(a1) != shape_of(a2):
        return np.False_
    if not equal_nan or all(dtype_of(a).kind not in "fc" for a in (a1, a2)):
        return all_(equal(a1, a2))
    nan1, nan2 = isnan(a1), isnan(a2)
    return logical_and(all_(equal(nan1, nan2)), all_(where(nan1, True, equal(a1, a2))))


def array_equiv(a1: Any, a2: Any) -> Any:
    """numpy.array_equiv: a constant False where the shapes do not broadcast; else all
    elements of the broadcast pair equal."""
    a1, a2 = operand(a1, "array_equiv"), operand(a2, "array_equiv")
    try:
        broadcast_shapes(shape_of(a1), shape_of(a2))
    except ValueError:
        return np.False_
    return all_(equal(a1, a2))


def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False, *,
         kind: Any = None) -> Any:
    """numpy.isin: whether each element equals any of ``test_elements`` (flattened; constant
    or traced), by comparing with each of them (NaN is in nothing, as NumPy's ``==``).
    ``kind`` picks NumPy's algorithm, not the answer: "sort" and "table" are accepted (the
    "table" kind's integer-only rule is NumPy's)."""
    if kind not in (None, "sort", "table"):
        raise ValueError(f"Invalid kind: '{kind}'. Please use None, 'sort' or 'table'.")
    element = operand(element, "isin")
    tests = ravel(operand(test_elements, "isin"))
    if kind == "table" and not all(dtype_of(a).kind in "iub" for a in (element, tests)):
        raise ValueError("The 'table' method is only supported for boolean or integer arrays. "
                         "Please select 'sort' or None for kind.")
    if shape_of(tests)[0] == 0:
        found = broadcast_to(np.False_, shape_of(element))
    else:
        found = any_(equal(expand_dims(element, ndim_of(element)), tests), axis=-1)
    return logical_not(found) if invert else found


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """numpy.ediff1d: the differences of the flattened array, ``to_begin``/``to_end``
    (flattened, cast to ary's dtype under NumPy's same_kind rule) before and after."""
    ary = ravel(operand(ary, "ediff1d"))
    dtype = dtype_of(ary)
    parts = []
    for value, name in ((to_begin, "to_begin"), (None, None), (to_end, "to_end")):
        if name is None:
            parts.append(subtract(getitem(ary, slice(1, None)), getitem(ary, slice(None, -1))))
            continue
        if value is None:
            continue
        value = check_operand(value, "ediff1d")
        value = value if isinstance(value, Tracer) else np.asanyarray(value)
        if not np.can_cast(dtype_of(value), dtype, casting="same_kind"):
            raise TypeError(f"dtype of `{name}` must be compatible with input `ary` under the "
                            f"`same_kind` rule.")
        parts.append(convert(ravel(value), dtype))
    return parts[0] if len(parts) == 1 else concatenate(parts, 0)


def fix(x: Any) -> Any:
    """numpy.fix: ``ceil(x)``, and ``floor(x)`` where ``x >= 0`` (rounding toward zero;
    -0.0 and NaN stay as they are; integer and bool arrays unchanged, as NumPy's ceil)."""
    x = operand(x, "fix")
    return where(greater_equal(x, 0), floor(x), ceil(x))


def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: Any = 2 * np.pi) -> Any:
    """numpy.unwrap, NumPy's formula step by step: each difference is taken modulo the
    period into [-period/2, period/2) (+period/2 where the difference was positive and the
    boundary ambiguous), those smaller than ``discont`` are left alone, and the corrections
    are summed along ``axis``. ``period`` is a number (the dtype and the boundary rule
    depend on it); ``discont`` may be traced."""
    if isinstance(period, Tracer):
        raise NotImplementedError(
            "np.unwrap(p, period=...) with a traced period: the result's dtype and NumPy's "
            "boundary rule depend on the period's value. Pass the period as a number, or "
            "write NumPy's formula with the traced period: dd = np.diff(p); "
            "dd_mod = np.mod(dd + period / 2, period) - period / 2; "
            "p + np.concatenate([[0], np.cumsum(np.where(np.abs(dd) < period / 2, 0, dd_mod - dd))])")
    p = operand(p, "unwrap")
    nd = ndim_of(p)
    axis = normalize_axis(axis, nd)
    dd = diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    dtype = np.result_type(dtype_of(dd), period)
    if np.issubdtype(dtype, np.integer):
        interval_high, rem = divmod(period, 2)
        boundary_ambiguous = rem == 0
    else:
        interval_high = period / 2
        boundary_ambiguous = True
    interval_low = -interval_high
    ddmod = add(remainder(subtract(dd, interval_low), period), interval_low)
    if boundary_ambiguous:  # NumPy's copyto(ddmod, interval_high, where=...): cast to ddmod's dtype
        high = np.asarray(interval_high).astype(dtype_of(ddmod))[()]
        ddmod = where(logical_and(equal(ddmod, interval_low), greater(dd, 0)), high, ddmod)
    ph_correct = subtract(ddmod, dd)
    ph_correct = where(less(absolute(dd), discont), np.zeros((), dtype_of(ph_correct)), ph_correct)
    head = convert(along(p, axis, slice(None, 1)), dtype)
    tail = convert(add(along(p, axis, slice(1, None)), cumsum(ph_correct, axis)), dtype)
    return concatenate([head, tail], axis)


def broadcast_arrays(*args: Any, subok: bool = False) -> tuple:
    """numpy.broadcast_arrays: each argument broadcast to the common shape (a tuple, as
    NumPy 2 gives; arguments already of that shape are returned as they are)."""
    arrays = [operand(a, "broadcast_arrays") for a in args]
    shape = broadcast_shapes(*(shape_of(a) for a in arrays))
    return tuple(a if shape_of(a) == shape else broadcast_to(a, shape) for a in arrays)


def compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> Any:
    """numpy.compress with a known condition (a constant, or an array made from constants):
    the selected positions are NumPy's own ``compress`` of ``arange``, so its errors and its
    rule for a short condition are NumPy's. A traced condition would give a data-dependent
    shape and is refused with a fixed-shape rewrite."""
    if out is not None:
        raise TypeError("numpy.compress(..., out=...) writes in place; use the returned value")
    if isinstance(condition, Tracer):
        if condition.known is None:
            raise NotImplementedError(
                "np.compress(condition, a) with a traced condition: how many elements it "
                "keeps depends on the values, so each example could need a different shape. "
                "Keep a fixed shape: np.where(condition, a, 0) (axis=k: broadcast the "
                "condition along k), or a masked sum np.sum(a, where=condition)")
        condition = condition.known
    a = operand(a, "compress")
    a, axis = flat_axis(a, axis)
    index = np.compress(np.asarray(condition), np.arange(shape_of(a)[axis], dtype=np.intp))
    return take(a, index, axis=axis)


def resize(a: Any, new_shape: Any) -> Any:
    """numpy.resize: a's elements (flattened) repeated cyclically to fill ``new_shape``;
    zeros where a is empty, as NumPy 2 gives."""
    a = operand(a, "resize")
    shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    shape = tuple(operator.index(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    size, total = int(np.prod(shape_of(a), dtype=np.int64)), int(np.prod(shape, dtype=np.int64))
    if size == 0 or total == 0:  # nothing to repeat, or nothing to fill: NumPy's zeros
        return np.zeros(shape, dtype_of(a))
    return reshape(take(ravel(a), np.arange(total, dtype=np.intp) % size), shape)


def _shape2d(arr: Any, name: str) -> tuple:
    arr = operand(arr, name)
    if ndim_of(arr) != 2:
        raise ValueError("input array must be 2-d")
    return shape_of(arr)


def triu_indices_from(arr: Any, k: int = 0) -> tuple:
    """numpy.triu_indices_from: NumPy's triu_indices for arr's (static) shape, constants."""
    n, m = _shape2d(arr, "triu_indices_from")
    return np.triu_indices(n, k=k, m=m)


def tril_indices_from(arr: Any, k: int = 0) -> tuple:
    """numpy.tril_indices_from: NumPy's tril_indices for arr's (static) shape, constants."""
    n, m = _shape2d(arr, "tril_indices_from")
    return np.tril_indices(n, k=k, m=m)


def diag_indices_from(arr: Any) -> tuple:
    """numpy.diag_indices_from: NumPy's diag_indices for arr's (static) shape, constants."""
    arr = operand(arr, "diag_indices_from")
    if ndim_of(arr) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shape_of(arr))) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return np.diag_indices(shape_of(arr)[0], ndim_of(arr))


def ix_(*args: Any) -> tuple:
    """numpy.ix_: the k-th 1-d index array reshaped to size 1 on every axis but the k-th,
    so that ``a[np.ix_(rows, cols)]`` picks the sub-matrix. Constant arguments stay NumPy's
    own; traced integer ones are reshaped; a traced bool one would be np.nonzero of it, a
    data-dependent length: refused, naming the fixed-shape rewrite."""
    out = []
    nd = len(args)
    for k, new in enumerate(args):
        if not isinstance(new, Tracer) or new.known is not None:
            new = np.asarray(new.known if isinstance(new, Tracer) else new)
            if new.ndim != 1:
                raise ValueError("Cross index must be 1 dimensional")
            if new.size == 0:
                new = new.astype(np.intp)
            if new.dtype == np.bool_:
                (new,) = new.nonzero()
            out.append(new.reshape((1,) * k + (new.size,) + (1,) * (nd - k - 1)))
            continue
        if ndim_of(new) != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if dtype_of(new) == np.bool_:
            raise NotImplementedError(
                "np.ix_ of a traced bool mask: it takes np.nonzero(mask), whose length depends "
                "on the values, so each example could need another shape. Keep the mask: "
                "np.where(rows[:, None] & cols[None, :], a, 0)")
        out.append(reshape(new, (1,) * k + (shape_of(new)[0],) + (1,) * (nd - k - 1)))
    return tuple(out)


_where = where


def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
            initial: Any = None, where: Any = None) -> Any:
    """numpy.nanprod: NaNs replaced by 1 (float operands only, as NumPy's _replace_nan),
    then numpy.prod with the same keywords."""
    a = operand(a, "nanprod")
    if dtype_of(a).kind == "f":
        a = _where(isnan(a), np.ones((), dtype_of(a))[()], a)  # (`where` is an argument)
    return prod(a, axis, dtype, out, keepdims, initial, where)


def _signed_inf(name: str, negative: bool) -> Callable:
    def fn(x: Any, out: Any = None) -> Any:
        reject_kwargs(name, out=out)
        x = check_operand(x, name)
        sign = signbit(x)
        return logical_and(isinf(x), sign if negative else logical_not(sign))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"numpy.{name}: isinf(x) and {'' if negative else 'not '}signbit(x), as "
                  f"NumPy computes it (False for ints and bools).")
    return fn


isposinf = _signed_inf("isposinf", False)
isneginf = _signed_inf("isneginf", True)


def _cumulative(name: str, scan: Callable, identity: int) -> Callable:
    def fn(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None,
           include_initial: bool = False) -> Any:
        reject_kwargs(name, out=out)
        x = atleast_1d(operand(x, name))
        if axis is None:
            if ndim_of(x) >= 2:
                raise ValueError("For arrays which have more than one dimension ``axis`` "
                                 "argument is required.")
            axis = 0
        axis = normalize_axis(axis, ndim_of(x))
        res = scan(x, axis, dtype)
        if not include_initial:
            return res
        shape = list(shape_of(res))
        shape[axis] = 1
        return concatenate([broadcast_to(np.full((), identity, dtype_of(res)), tuple(shape)), res],
                           axis=axis)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"numpy.{name} (NumPy 2.1): {scan.__name__} along ``axis`` (required beyond "
                  f"1-d), with ``include_initial`` the identity {identity} first.")
    return fn


cumulative_sum = _cumulative("cumulative_sum", cumsum, 0)
cumulative_prod = _cumulative("cumulative_prod", cumprod, 1)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """numpy.rollaxis: NumPy's axis arithmetic (start counted before the axis is removed),
    then one transpose."""
    a = operand(a, "rollaxis")
    n = ndim_of(a)
    axis = normalize_axis(axis, n)
    start = operator.index(start)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}, but "
                                      f"{start} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return transpose(a, tuple(axes))


logaddexp_reduce_refusal = refused(
    "logaddexp.reduce", "ufunc reductions other than add, multiply, maximum and minimum are "
    "not traced", "Write m = x.max(); m + np.log(np.exp(x - m).sum()) (the stable log-sum-exp; "
    "axis=k: m = x.max(axis=k, keepdims=True), then squeeze)")
logaddexp2_reduce_refusal = refused(
    "logaddexp2.reduce", "ufunc reductions other than add, multiply, maximum and minimum are "
    "not traced", "Write m = x.max(); m + np.log2(np.exp2(x - m).sum())")
