"""Building arrays: ``np.array``/``np.asarray`` of traced values, ``np.full`` with a traced fill.

NumPy never asks a tracer here: ``np.array([c, -s])`` makes an object array, ``np.full(3,
v)`` converts ``v`` with ``float()``. Called through the NumPy the traced function sees
(``gvmap.rebinding``), these functions take the call instead whenever a traced value is
among the arguments; without one, NumPy's own function runs and its result is a *known*
tracer (``Tracer.known``), so ``out = np.zeros(3); out[0] = v`` works as in NumPy.
"""
from __future__ import annotations

import itertools
from typing import Any, Iterator

import numpy as np

from ..tracing import Tracer, as_known
from ._core import _leaves, check_operand, convert
from .shape import broadcast_to, copy as _copy, expand_dims, stack

__all__ = ["array", "asarray", "asanyarray", "ascontiguousarray", "full", "fromiter",
           "ndenumerate", "nditer"]


def _has_tracer(x: Any) -> bool:
    """Does the nested list/tuple ``x`` hold a traced value?"""
    return any(isinstance(e, Tracer) for e in _leaves(x))


def _stand_in(x: Any) -> Any:
    """What NumPy's dtype and shape discovery sees in place of each traced leaf."""
    if isinstance(x, (list, tuple)):
        return [_stand_in(e) for e in x]
    if isinstance(x, Tracer):
        return np.zeros(x.shape, x.dtype)
    return x


def _build(x: Any, dtype: np.dtype) -> Any:
    if isinstance(x, (list, tuple)):
        return stack([_build(e, dtype) for e in x])
    if isinstance(x, Tracer):
        return convert(x, dtype)
    return np.asarray(x, dtype=dtype)


def array(object: Any, dtype: Any = None, *, copy: Any = True, order: str = "K",
          subok: bool = False, ndmin: int = 0, like: Any = None) -> Any:
    """numpy.array, where ``object`` may be traced or hold traced values in nested
    lists/tuples: NumPy decides the dtype and shape (from stand-ins of the traced
    leaves), the leaves are converted to that dtype and stacked. ``copy`` as NumPy's:
    True always copies, None only where a conversion must, False never (or raises)."""
    if isinstance(object, Tracer):
        out = convert(object, dtype) if dtype is not None else object
        if out is object and (copy or object._scalar):  # a NumPy scalar is no array
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            out = _copy(object)
        elif copy is False and out is not object:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
    elif isinstance(object, (list, tuple)) and _has_tracer(object):
        stand_in = np.array(_stand_in(object), dtype=dtype)
        if stand_in.dtype.kind not in "biuf":
            check_operand(stand_in, "array")  # complex: the usual refusal
            raise TypeError(f"np.array: gvmap cannot build a {stand_in.dtype} array from "
                            f"traced values; bool, integer and float arrays are supported")
        out = _build(object, stand_in.dtype)
        if out.shape != stand_in.shape:  # NumPy's ragged-list error comes from np.array
            raise ValueError(f"np.array: the pieces give shape {out.shape}, NumPy {stand_in.shape}")
    else:
        out = np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin)
        return as_known(out, (object,))
    if out.ndim < ndmin:
        out = expand_dims(out, tuple(range(ndmin - out.ndim)))
    return out


def asarray(a: Any, dtype: Any = None, order: Any = None, *, device: Any = None,
            copy: Any = None, like: Any = None) -> Any:
    """numpy.asarray: a traced array stays itself (no copy) unless ``dtype`` converts it."""
    if isinstance(a, Tracer) or (isinstance(a, (list, tuple)) and _has_tracer(a)):
        return array(a, dtype=dtype, copy=copy)
    return as_known(np.asarray(a, dtype=dtype, order=order, copy=copy), (a,))


def asanyarray(a: Any, dtype: Any = None, order: Any = None, *, device: Any = None,
               copy: Any = None, like: Any = None) -> Any:
    return asarray(a, dtype=dtype, order=order, copy=copy)


def ascontiguousarray(a: Any, dtype: Any = None, *, like: Any = None) -> Any:
    return asarray(a, dtype=dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", *,
         device: Any = None, like: Any = None) -> Any:
    """numpy.full with a traced ``fill_value`` (a traced array broadcasts, as in NumPy);
    the dtype is ``dtype`` or the fill's own, as ``np.array(fill_value).dtype``."""
    if not isinstance(fill_value, Tracer):
        return as_known(np.full(shape, fill_value, dtype=dtype, order=order), (fill_value,))
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    dtype = np.dtype(dtype) if dtype is not None else fill_value.dtype
    return _copy(broadcast_to(convert(fill_value, dtype), shape))



def _traced(x: Any) -> bool:
    return isinstance(x, Tracer) and x._value is None


def fromiter(iter: Any, dtype: Any, count: int = -1, *, like: Any = None) -> Any:
    """numpy.fromiter of an iterable yielding traced scalars (``np.fromiter((a * 2 for a in
    v), float)``): the items converted to ``dtype`` and stacked, a 1-D array; ``count``
    takes that many items (NumPy's error where there are fewer)."""
    items = list(iter if count < 0 else itertools.islice(iter, count))
    if not any(map(_traced, items)):
        return as_known(np.fromiter(items, dtype, count), (items,))
    if 0 <= count != len(items):
        raise ValueError(f"iterator too short: Expected {count} but iterator had only "
                         f"{len(items)} items.")
    dtype = np.dtype(dtype)
    if dtype.kind not in "biuf":
        raise TypeError(f"np.fromiter: gvmap cannot build a {dtype} array from traced values; "
                        f"bool, integer and float arrays are supported")
    for item in items:
        if np.ndim(item):
            raise ValueError("setting an array element with a sequence. np.fromiter takes "
                             "one scalar per item: np.concatenate([...]) joins arrays")
    return stack([convert(item, dtype) for item in items])


def ndenumerate(arr: Any) -> Iterator[tuple[tuple[int, ...], Any]]:
    """numpy.ndenumerate of a traced array: (index, element) pairs in C order, each element
    a traced scalar, as NumPy's (which walks ``arr.flat``)."""
    if not _traced(arr):
        yield from np.ndenumerate(np.asarray(arr))
        return
    for index in np.ndindex(*arr.shape):
        yield index, arr[index]


def nditer(op: Any, *args: Any, **kwargs: Any) -> Any:
    """numpy.nditer: NumPy's iterator over arrays it can see; a traced operand is refused,
    naming the Python loops that batch (nditer walks memory order, buffers and writes
    back through flags gvmap does not follow)."""
    ops = op if isinstance(op, (list, tuple)) else [op]
    if any(map(_traced, ops)):
        raise NotImplementedError(
            "gvmap cannot trace numpy.nditer of a traced array: it walks the operands' memory "
            "with flags for buffering and writing back, which gvmap does not follow. Iterate "
            "in Python instead: for a in x.ravel(): ... (elements in C order), for index, a "
            "in np.ndenumerate(x): ... (with their indices), or better, one array expression")
    ops = [np.asarray(o) for o in ops]
    return np.nditer(ops if isinstance(op, (list, tuple)) else ops[0], *args, **kwargs)
