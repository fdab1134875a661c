"""Indexing: ``x[key]`` and ``np.take`` as slice / rev / take / squeeze / expand_dims.

Basic indexing (ints, slices with any step, ``None``, ``...``) is static: it becomes one
``slice`` (plus ``rev`` for negative steps and ``squeeze`` for ints). One integer-array
index is allowed: a constant array (checked and normalized now) or a traced integer array
(a gather whose indices are data), as ``take``. Boolean masks have data-dependent shapes,
so only constant 1-D masks are accepted (they are static index lists).
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import primitives as P
from ..tracing import Tracer, bind
from ._core import as_operand, check_operand, dtype_of, ndim_of, normalize_axis, shape_of
from .shape import expand_dims, moveaxis, ravel, squeeze

__all__ = ["getitem", "take"]


def _is_int(k: Any) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _constant_indices(idx: Any, size: int, axis: int) -> np.ndarray:
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
    return _constant_indices(idx, size, axis)


def take(a: Any, indices: Any, axis: Any = None, out=None, mode: Any = None) -> Any:
    """numpy.take: elements of ``a`` along ``axis`` at ``indices`` (raveled when axis is None)."""
    if out is not None:
        raise TypeError("numpy.take(..., out=...) writes in place; use the returned value")
    if mode not in (None, "raise"):
        raise NotImplementedError(f"gvmap supports numpy.take with mode='raise' only, not {mode!r}")
    a = as_operand(check_operand(a, "take"))
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, ndim_of(a))
    idx = _index_operand(indices if isinstance(indices, Tracer) else np.asarray(indices),
                         shape_of(a)[axis], axis)
    return bind(P.take_p, a, idx, axis=axis)


def getitem(x: Any, key: Any) -> Any:
    """x[key] for the index kinds listed in the module docstring."""
    key = key if isinstance(key, tuple) else (key,)
    key = [k.__index__() if isinstance(k, np.ndarray) and k.ndim == 0 and _is_int(k[()]) else k
           for k in key]
    shape = shape_of(x)
    consuming = sum(1 for k in key if k is not None and k is not Ellipsis)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consuming > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, but "
                         f"{consuming} were indexed")
    if Ellipsis in [k for k in key if not isinstance(k, (np.ndarray, Tracer, list))]:
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + [slice(None)] * (len(shape) - consuming) + key[i + 1:]
    key += [slice(None)] * (len(shape) - sum(1 for k in key if k is not None))

    starts, limits, strides, rev, squeezed, new_axes = [], [], [], [], [], []
    advanced: list[tuple[int, Any]] = []  # (input dim, index array)
    int_dims: list[int] = []
    dim = 0
    out_pos = 0  # position in the result, for None
    positions: list[int] = []  # key position of each int/array index (adjacency check)
    for kpos, k in enumerate(key):
        if k is None:
            new_axes.append(out_pos)
            out_pos += 1
            continue
        size = shape[dim]
        if _is_int(k):
            i = operator.index(k)
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {size}")
            i %= size
            starts.append(i); limits.append(i + 1); strides.append(1)
            squeezed.append(dim)
            int_dims.append(dim)
            positions.append(kpos)
        elif isinstance(k, slice):
            start, stop, step = k.indices(size)
            picked = range(start, stop, step)
            if step > 0 or not picked:
                lo = picked[0] if picked else 0
                starts.append(lo); limits.append(picked[-1] + 1 if picked else 0)
                strides.append(abs(step))
            else:
                starts.append(picked[-1]); limits.append(picked[0] + 1); strides.append(-step)
                rev.append(dim)
            out_pos += 1
        elif isinstance(k, (Tracer, np.ndarray, list)) or np.ndim(k) > 0:
            if isinstance(k, (bool, np.bool_)):
                raise NotImplementedError("indexing with a boolean scalar is not supported")
            starts.append(0); limits.append(size); strides.append(1)
            advanced.append((dim, _index_operand(k, size, dim)))
            positions.append(kpos)
            out_pos += 1  # placeholder; the index's own dims are inserted below
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                             f"(`None`) and integer or boolean arrays are valid indices, got "
                             f"{type(k).__name__}")
        dim += 1

    if len(advanced) > 1:
        raise NotImplementedError("gvmap supports one integer-array index per indexing "
                                  "expression; index twice, or use np.take")
    if advanced and new_axes:
        raise NotImplementedError("gvmap does not support None (np.newaxis) together with an "
                                  "integer-array index; add the axis in a second step")
    out = x
    if (starts, limits, strides) != ([0] * len(shape), list(shape), [1] * len(shape)):
        out = bind(P.slice_p, out, start_indices=tuple(starts), limit_indices=tuple(limits),
                   strides=tuple(strides))
    if rev:
        out = bind(P.rev_p, out, dimensions=tuple(rev))
    if advanced:
        (adim, idx), = advanced
        out = bind(P.take_p, out, idx, axis=adim)
        nidx = ndim_of(idx)
        # ints before the array shift its dims left once squeezed
        squeezed = [d if d < adim else d + nidx - 1 for d in squeezed]
        out = squeeze(out, tuple(squeezed)) if squeezed else out
        adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
        if not adjacent:  # NumPy puts the broadcast index dims first
            start = adim - sum(1 for d in int_dims if d < adim)
            out = moveaxis(out, list(range(start, start + nidx)), list(range(nidx)))
        return out
    if squeezed:
        out = squeeze(out, tuple(squeezed))
    if new_axes:
        out = expand_dims(out, tuple(new_axes))
    return out
