"""Flat indices and coordinates: ``np.unravel_index`` (where in the image is the peak,
``np.unravel_index(np.argmax(img), img.shape)``) and ``np.ravel_multi_index``, for traced
indices and a static shape, as integer arithmetic (floor division and remainder by the
shape's strides), in NumPy's intp.

An index outside the array (NumPy's ValueError: negative, or past the end, for
``unravel_index``; past a dimension for ``ravel_multi_index`` with mode='raise') is found
by the index rule of every gather: the out-of-range entries are sent past the end of a
``take`` of ``arange``, which raises IndexError on every backend. A traced program cannot
raise NumPy's ValueError for one example, so the error type is IndexError.
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..tracing import Tracer
from ._core import check_operand, convert, dtype_of

__all__ = ["unravel_index", "ravel_multi_index"]


def _dims(shape: Any, name: str) -> tuple[int, ...]:
    if isinstance(shape, Tracer):
        shape = shape._value if shape._value is not None else shape
    if isinstance(shape, Tracer):
        raise TypeError(f"np.{name}: the shape must be known while tracing (a tuple of ints, "
                        f"e.g. img.shape), not a traced array")
    dims = (operator.index(shape),) if np.ndim(shape) == 0 else tuple(
        operator.index(d) for d in np.asarray(shape).tolist())
    if any(d < 0 for d in dims):
        raise ValueError("dimensions must be non-negative")
    return dims


def _in_range(i: Any, size: int) -> Any:
    """i itself, after the gather index rule has checked 0 <= i < size (IndexError else)."""
    from .elementwise import less, where
    from .indexing import take

    return take(np.arange(size, dtype=np.intp), where(less(i, 0), size, i))


def _strides(dims: tuple[int, ...], order: str) -> list[int]:
    if order not in ("C", "F"):
        raise ValueError("only 'C' or 'F' order is permitted")
    axes = range(len(dims) - 1, -1, -1) if order == "C" else range(len(dims))
    strides, step = [0] * len(dims), 1
    for a in axes:
        strides[a], step = step, step * dims[a]
    return strides


def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple[Any, ...]:
    """numpy.unravel_index: the coordinates (a tuple of intp arrays, one per dimension) of
    the flat ``indices`` in an array of ``shape``."""
    from .elementwise import floor_divide, remainder

    dims = _dims(shape, "unravel_index")
    indices = check_operand(indices, "unravel_index")
    if not isinstance(indices, Tracer):
        return np.unravel_index(indices, dims, order=order)
    if dtype_of(indices).kind not in "iu":
        raise TypeError("only int indices permitted")
    size = int(np.prod(dims, dtype=np.int64))
    flat = _in_range(convert(indices, np.intp), size)
    strides = _strides(dims, order)
    return tuple(remainder(floor_divide(flat, s), d) for s, d in zip(strides, dims))


def ravel_multi_index(multi_index: Any, dims: Any, mode: Any = "raise", order: str = "C") -> Any:
    """numpy.ravel_multi_index: the flat index (intp) of each coordinate tuple; ``mode``
    one of 'raise', 'wrap', 'clip', or one per dimension."""
    from .clip import clip
    from .elementwise import add, multiply, remainder

    shape = _dims(dims, "ravel_multi_index")
    coords = [check_operand(c, "ravel_multi_index") for c in multi_index]
    if not any(isinstance(c, Tracer) for c in coords):
        return np.ravel_multi_index(tuple(coords), shape, mode=mode, order=order)
    if len(coords) != len(shape):
        raise ValueError(f"parameter multi_index must be a sequence of length {len(shape)}")
    modes = (mode,) * len(shape) if isinstance(mode, str) else tuple(mode)
    if len(modes) != len(shape) or any(m not in ("raise", "wrap", "clip") for m in modes):
        raise ValueError("clipmode must be one of 'clip', 'raise', or 'wrap', one per dimension")
    if any(dtype_of(c).kind not in "iu" for c in coords):
        raise TypeError("only int indices permitted")
    flat: Any = 0
    for c, d, m, s in zip(coords, shape, modes, _strides(shape, order)):
        c = convert(c, np.intp)
        c = _in_range(c, d) if m == "raise" else remainder(c, d) if m == "wrap" else clip(c, 0, d - 1)
        flat = add(flat, multiply(c, s))
    return convert(flat, np.intp)
