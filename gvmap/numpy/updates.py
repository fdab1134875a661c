"""Index updates as values: what ``x`` holds after NumPy's ``x[key] = value``.

A traced array is a value in a graph, so a write into it is recorded as a new value that
the tracer then stands for (``Tracer.__setitem__``; the in-place rules live there). Each
path, and what it costs per example (n elements in x, K written):

* ``x[key] = v`` where x, the key and v are all known at trace time (``is_p =
  np.ones(31, bool); is_p[4::2] = False``, a sieve or table built from constants): NumPy
  computes the new value now, and x stays known, so ``if is_p[p]:`` still branches on it;
* ``x[key] = v`` with a key known at trace time (ints, slices, ``None``, ``...``, integer
  arrays, boolean masks): NumPy itself computes, once, which element of ``v`` lands where
  (``positions[key] = arange(count)``, so repeated indices keep the LAST write, exactly
  as NumPy's assignment), and the update is one gather plus one select: O(n), fused with
  what computes ``v`` where the backend fuses;
* ``x[i] = v`` / ``x[idx] = v`` with traced integer indices along the first axis (or on
  the first k axes, ``oh[np.arange(n), tokens] = 1``: rows of x with those axes merged): one
  ``scatter[mode=set]`` (the last write to a row stays), after the take of ``arange(n)``
  that applies the index rule of every gather (IndexError outside [-n, n)) and turns
  negative indices into rows: O(n + K) (the copy of x, then one step per written element).
  ``x[idx] += v`` is NumPy's ``x[idx] = x[idx] + v``: a gather, an add and this scatter,
  so a repeated index adds once (its last value), as in NumPy;
* ``np.add.at / multiply.at / maximum.at / minimum.at(x, indices, v)``: one
  ``scatter[mode=add|mul|max|min]``, repeats accumulating in index order (NaN propagates
  through maximum / minimum): O(n + K), with traced indices (rows of the leading axes, after
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
from ..tracing import Tracer, all_known, bind, known_call
from ._core import broadcast_shapes, check_operand, convert, shape_of
from .elementwise import add, multiply, where
from .indexing import list_index_key, take
from .masked import write_selected
from .shape import broadcast_to, ravel, reshape

__all__ = ["setitem", "has_traced_index", "ufunc_at"]


def _numpy_setitem(x: np.ndarray, key: Any, value: Any) -> np.ndarray:
    out = x.copy()
    out[key] = value
    return out


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
    if all_known((x, key, value)):  # constants alone: NumPy's answer now, a known array
        return known_call(_numpy_setitem, (x, key, value), {})
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


def _traced_rows(x: Tracer, key: Any, what: str, rewrite: str) -> tuple[Any, tuple, tuple, tuple]:
    """The rows a traced key selects: integer indices on the first k axes of x (traced,
    constant or Python ints, at least one traced), then full slices. Each index is
    normalized on its own axis by the index rule of every gather (``take`` of
    ``arange(n)``: IndexError outside [-n, n) on every backend), the k broadcast together
    and, for k > 1 (``oh[np.arange(n), tokens] = 1``, ``np.add.at(cm, (t, p), 1)``),
    flattened in C order: rows of x with its first k axes merged. Returns the rows (1-d),
    the key's index shape, the shape of what is written there and the merged shape."""
    parts = key if isinstance(key, tuple) else (key,)
    k = next((i for i, p in enumerate(parts) if isinstance(p, slice)), len(parts))
    lead, rest = parts[:k], parts[k:]
    full = all(isinstance(p, slice) and p == slice(None) for p in rest)
    integer = all((p.dtype if isinstance(p, Tracer) else np.asarray(p).dtype).kind in "iu"
                  for p in lead)
    if not lead or not full or not integer or k > x.ndim:
        raise NotImplementedError(
            f"gvmap records {what} with a traced key only for integer indices on the "
            f"leading axes ({rewrite})")
    rows = [take(np.arange(x.shape[axis]), p) for axis, p in enumerate(lead)]
    try:
        index_shape = broadcast_shapes(*(shape_of(r) for r in rows))
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         "with shapes " + " ".join(str(shape_of(r)) for r in rows)) from None
    flat = broadcast_to(rows[0], index_shape)
    for axis, r in enumerate(rows[1:], 1):
        flat = add(multiply(flat, x.shape[axis]), broadcast_to(r, index_shape))
    merged = (int(np.prod(x.shape[:k], dtype=np.int64)), *x.shape[k:])
    return reshape(flat, (-1,)), index_shape, (*index_shape, *x.shape[k:]), merged


def _set_at_traced(x: Tracer, key: Any, value: Any) -> Tracer:
    """``x[i] = v`` / ``x[idx] = v`` / ``x[i, j] = v`` with traced integer indices on the
    leading axes (any further key entries full slices): one ``scatter[mode=set]``, the
    last write to an element staying, as NumPy's assignment leaves it."""
    rows, _, selected, merged = _traced_rows(
        x, key, "x[key] = v",
        "x[i] = v, x[idx] = v, x[i, :] = v, x[np.arange(n), idx] = v); for other traced keys "
        "build the new array with np.where(mask, v, x), where mask compares np.arange(...) "
        "with the traced indices")
    k = shape_of(rows)[0]
    values = reshape(broadcast_written(value, selected), (k, *merged[1:]))
    if merged == x.shape:
        return bind(P.scatter_p, x, rows, values, mode="set")
    return reshape(bind(P.scatter_p, reshape(x, merged), rows, values, mode="set"), x.shape)


_AT_MODES = {p.ufunc: mode for mode, p in P.SCATTER_COMBINE.items()}  # np.add.at: "add" ...


def ufunc_at(ufunc_name: str):
    """``np.<ufunc>.at(a, indices, b)``: unbuffered, so repeated indices accumulate (unlike
    ``a[idx] += b``), in index order: one ``scatter[mode=add|mul|max|min]``; ``a`` (a
    traced local array) then stands for the result. Traced indices select rows of the
    leading axes (``np.add.at(a, idx, b)``, ``a`` of any rank; ``np.add.at(cm, (i, j), 1)``);
    a constant key may be anything NumPy
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
            rows, _, selected, merged = _traced_rows(
                a, indices, f"np.{ufunc_name}.at(x, idx, v)",
                f"np.{ufunc_name}.at(y, idx, v) or np.{ufunc_name}.at(y, (i, j), v) with idx, "
                f"i, j traced; for other keys ravel y and compute flat indices: "
                f"np.{ufunc_name}.at(y.reshape(-1), flat_idx, v)")
        else:
            targets = np.arange(a.size).reshape(a.shape)[indices]  # NumPy's own key errors
            rows, selected, merged = targets.ravel(), targets.shape, (a.size,)
        row_shape, flat = merged[1:], merged != a.shape
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
            result = bind(P.scatter_p, reshape(a, merged) if flat else a, rows, values, mode=mode)
            if flat:
                result = reshape(result, a.shape)
        a._assign(result, f"np.{ufunc_name}.at(x, ...)", "Write into a copy: `x = x.copy()` first")

    at.__name__ = f"{ufunc_name}_at"
    return at
