"""Index updates as values: what ``x`` holds after NumPy's ``x[key] = value``.

A traced array is a value in a graph, so a write into it is recorded as a new value that
the tracer then stands for (``Tracer.__setitem__``; the in-place rules live there). Each
update is a composition of existing primitives, so it batches, fuses and runs on every
backend like any other code:

* a key known at trace time (ints, slices, ``None``, ``...``, integer arrays, boolean
  masks): NumPy itself computes, once, which element of ``value`` lands where
  (``positions[key] = arange(count)``, so repeated indices keep the LAST write, exactly
  as NumPy's assignment), and the update is one gather plus one select;
* traced integer indices along the first axis (``x[i] = v`` with a per-example ``i``):
  compared with every position, the last matching write wins, and the indices follow the
  index rule of every gather (IndexError outside [-n, n)).

``value`` is cast to ``x``'s dtype as NumPy's assignment casts (unsafe: 1.7 into an int
array is 1) and broadcast to the selection's shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from ..tracing import Tracer, bind, static_key
from ._core import check_operand, convert, shape_of

__all__ = ["setitem", "has_traced_index", "ufunc_at"]


def has_traced_index(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, Tracer) for k in parts)


def setitem(x: Tracer, key: Any, value: Any) -> Tracer:
    """The value of ``x`` after ``x[key] = value`` (``x`` itself is not changed)."""
    from .elementwise import where
    from .shape import broadcast_to, ravel, reshape

    value = convert(check_operand(value, "x[...] = value"), x.dtype)
    key = static_key(key)
    if has_traced_index(key):
        return _set_at_traced(x, key, value)
    positions = np.full(x.shape, -1, np.intp)
    selected = positions[key].shape  # NumPy's own IndexError / TypeError for a bad key
    count = int(np.prod(selected, dtype=np.int64))
    if count == 0:
        return x
    positions[key] = np.arange(count, dtype=np.intp).reshape(selected)
    try:
        flat = ravel(broadcast_to(value, selected))
    except ValueError:
        raise ValueError(f"could not broadcast input array from shape {shape_of(value)} into "
                         f"shape {selected}") from None
    if (positions.ravel() == np.arange(positions.size)).all():  # every element, in order
        return reshape(flat, x.shape)
    written = positions >= 0
    gathered = bind(P.take_p, flat, np.where(written, positions, 0), axis=0)
    return where(written, gathered, x)


def _set_at_traced(x: Tracer, key: Any, value: Any) -> Tracer:
    """``x[i] = v`` / ``x[idx] = v`` with traced integer indices on the first axis (any
    further key entries full slices)."""
    from .elementwise import equal, where
    from .indexing import take
    from .reductions import any as any_, argmax
    from .shape import broadcast_to, expand_dims, reshape

    parts = key if isinstance(key, tuple) else (key,)
    index, rest = parts[0], parts[1:]
    full = all(isinstance(k, slice) and k == slice(None) for k in rest)
    if not isinstance(index, Tracer) or not full or index.dtype.kind not in "iu" or not x.ndim:
        raise NotImplementedError(
            "gvmap records x[key] = v with a traced key only for integer indices along the "
            "first axis (x[i] = v, x[idx] = v, x[i, :] = v); for other traced keys build the "
            "new array with np.where(mask, v, x), where mask compares np.arange(...) with "
            "the traced indices")
    n = x.shape[0]
    rows = take(np.arange(n), index)            # the index rule: IndexError outside [-n, n)
    flat = reshape(rows, (-1,))                 # (K,) target rows
    k = flat.shape[0]
    hits = equal(expand_dims(flat, 1), np.arange(n)[None, :])   # (K, n): write k hits row j
    last = (k - 1) - argmax(hits[::-1], axis=0)                  # the last write to each row
    written = any_(hits, axis=0)
    values = reshape(broadcast_to(value, (*shape_of(index), *x.shape[1:])), (k, *x.shape[1:]))
    gathered = take(values, last, axis=0)
    mask = reshape(written, (n,) + (1,) * (x.ndim - 1))
    return where(mask, gathered, x)


_AT_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}


def ufunc_at(ufunc_name: str):
    """``np.<ufunc>.at(a, indices, b)``: unbuffered, so repeated indices accumulate (unlike
    ``a[idx] += b``). Each target element folds every value aimed at it, then combines
    with its own value; ``a`` (a traced local array) then stands for the result."""
    from . import reductions
    from .elementwise import UFUNCS, equal, where
    from .indexing import take
    from .shape import broadcast_to, expand_dims, ravel, reshape

    combine = UFUNCS[ufunc_name]
    fold = getattr(reductions, _AT_REDUCTIONS[ufunc_name])

    def at(a: Any, indices: Any, b: Any = None) -> None:
        if not isinstance(a, Tracer):
            raise TypeError(
                f"np.{ufunc_name}.at writes into its first argument in place, and a NumPy "
                f"array cannot hold traced values; start from a traced array (e.g. "
                f"y = np.zeros_like(x); np.{ufunc_name}.at(y, idx, v))")
        if b is None:
            raise TypeError(f"np.{ufunc_name}.at needs the values to combine (b)")
        size = a.size
        if has_traced_index(indices):
            parts = indices if isinstance(indices, tuple) else (indices,)
            if len(parts) != 1 or a.ndim != 1:
                raise NotImplementedError(
                    f"gvmap records np.{ufunc_name}.at with traced indices on 1-d arrays "
                    f"only; reshape to 1-d first (np.{ufunc_name}.at(y.reshape(-1), flat_idx, v))")
            targets = ravel(take(np.arange(size), parts[0]))   # the index rule applies
            selected = shape_of(parts[0])
        else:
            targets = np.arange(size).reshape(a.shape)[indices]  # NumPy's own key errors
            selected = targets.shape
            targets = targets.ravel()
        k = int(np.prod(selected, dtype=np.int64))
        if k == 0:
            return
        values = reshape(broadcast_to(convert(check_operand(b, f"np.{ufunc_name}.at"), a.dtype),
                                      selected), (k,))
        hits = equal(expand_dims(targets, 1), np.arange(size)[None, :])   # (k, size)
        with a._trace.internal_views(a._var):
            flat = ravel(a)
            # a value not aimed at an element stands in as the fold's neutral element
            # there: the identity of + and *, the element itself for maximum / minimum
            neutral = {"add": 0, "multiply": 1}.get(ufunc_name, expand_dims(flat, 0))
            folded = fold(where(hits, expand_dims(values, 1), neutral), axis=0)
            result = reshape(combine(flat, folded), a.shape)
        a._assign(result, f"np.{ufunc_name}.at(x, ...)", "Write into a copy: `x = x.copy()` first")

    at.__name__ = f"{ufunc_name}_at"
    return at
