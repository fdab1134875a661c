"""Small NumPy habits of per-example code, each a composition of existing primitives written
as NumPy's own function computes it (so the results, dtypes and edge cases are NumPy's):
``np.allclose``, ``np.array_equal``, ``np.array_equiv`` (0-d bool arrays where NumPy gives
a Python bool: a traced program has one answer per example), ``np.isin`` (constant or traced
test elements), ``np.ediff1d``, ``np.fix``, ``np.unwrap`` and ``np.broadcast_arrays``;
and ``np.signbit``, the one new primitive (the sign bit of -0.0 and of a NaN is read by no
comparison).

Refused here with a rewrite: ``np.logaddexp.reduce`` (``np.nanargmax``/``np.nanargmin``,
which raise for an all-NaN example, are in ``checks.py``).
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ._core import (broadcast_shapes, check_operand, convert, dtype_of, ndim_of, normalize_axis,
                    operand, refused, shape_of)
from ..tracing import Tracer
from .. import primitives as P
from .elementwise import (_ufunc, absolute, add, ceil, equal, floor, greater, greater_equal,
                          isnan, less, logical_and, logical_not, remainder, subtract, where)
from .extras import diff, isclose
from .indexing import along, getitem, take
from .reductions import all as all_, any as any_, cumsum
from .shape import broadcast_to, concatenate, expand_dims, flat_axis, ravel, reshape

__all__ = ["allclose", "array_equal", "array_equiv", "isin", "ediff1d", "fix", "unwrap",
           "broadcast_arrays", "compress", "resize"]

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


logaddexp_reduce_refusal = refused(
    "logaddexp.reduce", "ufunc reductions other than add, multiply, maximum and minimum are "
    "not traced", "Write m = x.max(); m + np.log(np.exp(x - m).sum()) (the stable log-sum-exp; "
    "axis=k: m = x.max(axis=k, keepdims=True), then squeeze)")
logaddexp2_reduce_refusal = refused(
    "logaddexp2.reduce", "ufunc reductions other than add, multiply, maximum and minimum are "
    "not traced", "Write m = x.max(); m + np.log2(np.exp2(x - m).sum())")
