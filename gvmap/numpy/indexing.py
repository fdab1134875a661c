"""Indexing: ``x[key]`` and ``np.take`` as slice / rev / take / squeeze / expand_dims.

Basic indexing (ints, slices with any step, ``None``, ``...``) is static: it becomes one
``slice`` (plus ``rev`` for negative steps and ``squeeze`` for ints). One integer-array
index is allowed: a constant array (checked and normalized now) or a traced integer array
(a gather whose indices are data), as ``take``. Boolean masks have data-dependent shapes,
so only constant masks are accepted (they are static index lists; one of k dims is k
integer arrays, as NumPy reads it).
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import primitives as P
from ..aliasing import static_key
from ..implementations import GATHER_NAME, index_bounds
from ..tracing import Tracer, bind
from ..trycatch import refuse_if_caught
from ._core import broadcast_shapes, ndim_of, operand, shape_of
from .construction import array
from .elementwise import add, greater_equal, less, logical_or, multiply, where
from .shape import expand_dims, flat_axis, moveaxis, reshape, squeeze

__all__ = ["getitem", "take", "along"]


def _is_int(k: Any) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def constant_indices(idx: Any, size: int, axis: int) -> np.ndarray:
    idx = np.asarray(idx)
    if idx.dtype == np.bool_:
        if idx.ndim != 1 or idx.shape[0] != size:
            raise IndexError(f"boolean index of shape {idx.shape} does not match axis {axis} "
                             f"of size {size}")
        return np.nonzero(idx)[0]
    if idx.size == 0:
        idx = idx.astype(np.intp)
    if not np.issubdtype(idx.dtype, np.integer):
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    if idx.size and (idx.max() >= size or idx.min() < -size):
        bad = idx.max() if idx.max() >= size else idx.min()
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {size}")
    return np.where(idx < 0, idx + size, idx).astype(np.intp)


def _index_operand(idx: Any, size: int, axis: int) -> Any:
    if isinstance(idx, Tracer):
        if idx.dtype == np.bool_:
            raise NotImplementedError(
                "indexing with a traced boolean mask gives a data-dependent shape, which a batched "
                "program cannot have; use np.where(mask, x, 0) (or a masked sum) instead")
        if not np.issubdtype(idx.dtype, np.integer):
            raise IndexError("arrays used as indices must be of integer type")
        return idx
    return constant_indices(idx, size, axis)


def take(a: Any, indices: Any, axis: Any = None, out=None, mode: Any = None) -> Any:
    """numpy.take: elements of ``a`` along ``axis`` at ``indices`` (raveled when axis is None)."""
    if out is not None:
        raise TypeError("numpy.take(..., out=...) writes in place; use the returned value")
    if mode not in (None, "raise"):
        raise NotImplementedError(f"gvmap supports numpy.take with mode='raise' only, not {mode!r}")
    a = operand(a, "take")
    a, axis = flat_axis(a, axis)
    indices = list_index_key(indices) if isinstance(indices, list) else indices
    idx = _index_operand(indices if isinstance(indices, Tracer) else np.asarray(indices),
                         shape_of(a)[axis], axis)
    return gather(a, idx, axis)


def gather(a: Any, idx: Any, axis: int) -> Any:
    """``take_p``, refused where the user's try / except would catch the IndexError an
    example's traced index can raise (gvmap.trycatch)."""
    if isinstance(idx, Tracer) and idx.known is None and \
            index_bounds(idx.dtype, shape_of(a)[axis]) != (None, None):
        refuse_if_caught(GATHER_NAME, (IndexError,), "index")
    return bind(P.take_p, a, idx, axis=axis)


def _holds_tracer(obj: Any) -> bool:
    if isinstance(obj, Tracer):
        return True
    return isinstance(obj, (list, tuple)) and any(_holds_tracer(o) for o in obj)


def list_index_key(key: Any) -> Any:
    """The key with each list index that holds traced values (``A[[k, p]]`` with a traced
    pivot row p) made one traced integer array, as NumPy makes a list index an array; a
    list of Python ints stays a constant index."""
    def convert_part(k: Any) -> Any:
        return array(k) if isinstance(k, list) and _holds_tracer(k) else k

    if isinstance(key, tuple):
        return tuple(convert_part(k) for k in key)
    return convert_part(key)


def getitem(x: Any, key: Any) -> Any:
    """x[key] for the index kinds listed in the module docstring."""
    key = _expand_key(x, list_index_key(static_key(key)))
    if any(_is_array_index(k) for k in key):
        return _advanced(x, key)
    key = [k for k in key if k is not _GAP]
    shape = shape_of(x)
    starts, limits, strides, rev, squeezed, new_axes = [], [], [], [], [], []
    dim = out_pos = 0
    for k in key:
        if k is None:
            new_axes.append(out_pos)
            out_pos += 1
            continue
        size = shape[dim]
        if _is_int(k):
            i = _normalize_int(k, size, dim)
            starts.append(i); limits.append(i + 1); strides.append(1)
            squeezed.append(dim)
        else:
            lo, hi, step, flipped = _slice_bounds(k, size)
            starts.append(lo); limits.append(hi); strides.append(step)
            if flipped:
                rev.append(dim)
            out_pos += 1
        dim += 1
    out = _slice(x, starts, limits, strides, rev)
    if squeezed:
        out = squeeze(out, tuple(squeezed))
    if new_axes:
        out = expand_dims(out, tuple(new_axes))
    return out


def along(a: Any, axis: int, index: Any) -> Any:
    """``a[..., index, ...]`` with ``index`` applied to ``axis``."""
    return getitem(a, (slice(None),) * axis + (index,))


def _is_array_index(k: Any) -> bool:
    return isinstance(k, (Tracer, list)) or (isinstance(k, np.ndarray) and k.ndim > 0)


def _expand_key(x: Any, key: Any) -> list:
    """The key as a list with ``...`` expanded and trailing full slices added."""
    key = list(key) if isinstance(key, tuple) else [key]
    key = [k[()] if isinstance(k, np.ndarray) and k.ndim == 0 else k for k in key]
    for k in key:
        if not (k is None or k is Ellipsis or _is_int(k) or isinstance(k, slice) or _is_array_index(k)):
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                             f"(`None`) and integer or boolean arrays are valid indices, got "
                             f"{type(k).__name__}")
    ndim = ndim_of(x)
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consuming = sum(_mask_ndim(k) or 1 for k in key if k is not None and k is not Ellipsis)
    if consuming > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{consuming} were indexed")
    fill = [slice(None)] * (ndim - consuming)
    if ellipses:  # the marker separates advanced indices even where ... stands for no dims
        key[ellipses[0]:ellipses[0] + 1] = [_GAP, *fill]
    else:
        key += fill
    return _split_masks(shape_of(x), key)


def _mask_ndim(k: Any) -> int:
    """The dimensions a constant boolean mask indexes (0 for anything else)."""
    return k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else 0


def _split_masks(shape: tuple, key: list) -> list:
    """A constant boolean mask of k > 1 dimensions is, as in NumPy, the k integer arrays of
    its True positions (``np.nonzero``); its shape must be the dims it indexes."""
    out, dim = [], 0
    for k in key:
        n = _mask_ndim(k)
        if n > 1:
            for axis, (got, size) in enumerate(zip(k.shape, shape[dim:dim + n]), dim):
                if got != size:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {axis}; size "
                        f"of axis is {size} but size of corresponding boolean axis is {got}")
            out.extend(np.nonzero(k))
        else:
            out.append(k)
        dim += n or (k is not None and k is not _GAP)
    return out


class _Gap:
    """Where ``...`` stood in an index: consumes no dimension, but counts as a separator."""


_GAP = _Gap()


def _normalize_int(k: Any, size: int, dim: int) -> int:
    i = operator.index(k)
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for axis {dim} with size {size}")
    return i % size


def _slice_bounds(k: slice, size: int) -> tuple[int, int, int, bool]:
    """(start, limit, positive stride, reversed?) selecting what ``k`` selects."""
    if any(isinstance(v, Tracer) and v.known is None for v in (k.start, k.stop, k.step)):
        from ..errors import TracerConversionError
        raise TracerConversionError(
            "x[i:j] with a traced bound: the slice's length would depend on the data (NumPy "
            "also shortens it at the array's end), and a batched array has one shape. For "
            "a window of static length n write np.take(x, i + np.arange(n), mode='clip') "
            "(the ends repeated where it runs over) or "
            "np.lib.stride_tricks.sliding_window_view(x, n)[i] (IndexError where it runs "
            "over); to keep x's shape, r = np.arange(len(x)); np.where((r >= i) & (r < j), "
            "x, 0)")
    start, stop, step = k.indices(size)
    picked = range(start, stop, step)
    if not picked:
        return 0, 0, 1, False
    if step > 0:
        return picked[0], picked[-1] + 1, step, False
    return picked[-1], picked[0] + 1, -step, True


def _slice(x: Any, starts: list, limits: list, strides: list, rev: list) -> Any:
    shape = shape_of(x)
    out = x
    if (starts, limits, strides) != ([0] * len(shape), list(shape), [1] * len(shape)):
        out = bind(P.slice_p, out, start_indices=tuple(starts), limit_indices=tuple(limits),
                   strides=tuple(strides))
    if rev:
        out = bind(P.rev_p, out, dimensions=tuple(rev))
    return out


def _advanced(x: Any, key: list) -> Any:
    """Integer-array indexing (ints count as 0-d arrays here, as in NumPy).

    The indexed dims are brought together and merged, and the index arrays combined into
    one linear index (row-major), so any number of index arrays is ONE ``take``. The result
    dims go where NumPy puts them: in place when the indexed dims are adjacent, else first.
    """
    # NumPy's rule: the advanced entries (arrays and ints) are "adjacent" when nothing
    # (slice, None, ...) stands between them in the key
    positions = [i for i, k in enumerate(key) if _is_int(k) or _is_array_index(k)]
    adjacent = positions == list(range(positions[0], positions[-1] + 1))
    full_key = key
    key = [k for k in key if k is not None and k is not _GAP]
    shape = shape_of(x)
    starts, limits, strides, rev = [], [], [], []
    dims, indices = [], []
    for dim, k in enumerate(key):
        size = shape[dim]
        if isinstance(k, slice):
            lo, hi, step, flipped = _slice_bounds(k, size)
            starts.append(lo); limits.append(hi); strides.append(step)
            if flipped:
                rev.append(dim)
            continue
        starts.append(0); limits.append(size); strides.append(1)
        dims.append(dim)
        if _is_int(k):
            indices.append(np.intp(_normalize_int(k, size, dim)))
        else:
            indices.append(_index_operand(k if isinstance(k, Tracer) else np.asarray(k), size, dim))
    out = _slice(x, starts, limits, strides, rev)
    try:
        index_shape = broadcast_shapes(*(shape_of(i) for i in indices))
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together with "
                         f"shapes {' '.join(str(shape_of(i)) for i in indices)}") from None
    new_axes = _new_axis_positions(full_key, adjacent, len(index_shape))
    sizes = [shape_of(out)[d] for d in dims]
    bad = None
    if len(indices) > 1:  # the take sees one linear index: normalize each component first
        indices, bad = _wrap_components(indices, sizes)
    linear = indices[-1]
    stride = 1
    for d_size, idx in zip(reversed(sizes[1:]), reversed(indices[:-1])):
        stride *= d_size
        linear = add(linear, multiply(idx, stride))
    if not isinstance(linear, Tracer):
        linear = np.broadcast_to(np.asarray(linear, dtype=np.intp), index_shape)
    if bad is not None:  # a component out of its own range makes the linear index one too
        linear = where(bad, int(np.prod(sizes)), linear)
    pos = dims[0] if adjacent else 0  # adjacent entries index consecutive dims
    if not adjacent:
        out = moveaxis(out, dims, list(range(len(dims))))
    if len(dims) > 1:
        merged = shape_of(out)[:pos] + (int(np.prod(sizes)),) + shape_of(out)[pos + len(dims):]
        out = reshape(out, merged)
    out = gather(out, linear, pos)
    return expand_dims(out, tuple(new_axes)) if new_axes else out


def wrap_traced(idx: Tracer, size: int) -> tuple[Any, Any]:
    """Traced indices with negatives counted from the end, and where they stay outside
    [0, size) (constant ones are checked now: ``constant_indices``)."""
    idx = where(less(idx, 0), add(idx, size), idx)
    return idx, logical_or(less(idx, 0), greater_equal(idx, size))


def _wrap_components(indices: list, sizes: list) -> tuple[list, Any]:
    """Traced components of a multi-array index with negatives counted from the end, and
    where any of them is still outside [0, size) (None when none is traced). A single index
    array needs neither: the take applies NumPy's rule to it as it is."""
    wrapped, bad = [], None
    for idx, size in zip(indices, sizes):
        if isinstance(idx, Tracer):
            idx, out = wrap_traced(idx, size)
            bad = out if bad is None else logical_or(bad, out)
        wrapped.append(idx)
    return wrapped, bad


def _new_axis_positions(key: list, adjacent: bool, index_ndim: int) -> list[int]:
    """The result dims each None becomes: the advanced block (``index_ndim`` dims) sits
    where the first advanced entry is when the entries are adjacent, else first."""
    out, pos, placed = [], 0 if adjacent else index_ndim, not adjacent
    for k in key:
        if k is None:
            out.append(pos)
            pos += 1
        elif isinstance(k, slice):
            pos += 1
        elif (_is_int(k) or _is_array_index(k)) and not placed:
            placed = True
            pos += index_ndim
    return out
