"""``np.gcd.reduce`` and ``np.lcm.reduce``: folds of the ``gcd`` / ``lcm`` primitives.

No reduction primitive of their own: lcm is no monoid once a product wraps, and a few
elementwise equations over slices of the reduced axis (moved last, several axes flattened
into one) fuse and run on every backend, so the primitive set stays as it is.

- gcd: NumPy starts from its identity 0, so a single element gives its absolute value
  (``np.gcd.reduce([-4])`` is 4, as is each value with ``axis=()``) and an empty axis gives
  0 (or ``initial``). gcd is associative, commutative and idempotent exactly (Euclid on the
  absolute values, |MIN| kept as MIN's bits), so the reduction is folds.py's tree of the
  axis's halves (an odd element out joining at the end).
- lcm: no identity (an empty axis raises NumPy's ValueError), the first element starts the
  fold, and a product that overflows wraps, so the order matters: NumPy's left fold, n - 1
  equations. Like NumPy, it reduces over one axis at most (it is not reorderable).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._core import (check_operand, convert, dtype_of, ndim_of, normalize_axes, reject_kwargs,
                    shape_of)
from .elementwise import gcd, lcm
from .indexing import getitem
from .reductions import _ufunc_axis
from .folds import _halves, _last_axis
from .shape import expand_dims, full_like, reshape

__all__: list[str] = []  # ufunc methods, registered in gvmap/numpy/__init__.py


def _lcm_fold(x: Any, start: Any) -> Any:
    """lcm over the last axis, left to right from ``start`` (None: from the first element)."""
    result = getitem(x, (Ellipsis, 0))
    result = result if start is None else lcm(start, result)
    for i in range(1, shape_of(x)[-1]):
        result = lcm(result, getitem(x, (Ellipsis, i)))
    return result


def _reduce_method(name: str):
    ufunc, combine = getattr(np, name), {"gcd": gcd, "lcm": lcm}[name]

    def reduce(array: Any, axis: Any = 0, dtype: Any = None, out=None, keepdims: bool = False,
               initial: Any = np._NoValue, where: Any = True) -> Any:
        reject_kwargs(f"{name}.reduce", out=out, where=None if where is True else where)
        a = check_operand(array, f"{name}.reduce")
        # NumPy's accumulator dtype, and its TypeError for bools and floats
        acc = np.asarray(ufunc.reduce(np.ones(1, dtype_of(a)), dtype=dtype)).dtype
        a = convert(a, acc)
        if ndim_of(a) == 0 and axis is not None and not isinstance(axis, tuple):
            _ufunc_axis(a, axis)  # axis 0 or -1 of a 0-d array: its one element, as NumPy's
            a, axis = reshape(a, (1,)), 0
        axes = normalize_axes(axis, ndim_of(a))
        if name == "lcm" and len(axes) > 1:
            raise ValueError("reduction operation 'lcm' is not reorderable, so at most one axis "
                             "may be specified")
        has_initial = initial is not np._NoValue and initial is not None
        # the fold's first value: initial, else gcd's identity 0 (lcm has none)
        start = np.asarray(initial if has_initial else 0, acc)[()] if (
            has_initial or name == "gcd") else None
        if not axes:  # reducing nothing: each value combined with the start
            return a if start is None else combine(start, a)
        x = _last_axis(a, axes)
        n = shape_of(x)[-1]
        if n == 0:
            if start is None:
                raise ValueError("zero-size array to reduction operation lcm which has no identity")
            result = full_like(x, start, shape=shape_of(x)[:-1])
        elif name == "lcm":
            result = _lcm_fold(x, start)
        elif n == 1:
            result = gcd(getitem(x, (Ellipsis, 0)), start)
        else:  # (the tree's gcds already make 0's absolute values)
            result = _halves(x, gcd)
            result = gcd(result, start) if has_initial else result
        return expand_dims(result, axes) if keepdims else result

    reduce.__name__ = reduce.__qualname__ = f"{name}_reduce"
    reduce.__doc__ = (f"numpy.{name}.reduce (axis, dtype, keepdims, initial), as a "
                      f"{'tree' if name == 'gcd' else 'left fold'} of ``{name}`` equations.")
    return reduce


gcd_reduce = _reduce_method("gcd")
lcm_reduce = _reduce_method("lcm")
