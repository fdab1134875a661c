"""Index updates as values: what ``x`` holds after NumPy's ``x[key] = value``.

A traced array is a value in a graph, so a write into it is recorded as a new value that
the tracer then stands for (``Tracer.__setitem__``; the in-place rules live there). Each
path, and what it costs per example (n elements in x, K written):

* ``x[key] = v`` with a key known at trace time (ints, slices, ``None``, ``...``, integer
  arrays, boolean masks): NumPy itself computes, once, which element of ``v`` lands where
  (``positions[key] = arange(count)``, so repeated indices keep the LAST write, exactly
  as NumPy's assignment), and the update is one gather plus one select: O(n), fused with
  what computes ``v`` where the backend fuses;
* ``x[i] = v`` / ``x[idx] = v`` with traced integer indices along the first axis: one
  ``scatter[mode=set]`` (the last write to a row stays), after the take of ``arange(n)``
  that applies the index rule of every gather (IndexError outside [-n, n)) and turns
  negative indices into rows: O(n + K) (the copy of x, then one step per written element).
  ``x[idx] += v`` is NumPy's ``x[idx] = x[idx] + v``: a gather, an add and this scatter,
  so a repeated index adds once (its last value), as in NumPy;
* ``np.add.at / multiply.at / maximum.at / minimum.at(x, indices, v)``: one
  ``scatter[mode=add|mul|max|min]``, repeats accumulating in index order (NaN propagates
  through maximum / minimum): O(n + K), with traced indices (rows of the first axis, after
  the same index rule) or a constant key of any kind (its targets in the raveled x
  computed now by NumPy).

The scatter batches as ONE scatter over the whole batch (``batching.py``), never a loop
over examples; it is not fused (a structural primitive), and row kernels run it as one
sequential loop per example.

``value`` is cast to ``x``'s dtype as NumPy's assignment casts (unsafe: 1.7 into an int
array is 1) and broadcast to the selection's shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from ..aliasing import static_key
from ..tracing import Tracer, bind
from ._core import check_operand, convert, shape_of
from .elementwise import where
from .indexing import list_index_key, take
from .masked import write_selected
from .shape import broadcast_to, ravel, reshape

__all__ = ["setitem", "has_traced_index", "ufunc_at"]


def broadcast_written(value: Any, shape: tuple) -> Any:
    """``value`` broadcast to the shape an assignment writes, with NumPy's error where not."""
    try:
        return broadcast_to(value, shape)
    except ValueError:
        raise ValueError(f"could not broadcast input array from shape {shape_of(value)} into "
                         f"shape {shape}") from None


def has_traced_index(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, Tracer) for k in parts)


def setitem(x: Tracer, key: Any, value: Any) -> Tracer:
    """The value of ``x`` after ``x[key] = value`` (``x`` itself is not changed)."""
    key = list_index_key(static_key(key))  # x[[k, p]] = ... with a traced p: an index array
    if isinstance(key, Tracer) and key.dtype == np.bool_:
        return write_selected(x, key, value)  # x[mask] = v: a select
    value = convert(check_operand(value, "x[...] = value"), x.dtype)
    if has_traced_index(key):
        return _set_at_traced(x, key, value)
    positions = np.full(x.shape, -1, np.intp)
    selected = positions[key].shape  # NumPy's own IndexError / TypeError for a bad key
    count = int(np.prod(selected, dtype=np.int64))
    if count == 0:
        return x
    positions[key] = np.arange(count, dtype=np.intp).reshape(selected)
    flat = ravel(broadcast_written(value, selected))
    if (positions.ravel() == np.arange(positions.size)).all():  # every element, in order
        return reshape(flat, x.shape)
    written = positions >= 0
    gathered = bind(P.take_p, flat, np.where(written, positions, 0), axis=0)
    return where(written, gathered, x)


def _traced_rows(x: Tracer, key: Any, what: str, rewrite: str) -> tuple[Any, Any, tuple]:
    """The rows a traced key selects, normalized into [0, n) by the index rule of every
    gather (``take`` of ``arange(n)``: IndexError outside [-n, n) on every backend), as a
    1-d array; the key's own index shape; and the shape of what is written there."""
    parts = key if isinstance(key, tuple) else (key,)
    index, rest = parts[0], parts[1:]
    full = all(isinstance(k, slice) and k == slice(None) for k in rest)
    if not isinstance(index, Tracer) or not full or index.dtype.kind not in "iu" or not x.ndim:
        raise NotImplementedError(
            f"gvmap records {what} with a traced key only for integer indices along the "
            f"first axis ({rewrite})")
    rows = reshape(take(np.arange(x.shape[0]), index), (-1,))
    return rows, shape_of(index), (*shape_of(index), *x.shape[1:])


def _set_at_traced(x: Tracer, key: Any, value: Any) -> Tracer:
    """``x[i] = v`` / ``x[idx] = v`` with traced integer indices on the first axis (any
    further key entries full slices): one ``scatter[mode=set]``, the last write to a row
    staying, as NumPy's assignment leaves it."""
    rows, index_shape, selected = _traced_rows(
        x, key, "x[key] = v",
        "x[i] = v, x[idx] = v, x[i, :] = v); for other traced keys build the new array with "
        "np.where(mask, v, x), where mask compares np.arange(...) with the traced indices")
    k = shape_of(rows)[0]
    values = broadcast_written(value, selected)
    return bind(P.scatter_p, x, rows, reshape(values, (k, *x.shape[1:])), mode="set")


_AT_MODES = {p.ufunc: mode for mode, p in P.SCATTER_COMBINE.items()}  # np.add.at: "add" ...


def ufunc_at(ufunc_name: str):
    """``np.<ufunc>.at(a, indices, b)``: unbuffered, so repeated indices accumulate (unlike
    ``a[idx] += b``), in index order: one ``scatter[mode=add|mul|max|min]``; ``a`` (a
    traced local array) then stands for the result. Traced indices select rows of the first
    axis (``np.add.at(a, idx, b)``, ``a`` of any rank); a constant key may be anything NumPy
    accepts (its targets are computed now, on the raveled ``a``)."""
    mode = _AT_MODES[ufunc_name]

    def at(a: Any, indices: Any, b: Any = None) -> None:
        if not isinstance(a, Tracer):
            raise TypeError(
                f"np.{ufunc_name}.at writes into its first argument in place, and a NumPy "
                f"array cannot hold traced values; start from a traced array (e.g. "
                f"y = np.zeros_like(x); np.{ufunc_name}.at(y, idx, v))")
        if b is None:
            raise TypeError(f"np.{ufunc_name}.at needs the values to combine (b)")

        indices = list_index_key(static_key(indices))
        if has_traced_index(indices):
            rows, _, selected = _traced_rows(
                a, indices, f"np.{ufunc_name}.at(x, idx, v)",
                f"np.{ufunc_name}.at(y, idx, v) with idx traced; for other keys ravel y and "
                f"compute flat indices: np.{ufunc_name}.at(y.reshape(-1), flat_idx, v)")
            row_shape, flat = a.shape[1:], False
        else:
            targets = np.arange(a.size).reshape(a.shape)[indices]  # NumPy's own key errors
            rows, selected, row_shape, flat = targets.ravel(), targets.shape, (), a.ndim != 1
        k = shape_of(rows)[0]
        if k == 0:
            return
        b = convert(check_operand(b, f"np.{ufunc_name}.at"), a.dtype)
        try:
            values = broadcast_to(b, selected)
        except ValueError:
            raise ValueError(f"np.{ufunc_name}.at: operands could not be broadcast together: "
                             f"values of shape {shape_of(b)} for a selection of shape "
                             f"{selected}") from None
        values = reshape(values, (k, *row_shape))
        with a._trace.internal_views(a._var):
            result = bind(P.scatter_p, ravel(a) if flat else a, rows, values, mode=mode)
            if flat:
                result = reshape(result, a.shape)
        a._assign(result, f"np.{ufunc_name}.at(x, ...)", "Write into a copy: `x = x.copy()` first")

    at.__name__ = f"{ufunc_name}_at"
    return at
