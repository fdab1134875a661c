"""Data-preparation and metric habits of per-example code: ``np.nan_to_num`` (cleaning NaN
and infinities), ``np.lib.stride_tricks.sliding_window_view`` (windows for rolling
statistics and 1-D convolutions), each a composition of existing primitives
(``np.trapezoid``, the area under a ROC or PR curve, is in ``integration.py``).

``sliding_window_view`` is a read-only view in NumPy; here it is a gather of the windows'
elements (its index map is NumPy's own function applied to ``arange``, so the layout is
NumPy's exactly). A later write into the viewed array, which NumPy's view would see, is
refused as for any other untracked view.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._core import as_operand, check_operand, convert, dtype_of, shape_of
from ..tracing import Tracer, note_untracked_view
from .elementwise import greater, isinf, isnan, less, logical_and, where
from .indexing import getitem
from .shape import ravel

__all__ = ["nan_to_num", "sliding_window_view"]


def _fill(value: Any, default: Any, dtype: np.dtype) -> Any:
    """A replacement value in x's dtype, as NumPy's copyto casts it (1e40 in float32: inf)."""
    if value is None:
        value = default
    if isinstance(value, Tracer):
        return convert(value, dtype)
    with np.errstate(over="ignore"):
        return np.asarray(value).astype(dtype)[()]


def nan_to_num(x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None,
               neginf: Any = None) -> Any:
    """numpy.nan_to_num: NaN becomes ``nan``, +inf ``posinf`` (default the dtype's largest
    finite value), -inf ``neginf`` (default its most negative); integer and bool arrays are
    returned unchanged. ``copy=False`` writes into x, as NumPy does, so x must be an array
    the function made (an argument is refused, never changed)."""
    x = as_operand(check_operand(x, "nan_to_num"))
    dtype = dtype_of(x)
    if dtype.kind != "f":
        result = x
    else:
        info = np.finfo(dtype)
        result = where(isnan(x), _fill(nan, 0.0, dtype), x)
        big = isinf(x)
        result = where(logical_and(big, greater(x, 0)), _fill(posinf, info.max, dtype), result)
        result = where(logical_and(big, less(x, 0)), _fill(neginf, info.min, dtype), result)
    if not copy and isinstance(x, Tracer):
        if result is not x:
            x._assign(result, "np.nan_to_num(x, copy=False)",
                      "Use the returned array: `x = np.nan_to_num(x)`")
        return x
    return result


def sliding_window_view(x: Any, window_shape: Any, axis: Any = None, *, subok: bool = False,
                        writeable: bool = False) -> Any:
    """numpy.lib.stride_tricks.sliding_window_view, read-only as NumPy's default: windows of
    ``window_shape`` along ``axis`` (all axes by default), the window dims last."""
    if writeable:
        raise NotImplementedError(
            "sliding_window_view(..., writeable=True): a write through NumPy's view changes "
            "every overlapping window and x itself, which gvmap's copy cannot follow. Keep "
            "the default (read-only) and build the changed array with np.where or x[i] = v")
    x = as_operand(check_operand(x, "sliding_window_view"))
    shape = shape_of(x)
    # NumPy's own function on the flat positions: its errors, its shape, its layout
    positions = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)
    index = np.lib.stride_tricks.sliding_window_view(positions, window_shape, axis)
    result = getitem(ravel(x), np.ascontiguousarray(index))
    note_untracked_view(result, x)  # NumPy's result is a view of x: writes are refused
    return result

