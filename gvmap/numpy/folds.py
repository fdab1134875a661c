"""``np.bitwise_and / bitwise_or / bitwise_xor / gcd / lcm / logical_xor .reduce`` and the
``.accumulate`` of these and of logical_or / logical_and: folds and scans of elementwise
primitives, with no reduction primitive of their own; and ``np.bitwise_count``, the fold of
each element's own bits (a population count).

Per-example code reduces with them: the parity of an even-odd point-in-polygon test
(``np.logical_xor.reduce(crossings)``), a bit mask of flags (``np.bitwise_or.reduce(bits)``),
a checksum (``np.bitwise_xor.reduce(words)``). Each is associative and commutative exactly
(bit by bit), so the axis (moved last, several axes flattened into one) reduces as a tree
of floor(log2 n) elementwise equations over its halves, which fuse and run on every backend,
and the primitive set stays as it is. ``ufunc_reduce`` is the one skeleton (NumPy's
accumulator dtype and TypeError, ``axis`` / ``keepdims`` / ``initial``, the 0-d operand,
the empty axis) for every such ufunc, each with its fold:

- bitwise_and / or / xor: the tree, from the identity (-1, all bits set, for ``and``; 0
  for ``or`` / ``xor``), which an empty axis gives; an integer or bool operand's dtype
  (``dtype=`` names another; floats are NumPy's TypeError).
- gcd: the tree too (Euclid on the absolute values, |MIN| kept as MIN's bits: associative,
  commutative and idempotent exactly). NumPy starts from its identity 0, so a single
  element gives its absolute value (``np.gcd.reduce([-4])`` is 4, as is each value with
  ``axis=()``) and an empty axis gives 0 (or ``initial``).
- lcm: no identity (an empty axis raises NumPy's ValueError), the first element starts the
  fold, and a product that overflows wraps, so the order matters: NumPy's left fold, n - 1
  equations. Like NumPy, it reduces over one axis at most (it is not reorderable). ``logical_xor``
gives bool for every operand: True where an odd number of elements are nonzero, which is
how it is computed (a count, then its lowest bit), exactly as the fold would give.

``.accumulate`` (a running mask, ``np.logical_or.accumulate(x > limit)``: "from the first
crossing on"; running flags and checksums) is the inclusive scan along the axis: for the
tree ufuncs ceil(log2 n) steps, each combining the axis with itself shifted by 2**k (Hillis
and Steele), for lcm NumPy's left order, one element at a time. The first element is the
operand's own (``np.gcd.accumulate([-4, 6])`` starts at -4), in NumPy's result dtype (bool
for the logical ufuncs, whatever the operand).

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
from .elementwise import (absolute, add, bitwise_and, bitwise_or, bitwise_xor, gcd, lcm,
                          left_shift, logical_xor, multiply, not_equal, right_shift, subtract)
from .indexing import getitem
from .reductions import _ufunc_axis, sum as sum_
from .shape import (concatenate, expand_dims, full_like, moveaxis, ravel, reshape, stack,
                    transpose)

__all__: list[str] = []  # ufunc methods, registered in gvmap/numpy/__init__.py

# each ufunc reduced here: its elementwise equation, and the fold's order ("tree": exactly
# associative and commutative; "left": NumPy's order, not reorderable)
FOLDS: dict[str, tuple[Callable, str]] = {
    "bitwise_and": (bitwise_and, "tree"), "bitwise_or": (bitwise_or, "tree"),
    "bitwise_xor": (bitwise_xor, "tree"), "gcd": (gcd, "tree"), "lcm": (lcm, "left")}


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


def _left(x: Any, combine: Callable, start: Any) -> Any:
    """``combine`` over the last axis (length >= 1), left to right from ``start`` (None:
    from the first element)."""
    result = getitem(x, (Ellipsis, 0))
    result = result if start is None else combine(start, result)
    for i in range(1, shape_of(x)[-1]):
        result = combine(result, getitem(x, (Ellipsis, i)))
    return result


def ufunc_reduce(name: str) -> Callable:
    """numpy.<name>.reduce (axis, dtype, keepdims, initial) for a ufunc of ``FOLDS``."""
    ufunc, (combine, order) = getattr(np, name), FOLDS[name]

    def reduce(array: Any, axis: Any = 0, dtype: Any = None, out=None, keepdims: bool = False,
               initial: Any = np._NoValue, where: Any = True) -> Any:
        reject_kwargs(f"{name}.reduce", out=out, where=None if where is True else where)
        a = check_operand(array, f"{name}.reduce")
        # NumPy's accumulator dtype (its TypeError for floats, and bools for gcd / lcm) and
        # identity in it (None for lcm), which starts the fold unless initial does
        acc = np.asarray(ufunc.reduce(np.ones(1, dtype_of(a)), dtype=dtype)).dtype
        a = convert(a, acc)
        if initial is not np._NoValue and initial is not None:
            start = np.asarray(initial, acc)[()]
        else:
            start = ufunc.reduce(np.ones(0, acc)) if ufunc.identity is not None else None
        if ndim_of(a) == 0 and _ufunc_axis(a, axis) is None and not isinstance(axis, tuple):
            a, axis = reshape(a, (1,)), 0  # axis 0 or -1 of a 0-d array: its one element
        axes = normalize_axes(axis, ndim_of(a))
        if order == "left" and len(axes) > 1:
            raise ValueError(f"reduction operation '{name}' is not reorderable, so at most "
                             f"one axis may be specified")
        if not axes:  # reducing nothing: each value combined with the start
            return a if start is None else combine(a, start)
        x = _last_axis(a, axes)
        if shape_of(x)[-1] == 0:
            if start is None:
                raise ValueError(f"zero-size array to reduction operation {name} which has no "
                                 f"identity")
            result = full_like(x, start, shape=shape_of(x)[:-1])
        elif order == "left":
            result = _left(x, combine, start)
        else:  # the start combined once (gcd's 0 makes a single value's absolute value)
            result = _halves(x, combine)
            result = result if start is None else combine(result, start)
        return expand_dims(result, axes) if keepdims else result

    reduce.__name__ = reduce.__qualname__ = f"{name}_reduce"
    reduce.__doc__ = (f"numpy.{name}.reduce (axis, dtype, keepdims, initial), as a "
                      f"{'tree' if order == 'tree' else 'left fold'} of ``{name}`` equations.")
    return reduce


# the logical ufuncs accumulate as the bitwise ones of the bools (``a != 0``)
_LOGICAL = {"logical_or": bitwise_or, "logical_and": bitwise_and, "logical_xor": bitwise_xor}


def ufunc_accumulate(name: str) -> Callable:
    """numpy.<name>.accumulate (axis, dtype) for a ufunc of ``FOLDS`` or a logical one."""
    ufunc = getattr(np, name)
    combine, order = FOLDS[name] if name in FOLDS else (_LOGICAL[name], "tree")

    def accumulate(array: Any, axis: int = 0, dtype: Any = None, out=None) -> Any:
        reject_kwargs(f"{name}.accumulate", out=out)
        a = check_operand(array, f"{name}.accumulate")
        # NumPy's errors (a 0-d operand, an axis tuple, floats for the bitwise ufuncs) and
        # result dtype, on a stand-in of the example's shape
        result_dtype = ufunc.accumulate(np.zeros(shape_of(a), dtype_of(a)), axis=axis,
                                        dtype=dtype).dtype
        axis = normalize_axis(axis, ndim_of(a))
        x = moveaxis(a, axis, -1)
        if name in _LOGICAL:  # bool(first element) starts, as NumPy's: a bool scan
            x = not_equal(x, np.zeros((), dtype_of(x))[()])
        else:
            x = convert(x, result_dtype)
        if shape_of(x)[-1] > 1:
            x = _left_scan(x, combine) if order == "left" else _tree_scan(x, combine)
        return moveaxis(convert(x, result_dtype), -1, axis)

    accumulate.__name__ = accumulate.__qualname__ = f"{name}_accumulate"
    accumulate.__doc__ = (f"numpy.{name}.accumulate (axis, dtype): the running ``{name}`` "
                          f"along the axis, as a {'left fold' if order == 'left' else 'scan'} "
                          f"of elementwise equations.")
    return accumulate


def _tree_scan(x: Any, combine: Callable) -> Any:
    """The inclusive scan of an exactly associative ``combine`` over the last axis in
    ceil(log2 n) steps (Hillis and Steele): step k combines each element with the one 2**k
    before it; the first 2**k, already complete, stay."""
    n, k = shape_of(x)[-1], 1
    while k < n:
        head = getitem(x, (Ellipsis, slice(0, k)))
        x = concatenate([head, combine(getitem(x, (Ellipsis, slice(0, n - k))),
                                       getitem(x, (Ellipsis, slice(k, n))))], axis=-1)
        k *= 2
    return x


def _left_scan(x: Any, combine: Callable) -> Any:
    """The running ``combine`` over the last axis in NumPy's order, one element at a time
    (lcm: a product that wraps makes the order matter)."""
    running = [getitem(x, (Ellipsis, 0))]
    for i in range(1, shape_of(x)[-1]):
        running.append(combine(running[-1], getitem(x, (Ellipsis, i))))
    return stack(running, axis=-1)


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
