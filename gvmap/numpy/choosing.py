"""``np.choose`` and ``np.place``: picking among arrays, and writing at flat positions, as
compositions of gathers, the index update of ``x[i] = v`` and selects (``np.put`` is
``inplace.put``).

- ``np.choose(a, choices, mode=)``: the choices broadcast together with ``a`` and stacked,
  then ONE ``take_along_axis`` over the stack. ``mode="raise"`` (NumPy's default) raises
  ValueError "invalid entry in choice array" for an index outside [0, n), naming the first
  such example (``checks.raise_where``); "wrap" takes it modulo n, "clip" into [0, n - 1].
- ``np.place(arr, mask, vals)``: the k-th True position of ``mask`` takes ``vals[k %
  len(vals)]`` (a running count of the mask and a gather), in place as ``np.put``.

Writes into an argument of the traced function are refused, as for ``x[i] = v`` (NumPy would
change the caller's array).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tracing import Tracer
from ._core import (broadcast_shapes, check_operand, convert, dtype_of, ndim_of, reject_kwargs,
                    result_dtype, shape_of)
from .arrays import take_along_axis
from .checks import raise_where
from .clip import clip
from .elementwise import greater_equal, less, logical_or, remainder, where
from .indexing import take
from .reductions import any as any_, cumsum
from .shape import broadcast_to, expand_dims, ravel, reshape, squeeze, stack

__all__ = ["choose", "place"]

_MODES = ("raise", "wrap", "clip")


def _mode(mode: Any) -> str:
    if mode not in _MODES:
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    return mode


def _integer_indices(a: Any, name: str, what: str) -> Any:
    a = check_operand(a, name)
    if dtype_of(a).kind not in "iu":
        raise TypeError(f"numpy.{name}: {what} must be integers, got {dtype_of(a)} (NumPy cannot "
                        f"cast them safely); convert them first: {what}.astype(np.intp)")
    return a


def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    """numpy.choose: ``choices[a[I]][I]`` at every position I of the broadcast shape."""
    reject_kwargs("choose", out=out)
    mode = _mode(mode)
    a = _integer_indices(a, "choose", "the index array a")
    if isinstance(choices, Tracer) or isinstance(choices, np.ndarray):
        if ndim_of(choices) == 0:
            raise ValueError("choices must be a sequence of arrays (a 0-d array was given)")
        choices = [choices[i] for i in range(shape_of(choices)[0])]
    choices = [check_operand(c, "choose") for c in choices]
    n = len(choices)
    if n == 0:
        raise ValueError("0-length sequence.")
    dtype = result_dtype(lambda *cs: np.choose(np.zeros(0, np.intp), cs), *choices)
    shape = broadcast_shapes(shape_of(a), *(shape_of(c) for c in choices))
    stacked = stack([broadcast_to(convert(c, dtype), shape) for c in choices])
    if mode == "wrap":
        index = remainder(a, n)
    else:  # "raise" reads a valid row too, then checks the original indices
        index = clip(a, 0, n - 1)
    index = expand_dims(broadcast_to(convert(index, np.intp), shape), 0)
    picked = squeeze(take_along_axis(stacked, index, axis=0), 0)
    if mode != "raise":
        return picked
    return raise_where(picked, logical_or(less(a, 0), greater_equal(a, n)), error="ValueError",
                       function="choose", reason="invalid entry in choice array",
                       hint=f"the indices must be in [0, {n}); np.choose(a, choices, "
                            f"mode='clip') or mode='wrap' cannot fail")


def _write_target(a: Any, name: str, rewrite: str, *traced: Any) -> bool:
    """Whether ``a`` is a traced array to update; a NumPy array with concrete operands is
    NumPy's to write (False), one with traced operands cannot hold them."""
    if isinstance(a, Tracer):
        return True
    if any(isinstance(t, Tracer) for t in traced):
        raise TypeError(f"numpy.{name} writes into its first argument in place, and a NumPy "
                        f"array cannot hold traced values; start from a traced array ({rewrite})")
    return False


def place(arr: Any, mask: Any, vals: Any) -> None:
    """numpy.place: the k-th True of ``mask`` gets ``vals[k % len(vals)]``."""
    if not _write_target(arr, "place", "e.g. y = x.copy(); np.place(y, mask, vals)", mask, vals):
        np.place(arr, mask, vals)
        return
    mask = check_operand(mask, "place")
    if math.prod(shape_of(mask)) != arr.size:
        raise ValueError("place: mask and data must be the same size")
    mask = reshape(convert(mask, np.bool_), arr.shape)
    vals = ravel(convert(check_operand(vals, "place"), arr.dtype))
    count = shape_of(vals)[0]
    if count == 0:  # NumPy raises where some position is to be written, else writes nothing
        new = raise_where(where(mask, arr, arr), any_(mask), error="ValueError",
                          function="place", reason="Cannot insert from an empty array!",
                          hint="give vals at least one value")
    else:
        rank = remainder(cumsum(ravel(mask).astype(np.intp)) - 1, count)
        new = where(mask, reshape(take(vals, rank), arr.shape), arr)
    arr._assign(new, "np.place(arr, ...)", "Write into a copy: `arr = arr.copy()` first")
