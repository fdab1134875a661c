"""numpy.clip as ``max`` and ``min`` primitives, with NumPy's answer on ties.

The two compositions below differ only where x equals a bound, which for floats means
+0.0 against -0.0 (``np.clip(0.0, -1.0, -0.0)`` is 0.0, and ``arctan2`` of it is 0, not
-pi). NumPy's clip ufunc has two float loops, and which one runs depends on the strides
its inner loop sees, so this module models how NumPy 2 picks them (``numpy_keeps_x``).
``max``/``min`` are NumPy's ``maximum``/``minimum`` on every backend: NaN from either side
wins, and on float32/float64 ties the SECOND operand is returned (``np.minimum(0.0, -0.0)``
is -0.0; the CUDA helpers ``gvmap_max``/``gvmap_min`` do the same).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tracing import write_out
from ._core import (PY_SCALARS, broadcast_shapes, check_operand, convert, dtype_of, proxy,
                    shape_of)
from .elementwise import maximum, minimum

__all__ = ["clip"]


def clip(a: Any, a_min: Any = None, a_max: Any = None, out=None, **kwargs: Any) -> Any:
    """numpy.clip, tie for tie (-0.0 against +0.0) what NumPy 2 returns.

    Rule, for float32 and float64 (integers and bools have no ties that differ; float16
    always keeps x, which ``min(max(x, lo), hi)`` does, as NumPy's float16 maximum and
    minimum return the FIRST operand on ties):

    * one bound only: ``np.maximum(x, lo)`` / ``np.minimum(x, hi)`` (NumPy's ``_clip``
      does exactly that), so a tie gives the bound;
    * both bounds, when NumPy's inner loop sees both with stride 0 (scalar and 0-d
      bounds, and bounds broadcast along the innermost axis NumPy iterates, see
      ``numpy_keeps_x``): ``x < lo ? lo : (x > hi ? hi : x)``, so a tie keeps x, and a NaN
      bound makes every element NaN. As primitives: ``min(hi, max(lo, x))``;
    * both bounds otherwise (bounds with x's shape, per-example arrays):
      ``min(max(x, lo), hi)`` as NumPy's loop writes it, so a tie gives the bound.

    NaN in x stays NaN in all three. The choice is made from the per-example shapes and
    dtypes, as the loop oracle calls np.clip on each example's arrays; it assumes those are
    C-ordered (NumPy may iterate other layouts in another order, and a bound broadcast
    along one axis but not another can then take the other loop).
    """
    result = _clipped(a, kwargs.pop("min", a_min), kwargs.pop("max", a_max), kwargs)
    return result if out is None else write_out("clip", result, out)  # x.clip(0, 1, out=x)


def _clipped(a: Any, a_min: Any, a_max: Any, kwargs: dict) -> Any:
    if kwargs:
        raise TypeError(f"clip() got unexpected keyword arguments {sorted(kwargs)}")
    a = check_operand(a, "clip")
    lo = None if a_min is None else check_operand(a_min, "clip")
    hi = None if a_max is None else check_operand(a_max, "clip")
    if dtype_of(a).kind in "iu":  # NumPy drops Python-int bounds beyond the dtype's range
        info = np.iinfo(dtype_of(a))
        lo = None if type(lo) is int and lo <= info.min else lo
        hi = None if type(hi) is int and hi >= info.max else hi
    if lo is None and hi is None:
        return a
    with np.errstate(all="ignore"):
        dtype = np.clip(proxy(a), None if lo is None else proxy(lo),
                        None if hi is None else proxy(hi)).dtype
    x = convert(a, dtype)
    if hi is None:
        return maximum(x, convert(lo, dtype))
    if lo is None:
        return minimum(x, convert(hi, dtype))
    lo_, hi_ = convert(lo, dtype), convert(hi, dtype)
    if dtype in (np.float32, np.float64) and numpy_keeps_x(
            [shape_of(v) for v in (a, lo, hi)],
            [not isinstance(v, PY_SCALARS) and dtype_of(v) != dtype for v in (a, lo, hi)]):
        return minimum(hi_, maximum(lo_, x))
    return minimum(maximum(x, lo_), hi_)


def numpy_keeps_x(shapes: Sequence[tuple[int, ...]], casts: Sequence[bool]) -> bool:
    """Whether NumPy 2's clip runs its constant-bounds loop (ties keep x) for C-ordered
    operands x, lo, hi of these ``shapes``; ``casts[i]``: operand i is cast to the loop dtype.

    That loop runs when the inner loop's strides of both bounds are 0. The strides come
    from ufunc_object.c and nditer_constr.c (NumPy 2.3+), modelled step by step:

    1. ``check_for_trivial_loop``: an operand to be cast is copied if it is 0-d or 1-D (and
       small); any other cast rules out the trivial loop and keeps its cast flag.
    2. ``try_trivial_single_output_loop``: when all non-0-d operands have one shape, one
       inner-loop call runs, 0-d operands with stride 0, all others with their own.
    3. Otherwise the iterator: operands broadcast to the output shape (stride 0 on size-1
       and missing dims), axes in C order, innermost first, adjacent axes coalesced.
    4. ``npyiter_find_buffering_setup`` extends the inner loop outward over axes while its
       cost model, ``(1 + n_buffered) / size``, does not get worse; an operand whose stride
       breaks inside the chosen span is buffered (inner stride = itemsize), the others keep
       their stride along the innermost axis.
    """
    shapes = [tuple(s) for s in shapes]
    cast = list(casts)
    for i, shape in enumerate(shapes):          # 1.
        if cast[i] and (len(shape) == 0 or (len(shape) == 1 and shape[0] <= np.getbufsize())):
            cast[i] = False
        elif cast[i]:
            break
    else:                                       # 2.
        arrays = {s for s in shapes if s}
        if len(arrays) <= 1:
            return shapes[1] == () and shapes[2] == ()
    out = broadcast_shapes(*shapes)             # 3.
    operands = [*shapes, out]
    cast.append(False)  # the output, allocated in the loop dtype
    axes = _coalesced_axes(out, operands)
    single = [1] * len(operands)                # 4.
    cost = 1 + sum(cast)
    size = axes[0][0]
    best_dim, best_cost, best_size = 0, cost, size
    for idim in range(1, len(axes)):
        if size >= np.getbufsize() and cost > 1:
            break
        (prev_size, prev_strides), (dim_size, strides) = axes[idim - 1], axes[idim]
        for i in range(len(operands)):
            if single[i] == idim:
                if prev_strides[i] * prev_size == strides[i]:
                    single[i] += 1
                elif not cast[i]:
                    cost += 1
        size *= dim_size
        limit = min(size, np.getbufsize()) if cost > 1 else size
        if cost * best_size <= best_cost * limit:
            best_dim, best_cost, best_size = idim, cost, size
    inner_zero = [single[i] > best_dim and axes[0][1][i] == 0 for i in (1, 2)]
    return all(inner_zero)


def _coalesced_axes(out: tuple[int, ...], shapes: Sequence[tuple[int, ...]]) -> list:
    """The iterator's axes, innermost first, as (size, element strides per operand), with
    NumPy's coalescing of adjacent axes that every operand walks with one stride."""
    def strides(shape: tuple[int, ...]) -> list[int]:
        shape = (1,) * (len(out) - len(shape)) + shape
        result, step = [], 1
        for d in reversed(shape):
            result.append(0 if d == 1 else step)
            step *= d
        return result or [0]

    per_operand = [strides(s) for s in shapes]
    sizes = list(reversed(out)) or [1]
    axes = [(sizes[0], [s[0] for s in per_operand])]
    for k in range(1, len(sizes)):
        (size0, strides0), size1 = axes[-1], sizes[k]
        strides1 = [s[k] for s in per_operand]
        if all((size0 == 1 and a == 0) or (size1 == 1 and b == 0) or a * size0 == b
               for a, b in zip(strides0, strides1)):
            axes[-1] = (size0 * size1, strides0 if size0 != 1 else strides1)
        else:
            axes.append((size1, strides1))
    return axes
