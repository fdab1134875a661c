"""``np.bitwise_and / bitwise_or / bitwise_xor / logical_xor .reduce``: folds of elementwise
primitives, with no reduction primitive of their own; and ``np.bitwise_count``, the fold of
each element's own bits (a population count).

Per-example code reduces with them: the parity of an even-odd point-in-polygon test
(``np.logical_xor.reduce(crossings)``), a bit mask of flags (``np.bitwise_or.reduce(bits)``),
a checksum (``np.bitwise_xor.reduce(words)``). Each is associative and commutative exactly
(bit by bit), so the axis (moved last, several axes flattened into one) reduces as a tree
of floor(log2 n) elementwise equations over its halves, which fuse and run on every backend,
and the primitive set stays as it is (gcd.reduce, in rational.py, is the same tree).

NumPy's dtypes: the bitwise reductions keep an integer or bool operand's dtype (``dtype=``
names another; floats are NumPy's TypeError), starting from the identity (-1, all bits
set, for ``and``; 0 for ``or`` / ``xor``), which an empty axis gives. ``logical_xor``
gives bool for every operand: True where an odd number of elements are nonzero, which is
how it is computed (a count, then its lowest bit), exactly as the fold would give.

``np.bitwise_count`` (NumPy 2: bitboards, adjacency masks) counts the 1-bits of |x| (of
MIN's bits, where |MIN| wraps), a uint8 for every integer dtype (bools as int8; floats are
NumPy's TypeError), by the shift-and-mask steps of a SWAR popcount in the unsigned dtype of
x's width: a dozen elementwise equations, which fuse. ``np.packbits`` folds each run of 8
elements (nonzero as 1, zeros padding the last run) into a uint8, ``np.unpackbits`` is its
inverse (uint8 operands only, as NumPy's; ``count`` trims or zero-pads), both with
``bitorder``: shifts and a sum, static shapes.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from ._core import (check_operand, convert, dtype_of, ndim_of, normalize_axis, normalize_axes,
                    reject_kwargs, shape_of)
from .elementwise import (absolute, add, bitwise_and, bitwise_or, bitwise_xor, left_shift, logical_xor,
                          multiply, not_equal, right_shift, subtract)
from .indexing import getitem
from .reductions import _ufunc_axis, sum as sum_
from .shape import concatenate, expand_dims, full_like, moveaxis, ravel, reshape, transpose

__all__: list[str] = []  # ufunc methods, registered in gvmap/numpy/__init__.py

COMBINE: dict[str, Callable] = {"bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
                                "bitwise_xor": bitwise_xor}


def _halves(x: Any, combine: Callable) -> Any:
    """``combine`` over the last axis (length >= 1) as a tree: the two halves combined
    until one value is left; an odd element out waits and joins the result at the end
    (xor is not idempotent, so it may meet the others only once)."""
    waiting = []
    while shape_of(x)[-1] > 1:
        n = shape_of(x)[-1]
        half = n // 2
        if n % 2:
            waiting.append(getitem(x, (Ellipsis, n - 1)))
        x = combine(getitem(x, (Ellipsis, slice(0, half))), getitem(x, (Ellipsis, slice(half, 2 * half))))
    result = getitem(x, (Ellipsis, 0))
    for w in waiting:
        result = combine(result, w)
    return result


def _last_axis(a: Any, axes: tuple[int, ...]) -> Any:
    """``a`` with the reduced ``axes`` moved last and flattened into one."""
    kept = [d for d in range(ndim_of(a)) if d not in axes]
    shape = shape_of(a)
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    return reshape(transpose(a, kept + list(axes)), tuple(shape[d] for d in kept) + (n,))


def bitwise_reduce(name: str) -> Callable:
    """numpy.<name>.reduce (axis, dtype, keepdims, initial) for a bitwise ufunc."""
    ufunc, combine = getattr(np, name), COMBINE[name]

    def reduce(array: Any, axis: Any = 0, dtype: Any = None, out=None, keepdims: bool = False,
               initial: Any = np._NoValue, where: Any = True) -> Any:
        reject_kwargs(f"{name}.reduce", out=out, where=None if where is True else where)
        a = check_operand(array, f"{name}.reduce")
        # NumPy's accumulator dtype and identity, and its TypeError for floats
        identity = ufunc.reduce(np.ones(0, dtype_of(a)), dtype=dtype)
        a = convert(a, identity.dtype)
        if ndim_of(a) == 0 and _ufunc_axis(a, axis) is None and not isinstance(axis, tuple):
            a, axis = reshape(a, (1,)), 0  # axis 0 or -1 of a 0-d array: its one element
        axes = normalize_axes(axis, ndim_of(a))
        has_initial = initial is not np._NoValue and initial is not None
        start = np.asarray(initial, identity.dtype)[()] if has_initial else None
        if not axes:  # reducing nothing: each value (combined with initial)
            return a if start is None else combine(a, start)
        x = _last_axis(a, axes)
        if shape_of(x)[-1] == 0:
            result = full_like(x, identity if start is None else start, shape=shape_of(x)[:-1])
        else:
            result = _halves(x, combine)
            result = result if start is None else combine(result, start)
        return expand_dims(result, axes) if keepdims else result

    reduce.__name__ = reduce.__qualname__ = f"{name}_reduce"
    reduce.__doc__ = f"numpy.{name}.reduce (axis, dtype, keepdims, initial), as a tree of ``{name}`` equations."
    return reduce


def logical_xor_reduce(array: Any, axis: Any = 0, dtype: Any = None, out=None,
                       keepdims: bool = False, initial: Any = np._NoValue, where: Any = True) -> Any:
    """numpy.logical_xor.reduce: True where an odd number of elements are nonzero (bool for
    every operand dtype, as NumPy's), from the count of nonzero elements."""
    reject_kwargs("logical_xor.reduce", out=out, where=None if where is True else where)
    a = check_operand(array, "logical_xor.reduce")
    if dtype is not None and np.dtype(dtype) != np.bool_:
        np.logical_xor.reduce(np.ones(1, dtype_of(a)), dtype=dtype)  # NumPy's own error, if any
    nonzero = not_equal(a, np.zeros((), dtype_of(a))[()])
    if ndim_of(a) == 0 and _ufunc_axis(a, axis) is None and not isinstance(axis, tuple):
        nonzero, axis = reshape(nonzero, (1,)), 0
    axes = normalize_axes(axis, ndim_of(nonzero))
    count = sum_(nonzero, axes, np.int64, keepdims=keepdims)
    odd = not_equal(bitwise_and(count, np.int64(1)), np.int64(0))
    if initial is not np._NoValue and initial is not None:
        odd = logical_xor(odd, bool(initial))
    if dtype is not None and np.dtype(dtype) != np.bool_:
        odd = convert(odd, dtype)
    return odd


def bitwise_count(x: Any, out=None) -> Any:
    """numpy.bitwise_count: the number of 1-bits of |x|, uint8 (a SWAR popcount)."""
    reject_kwargs("bitwise_count", out=out)
    x = check_operand(x, "bitwise_count")
    np.bitwise_count(np.ones(0, dtype_of(x)))  # NumPy's TypeError for floats, if it is one
    if dtype_of(x) == np.bool_:
        x = convert(x, np.int8)  # NumPy's loop for bools is int8's
    width = dtype_of(x).itemsize * 8
    unsigned = np.dtype(f"u{dtype_of(x).itemsize}")
    c = lambda value: np.asarray(value, unsigned)[()]
    ones = lambda byte: c(int.from_bytes(bytes([byte]) * (width // 8), "little"))
    v = convert(absolute(x) if dtype_of(x).kind == "i" else x, unsigned)  # |MIN| keeps MIN's bits
    v = subtract(v, bitwise_and(right_shift(v, c(1)), ones(0x55)))
    v = add(bitwise_and(v, ones(0x33)), bitwise_and(right_shift(v, c(2)), ones(0x33)))
    v = bitwise_and(add(v, right_shift(v, c(4))), ones(0x0F))
    if width > 8:  # the bytes' counts summed into the top byte (a product that wraps)
        v = right_shift(multiply(v, ones(0x01)), c(width - 8))
    return convert(v, np.uint8)


def _bit_shifts(bitorder: str) -> np.ndarray:
    """The shift of each bit of a byte, most significant first for 'big'."""
    if bitorder not in ("big", "little"):
        raise ValueError("'order' must be either 'little' or 'big'")
    return np.arange(7, -1, -1, dtype=np.uint8) if bitorder == "big" else np.arange(8, dtype=np.uint8)


def _along_last(a: Any, axis: Any, name: str) -> tuple[Any, int]:
    """a with ``axis`` moved last (None: a flattened), and where to move it back."""
    if axis is None:
        return ravel(a), 0
    axis = normalize_axis(axis, ndim_of(a))
    return moveaxis(a, axis, -1), axis


def packbits(a: Any, /, axis: Any = None, bitorder: str = "big") -> Any:
    """numpy.packbits: each run of 8 elements along ``axis`` (nonzero as 1) as a uint8."""
    a = check_operand(a, "packbits")
    if dtype_of(a).kind not in "iub":
        raise TypeError("Expected an input array of integer or boolean data type")
    shifts = _bit_shifts(bitorder)
    x, axis = _along_last(a, axis, "packbits")
    n = shape_of(x)[-1]
    bits = convert(not_equal(x, np.zeros((), dtype_of(x))[()]), np.uint8)
    pad = -n % 8
    if pad:
        bits = concatenate([bits, full_like(bits, 0, shape=shape_of(bits)[:-1] + (pad,))], axis=-1)
    bits = reshape(bits, shape_of(bits)[:-1] + ((n + pad) // 8, 8))
    packed = sum_(left_shift(bits, shifts), -1, np.uint8)
    return moveaxis(packed, -1, axis)


def unpackbits(a: Any, /, axis: Any = None, count: Any = None, bitorder: str = "big") -> Any:
    """numpy.unpackbits: the 8 bits of each uint8 along ``axis``; ``count`` keeps that many
    (zeros past the end; a negative one drops from the end)."""
    a = check_operand(a, "unpackbits")
    if dtype_of(a) != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    shifts = _bit_shifts(bitorder)
    x, axis = _along_last(a, axis, "unpackbits")
    n = shape_of(x)[-1]
    bits = bitwise_and(right_shift(expand_dims(x, -1), shifts), np.uint8(1))
    bits = reshape(bits, shape_of(x)[:-1] + (8 * n,))
    if count is not None:
        count = operator.index(count)
        if count < -8 * n:
            raise ValueError("-count larger than number of elements")
        keep = count if count >= 0 else 8 * n + count
        if keep <= 8 * n:
            bits = getitem(bits, (Ellipsis, slice(0, keep)))
        else:
            bits = concatenate([bits, full_like(bits, 0, shape=shape_of(bits)[:-1] + (keep - 8 * n,))], axis=-1)
    return moveaxis(bits, -1, axis)
