"""Joining and splicing: hstack, vstack, dstack, column_stack, append, insert, delete
(and atleast_2d/3d).

The stacks are NumPy's own compositions of ``atleast_*d`` and ``concatenate``. ``insert``
and ``delete`` only move data, so NumPy itself computes where each element goes: it runs
on index arrays (``np.insert(arange(x.size).reshape(x.shape), obj, x.size + arange(...))``)
and the result is one gather with those constant indices, which is NumPy's meaning
exactly (broadcast values, negative and repeated positions, slices, ``axis=None``).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tracing import Tracer
from ._core import check_operand, convert, dtype_of, ndim_of, shape_of
from .indexing import take
from .shape import atleast_1d, concatenate, expand_dims, ravel, reshape

__all__ = ["atleast_2d", "atleast_3d", "hstack", "vstack", "dstack",
           "column_stack", "append", "insert", "delete"]


def _operands(arrays: Sequence[Any], name: str) -> list[Any]:
    if isinstance(arrays, Tracer) or not isinstance(arrays, (list, tuple)):
        raise TypeError(f"numpy.{name} takes a sequence of arrays (a list or tuple)")
    return [check_operand(a, name) for a in arrays]


def _at_least(a: Any, ndim: int) -> Any:
    """NumPy's atleast_2d/3d: 0-d -> (1,1[,1]); 1-d (n) -> (1,n[,1]); 2-d (m,n) -> (m,n,1)."""
    a = atleast_1d(check_operand(a, f"atleast_{ndim}d"))
    if ndim_of(a) >= ndim:
        return a
    if ndim_of(a) == 1:
        a = expand_dims(a, 0)
    while ndim_of(a) < ndim:
        a = expand_dims(a, ndim_of(a))
    return a


def atleast_2d(*arys: Any) -> Any:
    out = [_at_least(a, 2) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_3d(*arys: Any) -> Any:
    out = [_at_least(a, 3) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def hstack(tup: Sequence[Any], *, dtype: Any = None, casting: Any = None) -> Any:
    arrays = [atleast_1d(a) for a in _operands(tup, "hstack")]
    axis = 0 if arrays and ndim_of(arrays[0]) == 1 else 1
    return concatenate(arrays, axis=axis, dtype=dtype)


def vstack(tup: Sequence[Any], *, dtype: Any = None, casting: Any = None) -> Any:
    return concatenate([_at_least(a, 2) for a in _operands(tup, "vstack")], axis=0, dtype=dtype)


def dstack(tup: Sequence[Any]) -> Any:
    return concatenate([_at_least(a, 3) for a in _operands(tup, "dstack")], axis=2)


def column_stack(tup: Sequence[Any]) -> Any:
    """1-d inputs become columns; others are at least 2-d, as NumPy's column_stack."""
    cols = []
    for a in _operands(tup, "column_stack"):
        if ndim_of(a) < 2:
            a = reshape(atleast_1d(a), (-1, 1))
        cols.append(a)
    return concatenate(cols, axis=1)


def append(arr: Any, values: Any, axis: Any = None) -> Any:
    arr, values = check_operand(arr, "append"), check_operand(values, "append")
    if axis is None:
        return concatenate([ravel(atleast_1d(arr)), ravel(atleast_1d(values))])
    return concatenate([arr, values], axis=axis)


def _static(obj: Any, name: str) -> Any:
    if isinstance(obj, Tracer):
        if obj.known is None:
            raise NotImplementedError(
                f"numpy.{name} with traced positions: where elements go would depend on the "
                f"data, so the shape could too. Pass the positions as Python ints or a NumPy "
                f"array (static), or build the result with np.where")
        return obj.known
    return obj


def insert(arr: Any, obj: Any, values: Any, axis: Any = None) -> Any:
    """numpy.insert with static positions ``obj``; ``arr`` and ``values`` may be traced."""
    arr, values = check_operand(arr, "insert"), check_operand(values, "insert")
    obj = _static(obj, "insert")
    size, vsize = int(np.prod(shape_of(arr))), int(np.prod(shape_of(values)))
    where_from = np.insert(np.arange(size).reshape(shape_of(arr)), obj,
                           size + np.arange(vsize).reshape(shape_of(values)), axis=axis)
    pieces = [ravel(arr), ravel(convert(values, dtype_of(arr)))]
    return take(concatenate(pieces), where_from)


def delete(arr: Any, obj: Any, axis: Any = None) -> Any:
    """numpy.delete with static positions ``obj`` (ints, a slice, or a boolean mask)."""
    arr = check_operand(arr, "delete")
    obj = _static(obj, "delete")
    size = int(np.prod(shape_of(arr)))
    where_from = np.delete(np.arange(size).reshape(shape_of(arr)), obj, axis=axis)
    return take(ravel(arr), where_from)
