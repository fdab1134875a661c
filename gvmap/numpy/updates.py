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
from ..tracing import Tracer, bind
from ._core import check_operand, convert, shape_of

__all__ = ["setitem", "has_traced_index"]


def has_traced_index(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, Tracer) for k in parts)


def setitem(x: Tracer, key: Any, value: Any) -> Tracer:
    """The value of ``x`` after ``x[key] = value`` (``x`` itself is not changed)."""
    from .elementwise import where
    from .shape import broadcast_to, ravel, reshape

    value = convert(check_operand(value, "x[...] = value"), x.dtype)
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
