"""``np.r_`` and ``np.c_`` on traced values: NumPy's index-syntax concatenation.

NumPy's ``AxisConcatenator`` converts each item with ``np.array``, which a traced value
cannot answer; these objects follow its rules with gvmap's functions instead: slices
become ``arange`` / ``linspace`` (``r_[0:1:5j]``), scalars one-element arrays (Python
scalars promote weakly, as in ``np.result_type``), arrays gain leading axes up to
``ndmin`` with the ``trans1d`` rule, and a first string item sets ``axis, ndmin, trans1d``
(``r_['0,2', a, b]``; ``c_`` is ``r_['-1,2,0', ...]``). The matrix directives ``'r'`` /
``'c'`` make ``np.matrix`` objects, which gvmap does not trace: refused. Rebinding gives
these objects to the traced code in place of ``np.r_`` / ``np.c_``; items that are all
plain values go to NumPy's own.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..aliasing import static_key
from ..tracing import Tracer, as_known
from ._core import dtype_of, ndim_of, shape_of
from .construction import asarray
from .shape import concatenate, reshape, transpose

__all__ = ["TracedConcatenator", "r_", "c_"]


class TracedConcatenator:
    """``np.r_`` (axis 0, ndmin 1) or ``np.c_`` (axis -1, ndmin 2, trans1d 0)."""

    def __init__(self, numpy_object: Any, axis: int, ndmin: int, trans1d: int):
        self.numpy_object = numpy_object
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __len__(self) -> int:
        return 0

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if not any(isinstance(item, Tracer) and item.known is None for item in items):
            return as_known(self.numpy_object[static_key(key)], ())  # NumPy's own answer
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items[0], axis, ndmin, trans1d)
            items = items[1:]
        objs, kinds = [], []
        for item in items:
            if isinstance(item, str):
                raise ValueError("special directives must be the first entry.")
            if isinstance(item, slice):
                obj = _as_array(self.numpy_object[item], ndmin)
                if ndmin > 1 and trans1d != -1:
                    obj = np.swapaxes(obj, -1, trans1d)
                kinds.append(obj.dtype)
            elif type(item) in np.ScalarType:
                obj = item
                kinds.append(item)  # Python scalars promote weakly, NumPy's by their type
            else:
                obj = asarray(item)
                kinds.append(dtype_of(obj))
                if ndim_of(obj) < ndmin:
                    obj = _with_leading_axes(obj, ndmin, trans1d)
            objs.append(obj)
        if not objs:
            return np.array([])
        final = np.result_type(*kinds)
        pieces = [_with_leading_axes(asarray(o, dtype=final), ndmin, -1) for o in objs]
        return concatenate(pieces, axis=axis)


def _directive(item: str, axis: int, ndmin: int, trans1d: int) -> tuple[int, int, int]:
    """NumPy's first-item directive: 'axis', 'axis,ndmin' or 'axis,ndmin,trans1d'."""
    if item in ("r", "c"):
        raise NotImplementedError(
            f"np.r_['{item}', ...] makes an np.matrix, which gvmap does not trace; "
            f"concatenate the arrays (np.concatenate / np.stack) and reshape to a 2-d array")
    parts = item.split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError as e:
        raise ValueError(f"unknown special directive {item!r}") from e
    if len(parts) == 1:
        return values[0], ndmin, trans1d
    return values[0], values[1], values[2] if len(values) == 3 else trans1d


def _as_array(value: np.ndarray, ndmin: int) -> np.ndarray:
    return np.array(value, copy=None, ndmin=ndmin)


def _with_leading_axes(obj: Any, ndmin: int, trans1d: int) -> Any:
    """``np.array(obj, ndmin=ndmin)`` then NumPy's ``trans1d`` move of the old axes."""
    old = ndim_of(obj)
    if old >= ndmin:
        return obj
    obj = reshape(obj, (1,) * (ndmin - old) + tuple(shape_of(obj)))
    if trans1d == -1:
        return obj
    k1, k2 = trans1d, ndmin - old
    if k1 < 0:
        k1 += k2 + 1
    axes = list(range(ndmin))
    return transpose(obj, axes[:k1] + axes[k2:] + axes[k1:k2])


r_ = TracedConcatenator(np.r_, axis=0, ndmin=1, trans1d=-1)
c_ = TracedConcatenator(np.c_, axis=-1, ndmin=2, trans1d=0)
